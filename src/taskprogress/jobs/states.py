"""The LongJob state machine, ZStack's table (spec §8), with no I/O.

::

    from \\ event | start   | succeed   | fail     | resume  | suspend   | canceling | canceled
    Waiting      | Running | -         | Failed   | -       | -         | Canceled  | Canceled
    Suspended    | -       | -         | Failed   | Running | Suspended | Canceling | Canceled
    Running      | -       | Succeeded | Failed   | Running | Suspended | Canceling | Canceled
    Canceling    | -       | Succeeded | Canceled | -       | Canceling | Canceling | Canceled

Succeeded, Failed and Canceled are final: they ignore every event and stay. A ``-`` raises
``IllegalTransition``. Note ``Waiting --canceling--> Canceled``: a job that never started has nothing to unwind.

When a job's work ends with an error, ``event_for_error`` picks the event as ZStack's ``LongJobUtils`` does:
an interruption or an unavailable management node suspends it, a cancellation cancels it, anything else fails it.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from taskprogress.errors import InvalidArgument
from taskprogress.jobs.errors import SYS_MANAGEMENT_NODE_UNAVAILABLE, IllegalTransition
from taskprogress.reporting.interruptions import Canceled, Suspended


class LongJobState(StrEnum):
    Waiting = "Waiting"
    Suspended = "Suspended"
    Running = "Running"
    Succeeded = "Succeeded"
    Canceling = "Canceling"
    Canceled = "Canceled"
    Failed = "Failed"


class LongJobEvent(StrEnum):
    start = "start"
    succeed = "succeed"
    fail = "fail"
    resume = "resume"
    suspend = "suspend"
    canceling = "canceling"
    canceled = "canceled"


S = LongJobState
E = LongJobEvent

FINAL_STATES = frozenset({S.Succeeded, S.Failed, S.Canceled})

TRANSITIONS = MappingProxyType(
    {
        S.Waiting: MappingProxyType(
            {E.start: S.Running, E.fail: S.Failed, E.canceling: S.Canceled, E.canceled: S.Canceled}
        ),
        S.Suspended: MappingProxyType(
            {
                E.fail: S.Failed,
                E.resume: S.Running,
                E.suspend: S.Suspended,
                E.canceling: S.Canceling,
                E.canceled: S.Canceled,
            }
        ),
        S.Running: MappingProxyType(
            {
                E.succeed: S.Succeeded,
                E.fail: S.Failed,
                E.resume: S.Running,
                E.suspend: S.Suspended,
                E.canceling: S.Canceling,
                E.canceled: S.Canceled,
            }
        ),
        S.Canceling: MappingProxyType(
            {
                E.succeed: S.Succeeded,
                E.fail: S.Canceled,  # a job that fails while being canceled ends canceled, as the user asked
                E.suspend: S.Canceling,
                E.canceling: S.Canceling,
                E.canceled: S.Canceled,
            }
        ),
    }
)


def is_final(state: LongJobState | str) -> bool:
    """True for Succeeded, Failed and Canceled."""
    return _state(state) in FINAL_STATES


def next_state(state: LongJobState | str, event: LongJobEvent | str) -> LongJobState:
    """The state after ``event``; a final state stays; an undefined transition raises ``IllegalTransition``."""
    current = _state(state)
    happened = _event(event)
    if current in FINAL_STATES:
        return current
    after = TRANSITIONS[current].get(happened)
    if after is None:
        raise IllegalTransition(
            f"a long job in state {current} cannot take the event '{happened}'", state=current, event=happened
        )
    return after


# Codes by which an error says the job was only interrupted (it can resume) or was canceled on request.
_SUSPENDING_CODES = frozenset({Suspended.error_code.code, SYS_MANAGEMENT_NODE_UNAVAILABLE.code})
_CANCELING_CODES = frozenset({Canceled.error_code.code})


def event_for_error(error: BaseException | str) -> LongJobEvent:
    """The event for a job that ended with ``error`` (an exception, or a ZStack error code such as
    ``"LONG_JOB.1002"``): suspend for an interruption or an unavailable node, canceled for a cancellation,
    fail for anything else."""
    code = error if isinstance(error, str) else getattr(getattr(error, "error_code", None), "code", None)
    if code in _SUSPENDING_CODES:
        return E.suspend
    if code in _CANCELING_CODES:
        return E.canceled
    return E.fail


def _state(value: object) -> LongJobState:
    try:
        return LongJobState(value)
    except ValueError:
        raise InvalidArgument(f"unknown long job state {value!r}; expected one of {', '.join(LongJobState)}") from None


def _event(value: object) -> LongJobEvent:
    try:
        return LongJobEvent(value)
    except ValueError:
        raise InvalidArgument(f"unknown long job event {value!r}; expected one of {', '.join(LongJobEvent)}") from None


__all__ = [
    "FINAL_STATES",
    "TRANSITIONS",
    "LongJobEvent",
    "LongJobState",
    "event_for_error",
    "is_final",
    "next_state",
]
