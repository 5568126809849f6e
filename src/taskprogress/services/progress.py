"""GetTaskProgress with tenancy, which ZStack lacks.

A normal account sees the progress of the API jobs it started; an admin sees all. Someone else's apiId is
answered exactly like an unknown one (``[]``), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskprogress.errors import invalid_api_id
from taskprogress.ids import is_valid_uuid
from taskprogress.services.identity import Caller
from taskprogress.store import Store, api_jobs_sql


@dataclass(frozen=True, slots=True)
class ProgressReply:
    inventories: list[dict[str, Any]]
    summary: dict[str, Any] | None  # the API's overall percent, state and ``finished`` flag, when it has any


@dataclass(frozen=True, slots=True)
class RunningApi:
    api_id: str
    api_name: str
    account_uuid: str | None
    created_at: int
    percent: float | None
    last_progress_at: int | None
    newest: list[dict[str, Any]]  # the newest record and its ancestors, root first


class ProgressQueries:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, caller: Caller, api_id: str, *, all: bool) -> ProgressReply:
        if not is_valid_uuid(api_id):
            raise invalid_api_id(api_id)
        # One transaction: the ownership check and the read see the same database state.
        with self._store.connect() as conn:
            found = api_jobs_sql.job_and_progress(conn, api_id)
            if not caller.is_admin and found["account_uuid"] != caller.account_uuid:
                return ProgressReply([], None)
            has_progress = found["progress_api_id"] is not None
            inventories = api_jobs_sql.task_progress(conn, api_id, all=all) if has_progress else []
        return ProgressReply(inventories, _summary(api_id, found))

    def running(self, caller: Caller) -> list[RunningApi]:
        """The caller's API jobs still running (every account's for an admin), each with its newest progress."""
        with self._store.connect() as conn:
            jobs = api_jobs_sql.running_jobs(conn, None if caller.is_admin else caller.account_uuid)
            return [
                RunningApi(
                    j["id"],
                    j["api_name"],
                    j["account_uuid"],
                    j["created_at"],
                    j["percent"],
                    j["last_time"],
                    api_jobs_sql.task_progress(conn, j["id"], all=False),
                )
                for j in jobs
            ]


def _summary(api_id: str, found: Any) -> dict[str, Any] | None:
    if found["state"] is None and found["progress_api_id"] is None:
        return None
    summary: dict[str, Any] = {"apiId": api_id}
    if found["state"] is not None:
        summary["state"] = found["state"]
    if found["progress_api_id"] is not None:
        if found["percent"] is not None:
            summary["percent"] = found["percent"]
        summary["finished"] = found["finished_at"] is not None
    return summary
