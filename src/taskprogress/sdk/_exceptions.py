"""The SDK's exceptions, one hierarchy; every error the server gave keeps its ZStack error code.

Hierarchy::

    TaskProgressSDKError          base of everything the SDK raises
    ├── APIError                  the API ran and failed: ``.code`` (e.g. ``ID.1001``), ``.description``,
    │                             ``.details``, ``.error`` (the whole ZStack ErrorCode), ``.status_code``
    ├── RequestRefused            refused before the API ran (ZStack's plain-text 400/404/405): ``.status_code``,
    │                             ``.text``
    ├── TransportError            no usable answer: connection refused or reset, a read timed out, a reply that
    │                             is not what the protocol says
    ├── TimeoutError              an async API, ``wait()`` or ``watch()`` passed its deadline (also a builtin
    │                             ``TimeoutError``)
    ├── ParameterError            a ZStack-style action misses a mandatory parameter or has a bad one (also a
    │                             ``ValueError``)
    └── ClientClosed              the client was closed
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "APIError",
    "ClientClosed",
    "ParameterError",
    "RequestRefused",
    "TaskProgressSDKError",
    "TimeoutError",
    "TransportError",
]


class TaskProgressSDKError(Exception):
    """A taskprogress SDK call failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class APIError(TaskProgressSDKError):
    """The API ran and failed; ``code`` is ZStack's error code."""

    def __init__(self, error: dict[str, Any], status_code: int = 503) -> None:
        self.error = error
        self.code: str = str(error.get("code", ""))
        self.description: str | None = error.get("description")
        self.details: str | None = error.get("details")
        self.status_code = status_code
        super().__init__(f"{self.code}: {self.details or self.description or 'the API failed'}")


class RequestRefused(TaskProgressSDKError):
    """The server refused the request before the API ran."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text
        super().__init__(f"HTTP {status_code}: {text}")


class TransportError(TaskProgressSDKError):
    """No usable answer from the server."""


class TimeoutError(TaskProgressSDKError, builtins.TimeoutError):  # shadows the builtin on purpose: it is one
    """The deadline passed before the API finished."""


class ParameterError(TaskProgressSDKError, ValueError):
    """An action parameter is missing or invalid."""


class ClientClosed(TaskProgressSDKError):
    """Cannot send a request, as the client has been closed."""
