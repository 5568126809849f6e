"""The one exception the commands raise: a message for one line on stderr, and the exit code."""

from __future__ import annotations

USAGE = 2  # click's own code for bad arguments
FAILED = 1  # an error, or the watched API / long job failed
CANCELED = 3  # the watched long job was canceled


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code
