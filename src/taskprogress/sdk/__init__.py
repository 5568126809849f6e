"""The taskprogress Python SDK: one public surface over private modules (``_*.py``).

Two faces over one transport (httpx, sync and async):

- a pythonic client for new code: ``Client`` / ``AsyncClient`` with ``login``, ``get_task_progress``,
  ``submit_long_job``, ``wait``, ``watch`` (live progress from the server's event stream), typed results and one
  exception hierarchy (``TaskProgressSDKError``) that keeps ZStack's error codes;
- ZStack-style actions for scripts ported from ZStack's ``zssdk.py``: ``configure(...)`` then
  ``GetTaskProgressAction()`` ... ``.call()``.

Usage::

    from taskprogress.sdk import Client

    with Client("http://127.0.0.1:8080") as client:
        client.login("admin", "password")
        for change in client.watch(api_id):
            print(change.kind, change.record or change.summary)
"""

from taskprogress.sdk._actions import AbstractAction, ActionResult, ErrorCode, Param, QueryAction, configure
from taskprogress.sdk._api_actions import (
    CancelLongJobAction,
    DeleteLongJobAction,
    GetTaskProgressAction,
    LogInByAccountAction,
    LogOutAction,
    QueryGlobalConfigAction,
    QueryLongJobAction,
    RenewSessionAction,
    RerunLongJobAction,
    SubmitLongJobAction,
    UpdateGlobalConfigAction,
    ValidateSessionAction,
)
from taskprogress.sdk._async_client import AsyncClient
from taskprogress.sdk._client import Client
from taskprogress.sdk._exceptions import (
    APIError,
    ClientClosed,
    ParameterError,
    RequestRefused,
    TaskProgressSDKError,
    TimeoutError,
    TransportError,
)
from taskprogress.sdk._models import ApiResult, LongJob, ProgressEvent, ProgressSummary, Session, TaskProgress
from taskprogress.sdk._protocol import hash_password
from taskprogress.sdk._tree import ProgressNode, ProgressTree

__all__ = [
    "APIError",
    "AbstractAction",
    "ActionResult",
    "ApiResult",
    "AsyncClient",
    "CancelLongJobAction",
    "Client",
    "ClientClosed",
    "DeleteLongJobAction",
    "ErrorCode",
    "GetTaskProgressAction",
    "LogInByAccountAction",
    "LogOutAction",
    "LongJob",
    "Param",
    "ParameterError",
    "ProgressEvent",
    "ProgressNode",
    "ProgressSummary",
    "ProgressTree",
    "QueryAction",
    "QueryGlobalConfigAction",
    "QueryLongJobAction",
    "RenewSessionAction",
    "RequestRefused",
    "RerunLongJobAction",
    "Session",
    "SubmitLongJobAction",
    "TaskProgress",
    "TaskProgressSDKError",
    "TimeoutError",
    "TransportError",
    "UpdateGlobalConfigAction",
    "ValidateSessionAction",
    "configure",
    "hash_password",
]

# The public names say they live here (tracebacks and reprs show ``taskprogress.sdk.Client``), as httpx does.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("taskprogress.sdk._"):
        _obj.__module__ = __name__
del _name, _obj
