"""Long jobs without HTTP or tables: the state machine, job types and their registry, the built-in jobs.

- ``states``: ZStack's LongJob state machine (``next_state``, ``is_final``, ``event_for_error``).
- ``actions``: which REST actions (cancel, suspend, resume, rerun, delete, update) a state allows.
- ``registry``: ``JobType``, ``JobContext``, ``JobRegistry`` and the ``taskprogress.jobs`` entry points.
- ``execution``: ``execute_job``, one job run inside its progress stream, ending in a ``JobOutcome``.
- built-ins: ``add_image`` (``APIAddImageMsg``) and ``scripted`` (``ScriptedJob``, format in ``script_format``).
"""

from taskprogress.jobs.actions import LongJobAction, plan_action
from taskprogress.jobs.builtins import BUILTIN_JOB_TYPES, builtin_registry
from taskprogress.jobs.errors import (
    ChecksumMismatch,
    DownloadFailed,
    IllegalTransition,
    InvalidJobData,
    JobFailed,
    JobTypeError,
    LongJobError,
    OperationNotSupported,
    ScriptFailed,
    UnknownJobType,
)
from taskprogress.jobs.execution import JobOutcome, execute_job
from taskprogress.jobs.registry import ENTRY_POINT_GROUP, JobContext, JobRegistry, JobType, parse_job_data
from taskprogress.jobs.states import FINAL_STATES, LongJobEvent, LongJobState, event_for_error, is_final, next_state

__all__ = [
    "BUILTIN_JOB_TYPES",
    "ENTRY_POINT_GROUP",
    "FINAL_STATES",
    "ChecksumMismatch",
    "DownloadFailed",
    "IllegalTransition",
    "InvalidJobData",
    "JobContext",
    "JobFailed",
    "JobOutcome",
    "JobRegistry",
    "JobType",
    "JobTypeError",
    "LongJobAction",
    "LongJobError",
    "LongJobEvent",
    "LongJobState",
    "OperationNotSupported",
    "ScriptFailed",
    "UnknownJobType",
    "builtin_registry",
    "event_for_error",
    "execute_job",
    "is_final",
    "next_state",
    "parse_job_data",
    "plan_action",
]
