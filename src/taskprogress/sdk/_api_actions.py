"""The ZStack APIs as actions (what ZStack's SDK generator emits per API), for the APIs this server has."""

from __future__ import annotations

from taskprogress.sdk._actions import AbstractAction, Param, QueryAction

__all__ = [
    "CancelLongJobAction",
    "DeleteLongJobAction",
    "GetTaskProgressAction",
    "LogInByAccountAction",
    "LogOutAction",
    "QueryGlobalConfigAction",
    "QueryLongJobAction",
    "RenewSessionAction",
    "RerunLongJobAction",
    "SubmitLongJobAction",
    "UpdateGlobalConfigAction",
    "ValidateSessionAction",
]

_STR = (str,)


class LogInByAccountAction(AbstractAction):
    """``password`` is the lower-case SHA-512 hex of the password, as with ZStack (``hash_password``)."""

    HTTP_METHOD = "PUT"
    PATH = "/accounts/login"
    NEED_SESSION = False
    PARAM_NAME = "logInByAccount"
    PARAMS = {  # noqa: RUF012  (read-only class data, as in ZStack's generated SDK)
        "accountName": Param(required=True, types=_STR),
        "password": Param(required=True, types=_STR),
        "accountType": Param(types=_STR),
    }


class LogOutAction(AbstractAction):
    HTTP_METHOD = "DELETE"
    PATH = "/accounts/sessions/{sessionUuid}"
    NEED_SESSION = False
    PARAMS = {"sessionUuid": Param(required=True, types=_STR)}  # noqa: RUF012


class ValidateSessionAction(AbstractAction):
    HTTP_METHOD = "GET"
    PATH = "/accounts/sessions/{sessionUuid}/valid"
    NEED_SESSION = False
    PARAMS = {"sessionUuid": Param(required=True, types=_STR)}  # noqa: RUF012


class RenewSessionAction(AbstractAction):
    HTTP_METHOD = "PUT"
    PATH = "/accounts/sessions/{sessionUuid}/renew"
    NEED_POLL = True
    PARAM_NAME = "renewSession"
    PARAMS = {"sessionUuid": Param(required=True, types=_STR), "duration": Param(types=(int,))}  # noqa: RUF012


class GetTaskProgressAction(AbstractAction):
    """``apiId`` is the API asked about (in zssdk it doubles as the X-Job-UUID; here it does not)."""

    HTTP_METHOD = "GET"
    PATH = "/task-progresses/{apiId}"
    PARAMS = {"apiId": Param(required=True, types=_STR), "all": Param(types=(bool,))}  # noqa: RUF012


class SubmitLongJobAction(AbstractAction):
    """``jobData`` is a string of JSON, as in ZStack. The job's apiId is this call's id (``apiId``, X-Job-UUID)."""

    HTTP_METHOD = "POST"
    PATH = "/longjobs"
    NEED_POLL = True
    PARAM_NAME = "params"
    PARAMS = {  # noqa: RUF012
        "name": Param(types=_STR),
        "description": Param(types=_STR),
        "jobName": Param(required=True, types=_STR),
        "jobData": Param(required=True, types=_STR),
        "targetResourceUuid": Param(types=_STR),
        "resourceUuid": Param(types=_STR),
    }


class QueryLongJobAction(QueryAction):
    PATH = "/longjobs"


class CancelLongJobAction(AbstractAction):
    HTTP_METHOD = "PUT"
    PATH = "/longjobs/{uuid}/actions"
    NEED_POLL = True
    PARAM_NAME = "cancelLongJob"
    PARAMS = {"uuid": Param(required=True, types=_STR)}  # noqa: RUF012


class RerunLongJobAction(AbstractAction):
    HTTP_METHOD = "PUT"
    PATH = "/longjobs/{uuid}/actions"
    NEED_POLL = True
    PARAM_NAME = "rerunLongJob"
    PARAMS = {"uuid": Param(required=True, types=_STR)}  # noqa: RUF012


class DeleteLongJobAction(AbstractAction):
    HTTP_METHOD = "DELETE"
    PATH = "/longjobs/{uuid}"
    NEED_POLL = True
    PARAMS = {  # noqa: RUF012
        "uuid": Param(required=True, types=_STR),
        "deleteMode": Param(valid_values=("Permissive", "Enforcing")),
    }


class QueryGlobalConfigAction(QueryAction):
    PATH = "/global-configurations"


class UpdateGlobalConfigAction(AbstractAction):
    HTTP_METHOD = "PUT"
    PATH = "/global-configurations/{category}/{name}/actions"
    NEED_POLL = True
    PARAM_NAME = "updateGlobalConfig"
    PARAMS = {  # noqa: RUF012
        "category": Param(required=True, types=_STR),
        "name": Param(required=True, types=_STR),
        "value": Param(required=True),
    }
