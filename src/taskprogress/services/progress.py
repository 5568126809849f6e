"""GetTaskProgress with tenancy, which ZStack lacks, and the reads behind push delivery.

A normal account sees the progress of the API jobs it started; an admin sees all. Someone else's apiId is
answered exactly like an unknown one (``[]``), so ids cannot be probed.

The reply's ``summary`` (not in ZStack; its SDKs ignore unknown keys) is the API's overall state for dashboards
and the CLI: the API job's ``state``, then the progress summary of ``core.summary`` (percent, rate, ETA and its
basis, stall flag, times). Null fields are left out, as ZStack's Gson does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskprogress.core.inventory import to_inventory
from taskprogress.errors import invalid_api_id
from taskprogress.ids import is_valid_uuid
from taskprogress.services.clock import now_ms
from taskprogress.services.identity import Caller
from taskprogress.store import Store, api_jobs_sql, progress_reads

PROCESSING = api_jobs_sql.PROCESSING
# Pollers ask about the same API many times a second; its summary is reused on this node for up to a second, as
# long as the API's percent, finished time and job state are unchanged (those are always current; the rate, ETA,
# stall flag and lastProgressAt may be that much older).
SUMMARY_MAX_AGE_MS = 1000
SUMMARY_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class ProgressReply:
    inventories: list[dict[str, Any]]
    summary: dict[str, Any] | None  # the API's state, percent, rate, ETA, stall flag; None: nothing known
    seq: int = 0  # the newest record's seq (asked for by long polls); 0 when none or not visible


@dataclass(frozen=True, slots=True)
class RunningApi:
    api_id: str
    api_name: str
    account_uuid: str | None
    created_at: int
    percent: float | None
    last_progress_at: int | None
    newest: list[dict[str, Any]]  # the newest record and its ancestors, root first


@dataclass(frozen=True, slots=True)
class ApiUpdate:
    """An API as push delivery sees it: its records after a seq, and where it stands. No tenancy applied yet:
    ask ``visible_to`` before showing any of it."""

    owner: str | None  # the account of the API job; None when there is no job (then only admins see it)
    records: list[tuple[int, dict[str, Any]]]  # (seq, inventory), oldest first
    newest_seq: int  # 0 when the API has no record
    state: str | None  # the API job's: processing, succeeded, failed; None without a job
    progress: tuple[float | None, bool] | None  # (percent, finished) of its progress; None without progress
    summary: dict[str, Any] | None = None  # filled in by ``ProgressQueries.summary`` when something moved

    @property
    def over(self) -> bool:
        """The API job (if any) has its result and the progress (if any) is finished.

        Both, because they end apart: a long job's submit call succeeds at once while its progress goes on
        until the job ends; an API job's progress finishes just before the job records its result.
        """
        if self.state is None and self.progress is None:
            return False  # nothing known of it (yet)
        job_done = self.state is None or self.state != PROCESSING
        return job_done and (self.progress is None or self.progress[1])

    def visible_to(self, caller: Caller) -> bool:
        return visible(caller, self.owner)

    @property
    def fingerprint(self) -> tuple[Any, ...]:
        """What moves when the API changes (rate and ETA also move with the clock: they are not in it)."""
        return (self.owner, self.newest_seq, self.state, self.progress)


def visible(caller: Caller, owner: str | None) -> bool:
    """Tenancy: an admin sees every API; an account the APIs of the jobs it started."""
    return caller.is_admin or (owner is not None and owner == caller.account_uuid)


class ProgressQueries:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._summaries: dict[str, tuple[tuple[Any, ...], int, dict[str, Any] | None]] = {}

    def get(self, caller: Caller, api_id: str, *, all: bool, with_seq: bool = False) -> ProgressReply:
        if not is_valid_uuid(api_id):
            raise invalid_api_id(api_id)
        settings = self._summary_settings()  # first: a settings reload takes a connection of its own
        # One transaction: the ownership check and the read see the same database state.
        with self._store.connect() as conn:
            found = api_jobs_sql.job_and_progress(conn, api_id)
            if not visible(caller, found["account_uuid"]):
                return ProgressReply([], None)
            has_progress = found["progress_api_id"] is not None
            inventories = api_jobs_sql.task_progress(conn, api_id, all=all) if has_progress else []
            seq = progress_reads.newest_seq(conn, api_id) if with_seq and has_progress else 0
            summary = self._summary(api_id, found, conn, settings)
        return ProgressReply(inventories, summary, seq)

    def update(self, api_id: str, after_seq: int | None, *, limit: int = 1000) -> ApiUpdate:
        """Records after ``after_seq`` (None: no records, only where the API stands); no summary (see
        ``summary``), so a probe that finds nothing new costs three indexed lookups."""
        with self._store.connect() as conn:
            found = api_jobs_sql.job_and_progress(conn, api_id)
            newest = progress_reads.newest_seq(conn, api_id)
            rows = [] if after_seq is None else progress_reads.records_after(conn, api_id, after_seq, limit=limit)
        if rows:  # on PostgreSQL reads are separate statements: a record may have committed in between
            newest = max(newest, int(rows[-1]["seq"]))
        progress = None
        if found["progress_api_id"] is not None:
            progress = (found["percent"], found["finished_at"] is not None)
        records = [(int(row["seq"]), to_inventory(row)) for row in rows]
        return ApiUpdate(found["account_uuid"], records, newest, found["state"], progress)

    def summary(self, api_id: str, now: int | None = None) -> dict[str, Any] | None:
        """The API's summary as GetTaskProgress gives it (None when nothing is known of it)."""
        settings = self._summary_settings()
        with self._store.connect() as conn:
            found = api_jobs_sql.job_and_progress(conn, api_id)
            return self._summary(api_id, found, conn, settings, now)

    def records(self, api_id: str, after_seq: int, upto_seq: int, *, limit: int = 1000) -> list[tuple[int, dict]]:
        """Records with ``after_seq < seq <= upto_seq`` (a stream catching up), oldest first."""
        with self._store.connect() as conn:
            rows = progress_reads.records_after(conn, api_id, after_seq, upto_seq=upto_seq, limit=limit)
        return [(int(row["seq"]), to_inventory(row)) for row in rows]

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

    def _summary_settings(self) -> tuple[int, int]:
        """Read before a connection is taken, never while one is held: a settings reload needs a connection too,
        and threads each holding one while waiting for a second would drain the pool."""
        return self._store.summary_settings()

    def _summary(
        self, api_id: str, found: Any, conn: Any, settings: tuple[int, int], now: int | None = None
    ) -> dict[str, Any] | None:
        if found["state"] is None and found["progress_api_id"] is None:
            return None
        summary: dict[str, Any] = {"apiId": api_id}
        if found["state"] is not None:
            summary["state"] = found["state"]
        if found["progress_api_id"] is not None:
            progress = self._cached_progress_summary(api_id, found, conn, settings, now)
            if progress is None:  # deleted by the cleanup between the two reads
                summary["finished"] = True
            else:
                summary.update((k, v) for k, v in progress.items() if v is not None)
        return summary

    def _cached_progress_summary(
        self, api_id: str, found: Any, conn: Any, settings: tuple[int, int], now: int | None
    ) -> dict[str, Any] | None:
        """The progress summary, reused for up to SUMMARY_MAX_AGE_MS (not when asked for a given ``now``)."""
        if now is not None:
            return self._progress_summary(api_id, conn, settings, now)
        now = now_ms()
        key = (found["percent"], found["finished_at"], found["state"], settings)
        cached = self._summaries.get(api_id)
        if cached is not None and cached[0] == key and now - cached[1] < SUMMARY_MAX_AGE_MS:
            return cached[2]
        summary = self._progress_summary(api_id, conn, settings, now)
        if len(self._summaries) >= SUMMARY_CACHE_SIZE:
            self._summaries.clear()  # crude, and rare: ten thousand APIs polled within a second
        self._summaries[api_id] = (key, now, summary)
        return summary

    def _progress_summary(self, api_id: str, conn: Any, settings: tuple[int, int], now: int) -> dict[str, Any] | None:
        """``Store.api_summary`` on the caller's connection: it runs on every GetTaskProgress."""
        return progress_reads.progress_summary(conn, api_id, now, *settings)
