"""The project's exceptions. Every error a service raises carries the ZStack error code it becomes on the wire.

Hierarchy::

    TaskProgressError                 base; ``.error_code`` is a ZStack ErrorCode
    ├── InvalidArgument (ValueError)  bad input: SYS.1007
    ├── NotFound                      SYS.1006
    └── StorageError                  the database failed (driver errors are wrapped at the store boundary)
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


def invalid_api_id(api_id: object) -> InvalidArgument:
    """ZStack's message for a malformed apiId (``ProgressApiInterceptor``)."""
    return InvalidArgument(f"parameter apiId[{api_id}] is not a valid uuid.")
