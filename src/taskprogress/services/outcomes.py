"""What an API call ends with, in ZStack's terms: a mapped result, or an ``ErrorCode``.

ZStack's ErrorCode JSON leaves null fields out; ``details`` is the specific message, ``description`` the fixed
text of the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskprogress.errors import TaskProgressError

OK = 200
FAILED = 503  # ZStack answers every API failure, authentication included, with 503


def error_code_json(exc: TaskProgressError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.error_code.code, "description": exc.error_code.description}
    if exc.details:
        error["details"] = exc.details
    return error


@dataclass(frozen=True, slots=True)
class Outcome:
    """The status and JSON body an API call answers with (sync), or its job URL answers once done (async)."""

    status_code: int
    body: dict[str, Any]

    @classmethod
    def success(cls, body: dict[str, Any]) -> Outcome:
        return cls(OK, body)

    @classmethod
    def failure(cls, exc: TaskProgressError) -> Outcome:
        return cls(FAILED, {"error": error_code_json(exc)})

    @property
    def succeeded(self) -> bool:
        return self.status_code == OK
