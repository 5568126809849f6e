"""ZStack's error-code catalog: the codes this project answers with, and their standard descriptions."""

from __future__ import annotations

from typing import NamedTuple


class ErrorCode(NamedTuple):
    code: str
    description: str


# System (ZStack's SysErrors, conf/errorCodes/sys.xml).
SYS_INTERNAL = ErrorCode("SYS.1000", "An internal error happened in system")
SYS_TIMEOUT = ErrorCode("SYS.1001", "A message or a operation timeout")
SYS_RESOURCE_NOT_FOUND = ErrorCode("SYS.1003", "A resource can not be found")
SYS_OPERATION_ERROR = ErrorCode("SYS.1006", "An operation failed")
SYS_INVALID_ARGUMENT = ErrorCode("SYS.1007", "One or more API argument is invalid")

# Identity (ZStack's IdentityErrors, conf/errorCodes/identity.xml).
ID_AUTHENTICATION_FAILED = ErrorCode("ID.1000", "Unable to authenticate a user")
ID_INVALID_SESSION = ErrorCode(
    "ID.1001", "The session is invalid, either wrong session id or the session has been expired"
)
ID_PERMISSION_DENIED = ErrorCode("ID.1002", "The user doesn't have permission to perform the operation")
ID_MAX_SESSIONS = ErrorCode("ID.1006", "Max number of active sessions exceeded")
