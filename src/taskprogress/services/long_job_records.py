"""A long job as the services see it, and the bookkeeping every final state needs.

Whoever moves a job to a final state (its runner, a cancel of a job that never started, a takeover) writes the
same things: ``executeTime`` once, and the end of the job's progress stream, which only then starts to expire
after ``progress.deleteDelay`` (the submit call's own completion never marks it, as ZStack exempts
``APISubmitLongJobEvent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskprogress.errors import NotFound
from taskprogress.jobs import IllegalTransition, LongJobEvent, LongJobState, is_final, next_state
from taskprogress.services.identity import Caller
from taskprogress.store import Store
from taskprogress.store.ops import FinishApi

S = LongJobState
E = LongJobEvent


@dataclass(frozen=True, slots=True)
class LongJob:
    uuid: str
    name: str | None
    description: str | None
    api_id: str
    job_name: str
    job_data: str
    job_result: str | None
    state: LongJobState
    target_resource_uuid: str | None
    management_node_uuid: str | None
    account_uuid: str
    created_at: int
    updated_at: int
    execute_time: int | None
    running_somewhere: bool  # a node has claimed it and its run has not ended

    @classmethod
    def from_row(cls, row: Any) -> LongJob:
        return cls(
            row["uuid"],
            row["name"],
            row["description"],
            row["api_id"],
            row["job_name"],
            row["job_data"],
            row["job_result"],
            LongJobState(row["state"]),
            row["target_resource_uuid"],
            row["management_node_uuid"],
            row["account_uuid"],
            row["created_at"],
            row["updated_at"],
            row["execute_time"],
            row["run_token"] is not None,
        )


def visible_to(caller: Caller, row: Any) -> bool:
    """An admin sees every job, an account its own."""
    return caller.is_admin or row["account_uuid"] == caller.account_uuid


def not_found(uuid: str) -> NotFound:
    return NotFound(f"long job[uuid:{uuid}] is not found")


def state_after_run(current: LongJobState, event: LongJobEvent) -> LongJobState:
    """The state a job is left in when its run ends with ``event`` while the table says ``current``.

    The table has no cell for work that ends as a request lands (it succeeded just as a suspend was asked): the
    work's own ending wins, since it really happened. A Canceling job whose run is over has nothing left to
    unwind, so it is Canceled.
    """
    try:
        after = next_state(current, event)
    except IllegalTransition:
        after = {E.succeed: S.Succeeded, E.fail: S.Failed, E.canceled: S.Canceled}.get(event, S.Suspended)
    return S.Canceled if after is S.Canceling else after


def state_values(row: Any, state: LongJobState, now_ms: int) -> dict[str, Any]:
    """The columns to write for a move to ``state``: ``executeTime`` is set on the first final state only."""
    values: dict[str, Any] = {"state": state.value, "updated_at": now_ms}
    if is_final(state) and row["execute_time"] is None:
        values["execute_time"] = max(1, round((now_ms - row["created_at"]) / 1000))  # ZStack: minimum 1
    return values


def end_progress(store: Store, api_id: str, now_ms: int, *, succeeded: bool) -> None:
    """The job is final: its progress expires after ``progress.deleteDelay`` from now."""
    store.submit(FinishApi(api_id, now_ms, learn_steps=succeeded))
    store.flush()
