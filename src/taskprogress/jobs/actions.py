"""What the LongJob API may do to a job in a given state (spec §8, the REST table), with no I/O.

``plan_action`` answers one question for the REST layer: given the job's state and its type's abilities, is
the action allowed, a no-op, or refused (and with which ZStack error)? It returns the event to feed to
``next_state``, None when the state is not to change, and raises when the action is refused.

| action  | allowed in                              | otherwise                                   |
|---------|-----------------------------------------|---------------------------------------------|
| cancel  | Waiting, Running, Suspended, Canceling  | Canceled: no-op; Succeeded, Failed: refused |
| suspend | Running, Suspended (no-op), Canceling   | refused                                     |
| resume  | Suspended                               | refused                                     |
| rerun   | Succeeded, Failed, Canceled             | refused                                     |
| delete  | Succeeded, Failed, Canceled             | refused                                     |
| update  | every state                             |                                             |

Cancel, suspend and resume also need the job type's support: LONG_JOB.1003 "not supported" otherwise.
"""

from __future__ import annotations

from enum import StrEnum

from taskprogress.jobs.errors import IllegalTransition, OperationNotSupported
from taskprogress.jobs.states import FINAL_STATES, LongJobEvent, LongJobState, next_state

S = LongJobState


class LongJobAction(StrEnum):
    cancel = "cancel"
    suspend = "suspend"
    resume = "resume"
    rerun = "rerun"
    delete = "delete"
    update = "update"


_ALLOWED: dict[LongJobAction, frozenset[LongJobState]] = {
    LongJobAction.cancel: frozenset({S.Waiting, S.Running, S.Suspended, S.Canceling, S.Canceled}),
    LongJobAction.suspend: frozenset({S.Running, S.Suspended, S.Canceling}),
    LongJobAction.resume: frozenset({S.Suspended}),
    LongJobAction.rerun: FINAL_STATES,
    LongJobAction.delete: FINAL_STATES,
    LongJobAction.update: frozenset(LongJobState),
}

_EVENT: dict[LongJobAction, LongJobEvent] = {
    LongJobAction.cancel: LongJobEvent.canceling,
    LongJobAction.suspend: LongJobEvent.suspend,
    LongJobAction.resume: LongJobEvent.resume,
}


def plan_action(
    action: LongJobAction | str,
    state: LongJobState | str,
    *,
    supports_cancel: bool = True,
    supports_suspend: bool = False,
) -> LongJobEvent | None:
    """The state-machine event ``action`` causes, None when it changes no state (rerun, delete, update, or a
    no-op such as canceling a Canceled job), or raise ``IllegalTransition`` / ``OperationNotSupported``.

    Rerun is a fresh start of a final job (the runner resets it to Waiting), so it has no event here.
    """
    act = LongJobAction(action)
    current = LongJobState(state)
    if current not in _ALLOWED[act]:
        raise IllegalTransition(_refusal(act, current), state=current, event=act)
    if act is LongJobAction.cancel:
        if current is S.Canceled:
            return None  # already canceled: success, as ZStack's LongJobManagerImpl answers
        if not supports_cancel:
            raise OperationNotSupported(f"the long job type cannot be canceled (job state {current})")
    if act in (LongJobAction.suspend, LongJobAction.resume) and not supports_suspend:
        raise OperationNotSupported(f"the long job type cannot be suspended or resumed (job state {current})")
    event = _EVENT.get(act)
    if event is None or next_state(current, event) is current:
        return None  # e.g. suspending a Suspended job, or canceling one that is already Canceling
    return event


def _refusal(action: LongJobAction, state: LongJobState) -> str:
    if action is LongJobAction.cancel:
        return f"cannot cancel longjob that is {state.lower()}"  # ZStack's interceptor message
    if action is LongJobAction.delete:
        return f"delete longjob only when it's succeeded, canceled, or failed; the long job is {state}"
    if action is LongJobAction.resume:
        return f"only a Suspended long job can be resumed; the long job is {state}"
    if action is LongJobAction.rerun:
        return f"only a Succeeded, Failed or Canceled long job can be rerun; the long job is {state}"
    return f"a long job in state {state} cannot be {action}ed"
