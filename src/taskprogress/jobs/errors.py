"""Errors of the job layer, each carrying the ZStack error code it becomes on the wire.

Hierarchy (all under ``taskprogress.errors.TaskProgressError``)::

    LongJobError                          base of this package's errors
    ├── IllegalTransition (InvalidArgument)   an event or operation the job's state does not allow: SYS.1007
    ├── OperationNotSupported                 the job type cannot cancel / suspend / resume: LONG_JOB.1003
    ├── UnknownJobType (InvalidArgument)      "%s is not an API": SYS.1007
    ├── InvalidJobData (InvalidArgument)      jobData rejected before the job runs: SYS.1007
    ├── JobTypeError                          a job type that cannot be registered or loaded: SYS.1000
    └── JobFailed                             the job's own work failed: the catalog's operation error
        ├── DownloadFailed                    APIAddImageMsg could not fetch the image
        ├── ChecksumMismatch                  the downloaded bytes are not the announced ones
        └── ScriptFailed                      a ScriptedJob ran {"fail": ...}

Cancellation and suspension are ``taskprogress.Canceled`` (LONG_JOB.1000) and ``taskprogress.Suspended``
(LONG_JOB.1002), raised inside the job by the producer library; they are not repeated here.
"""

from __future__ import annotations

from taskprogress import error_codes
from taskprogress.error_codes import ErrorCode
from taskprogress.errors import InvalidArgument, TaskProgressError

# ZStack's LongJobErrors (header/longjob/LongJobErrors.java) and the one SysErrors code the spec's error
# mapping names. Canceled (1000) and interrupted (1002) live on taskprogress.Canceled / Suspended.
LONG_JOB_NONCANCELABLE = ErrorCode("LONG_JOB.1001", "The long job cannot be canceled")
LONG_JOB_NOT_SUPPORTED = ErrorCode("LONG_JOB.1003", "The long job type does not support the operation")
SYS_MANAGEMENT_NODE_UNAVAILABLE = ErrorCode("SYS.1012", "The management node is unavailable")


class LongJobError(TaskProgressError):
    """A long job error."""


class IllegalTransition(LongJobError, InvalidArgument):
    """The long job's state does not allow this.

    ZStack's LongJobApiInterceptor refuses illegal operations with ``argerr`` (SYS.1007); the message names
    the state and what was asked. ``state`` and ``event`` say which.
    """

    error_code = error_codes.SYS_INVALID_ARGUMENT

    def __init__(self, details: str, *, state: str, event: str) -> None:
        super().__init__(details)
        self.state = state
        self.event = event


class OperationNotSupported(LongJobError):
    """not supported"""

    error_code = LONG_JOB_NOT_SUPPORTED


class UnknownJobType(LongJobError, InvalidArgument):
    """The job name is not a known long job API."""

    error_code = error_codes.SYS_INVALID_ARGUMENT

    def __init__(self, name: object) -> None:
        super().__init__(f"{name} is not an API")  # ZStack's message, word for word
        self.name = name


class InvalidJobData(LongJobError, InvalidArgument):
    """The job data is invalid."""

    error_code = error_codes.SYS_INVALID_ARGUMENT


class JobTypeError(LongJobError):
    """The job type cannot be registered or loaded."""

    error_code = error_codes.SYS_INTERNAL


class JobFailed(LongJobError):
    """The long job failed."""

    error_code = error_codes.SYS_OPERATION_ERROR


class DownloadFailed(JobFailed):
    """The image could not be downloaded."""


class ChecksumMismatch(JobFailed):
    """The downloaded image does not match its checksum."""


class ScriptFailed(JobFailed):
    """The script failed."""
