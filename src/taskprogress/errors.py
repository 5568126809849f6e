"""The project's exceptions. Every error a service raises carries the ZStack error code it becomes on the wire.

Hierarchy::

    TaskProgressError                 base; ``.error_code`` is a ZStack ErrorCode
    ├── InvalidArgument (ValueError)  bad input: SYS.1007
    ├── NotFound                      SYS.1003
    ├── StorageError                  the database failed (driver errors are wrapped at the store boundary)
    ├── AuthenticationFailed          wrong account name or password: ID.1000
    ├── InvalidSession                unknown or expired session: ID.1001
    ├── PermissionDenied              the account may not do this: ID.1002
    └── TooManySessions               identity.session.maxConcurrent reached: ID.1006
"""

from __future__ import annotations

from taskprogress import error_codes
from taskprogress.error_codes import ErrorCode


class TaskProgressError(Exception):
    """An error of taskprogress."""

    error_code: ErrorCode = error_codes.SYS_INTERNAL

    def __init__(self, details: str | None = None) -> None:
        self.details = details or (self.__doc__ or "").strip()
        super().__init__(self.details)


class InvalidArgument(TaskProgressError, ValueError):
    """An argument is invalid."""

    error_code = error_codes.SYS_INVALID_ARGUMENT


class NotFound(TaskProgressError):
    """The resource does not exist."""

    error_code = error_codes.SYS_RESOURCE_NOT_FOUND


class StorageError(TaskProgressError):
    """The database failed."""


class AuthenticationFailed(TaskProgressError):
    """wrong account name or password"""

    error_code = error_codes.ID_AUTHENTICATION_FAILED


class InvalidSession(TaskProgressError):
    """Session expired"""

    error_code = error_codes.ID_INVALID_SESSION


class PermissionDenied(TaskProgressError):
    """The account has no permission to perform this operation"""

    error_code = error_codes.ID_PERMISSION_DENIED


class TooManySessions(TaskProgressError):
    """Login sessions hit limit of max allowed concurrent login sessions"""

    error_code = error_codes.ID_MAX_SESSIONS


def invalid_api_id(api_id: object) -> InvalidArgument:
    """ZStack's message for a malformed apiId (``ProgressApiInterceptor``)."""
    return InvalidArgument(f"parameter apiId[{api_id}] is not a valid uuid.")
