"""Cooperative interruption: a job is canceled or suspended at its next report or ``check()``.

The job runner calls ``run.interrupt(Canceled)`` on the ``ApiRun`` of a job's ``api(...)`` block; from then on
every reporting call in that block (``report``, ``step``, ``subtask``, ``check``...) raises the exception, even
with ``progress.on`` false, so the job unwinds through its own ``with`` blocks and cleans up.
"""

from __future__ import annotations

from taskprogress import error_codes
from taskprogress.error_codes import ErrorCode
from taskprogress.errors import TaskProgressError


class Interrupted(TaskProgressError):
    """The job was interrupted."""


class Canceled(Interrupted):
    """The job was canceled."""

    error_code = ErrorCode("LONG_JOB.1000", "Long job canceled")


class Suspended(Interrupted):
    """The job was suspended."""

    error_code = ErrorCode("LONG_JOB.1002", "Long job interrupted")


class TimedOut(Interrupted):
    """The job ran past its timeout."""

    error_code = error_codes.SYS_TIMEOUT
