"""API jobs: ZStack's async API calls, and the unit that progress hangs on.

A job's id is the apiId. Its work runs on a worker thread inside ``taskprogress.api(id, <API name>)``, so what
it reports is found by GetTaskProgress under that id, and its completion schedules that progress for deletion
after ``progress.deleteDelay``. The outcome is kept in the database for ``rest.completedApi.expiredPeriod``, so
any node can answer the job URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson

from taskprogress.errors import TaskProgressError
from taskprogress.reporting.producer import api as api_scope  # taskprogress.api, the producer library
from taskprogress.services.clock import now_ms
from taskprogress.services.outcomes import Outcome
from taskprogress.store import Store, api_jobs_sql

logger = logging.getLogger(__name__)

PROCESSING, SUCCEEDED, FAILED = api_jobs_sql.PROCESSING, "succeeded", "failed"


class DuplicateJob(Exception):
    """A job with this id exists already (a reused X-Job-UUID): a REST-level refusal, not an API failure."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


def token_digest(token: str) -> str:
    """How the session token presented with a job is kept (it may be invalid, of any length)."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiJob:
    id: str
    api_name: str
    account_uuid: str | None
    session_digest: str | None
    state: str
    outcome: Outcome | None  # None while processing
    webhook: str | None
    want_schema: bool
    timeout_ms: int
    created_at: int
    finished_at: int | None

    @classmethod
    def from_row(cls, row: Any) -> ApiJob:
        outcome = None
        if row["state"] != PROCESSING:
            outcome = Outcome(row["status_code"], orjson.loads(row["result"]))
        return cls(
            row["id"],
            row["api_name"],
            row["account_uuid"],
            row["session_digest"],
            row["state"],
            outcome,
            row["webhook"],
            bool(row["want_schema"]),
            row["timeout_ms"],
            row["created_at"],
            row["finished_at"],
        )


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What a client asked for when it submitted an async API."""

    job_id: str
    api_name: str
    account_uuid: str | None
    session_token: str
    webhook: str | None = None
    want_schema: bool = False
    timeout_ms: int = 1_800_000
    # False for SubmitLongJob and RerunLongJob: the call's id is the long job's progress stream, which ends when
    # the job does, not when the call returns (ZStack exempts APISubmitLongJobEvent the same way).
    finishes_progress: bool = True


class ApiJobs:
    def __init__(self, store: Store, *, workers: int = 4, on_finished: Callable[[ApiJob], None] | None = None) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="taskprogress-api-job")
        self._on_finished = on_finished

    def close(self) -> None:
        """Let running jobs finish, then stop the workers."""
        self._executor.shutdown(wait=True)

    def exists(self, job_id: str) -> bool:
        with self._store.connect() as conn:
            return api_jobs_sql.job_exists(conn, job_id)

    def _insert(self, request: JobRequest, *, outcome: Outcome | None = None) -> None:
        now = now_ms()
        row = {
            "id": request.job_id,
            "api_name": request.api_name,
            "account_uuid": request.account_uuid,
            "session_digest": token_digest(request.session_token),
            "state": PROCESSING if outcome is None else (SUCCEEDED if outcome.succeeded else FAILED),
            "status_code": None if outcome is None else outcome.status_code,
            "result": None if outcome is None else orjson.dumps(outcome.body).decode(),
            "webhook": request.webhook,
            "want_schema": request.want_schema,
            "timeout_ms": request.timeout_ms,
            "created_at": now,
            "finished_at": None if outcome is None else now,
        }
        with self._store.connect(write=True) as conn:
            if not api_jobs_sql.insert_job(conn, row):
                raise DuplicateJob(request.job_id)

    def submit(self, request: JobRequest, work: Callable[[], Outcome]) -> None:
        """Record the job (DuplicateJob if its id is taken) and run ``work`` on a worker thread."""
        self._insert(request)
        self._executor.submit(self._run, request, work)

    def refuse(self, request: JobRequest, outcome: Outcome) -> None:
        """Record a job that failed before it could run (an invalid session): its result is ``outcome``."""
        self._insert(request, outcome=outcome)
        self._notify(request.job_id)

    def _run(self, request: JobRequest, work: Callable[[], Outcome]) -> None:
        scope = (
            api_scope(request.job_id, request.api_name, sink=self._store)
            if request.finishes_progress
            else contextlib.nullcontext()
        )
        try:
            with scope:
                outcome = work()
        except TaskProgressError as exc:
            outcome = Outcome.failure(exc)
        except Exception:  # a bug in the work: the job still ends, and the trace goes to the log only
            logger.exception("API job %s (%s) crashed", request.job_id, request.api_name)
            outcome = Outcome.failure(TaskProgressError("an internal error happened while running the API"))
        self._finish(request.job_id, outcome)

    def _finish(self, job_id: str, outcome: Outcome) -> None:
        try:
            with self._store.connect(write=True) as conn:
                api_jobs_sql.finish_job(
                    conn,
                    job_id,
                    state=SUCCEEDED if outcome.succeeded else FAILED,
                    status_code=outcome.status_code,
                    result=orjson.dumps(outcome.body).decode(),
                    now_ms=now_ms(),
                )
        except TaskProgressError:
            logger.exception("could not record the result of API job %s", job_id)
            return
        self._store.changes.publish((job_id,))  # streams of this API end with its result
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        if self._on_finished is None:
            return
        job = self.get(job_id)
        if job is not None:
            self._on_finished(job)

    @contextlib.contextmanager
    def run_here(self, request: JobRequest) -> Iterator[None]:
        """Run an API job's work in the calling thread: processing inside the block, finished after it.

        For work driven by this process (another node's runner, a test); its outcome is ``{}`` or the error.
        """
        self._insert(request)
        outcome = Outcome.success({})
        try:
            with api_scope(request.job_id, request.api_name, sink=self._store):
                yield
        except TaskProgressError as exc:
            outcome = Outcome.failure(exc)
            raise
        except BaseException:
            outcome = Outcome.failure(TaskProgressError("the API failed"))
            raise
        finally:
            self._finish(request.job_id, outcome)

    def get(self, job_id: str) -> ApiJob | None:
        """The job, or None when unknown or finished longer than ``rest.completedApi.expiredPeriod`` ago."""
        with self._store.connect() as conn:
            row = api_jobs_sql.get_job(conn, job_id)
        if row is None:
            return None
        job = ApiJob.from_row(row)
        if job.finished_at is not None and job.finished_at <= now_ms() - self._kept_ms():
            return None
        return job

    def _kept_ms(self) -> int:
        return int(self._store.get_config("rest", "completedApi.expiredPeriod")) * 1000

    def sweep(self) -> int:
        """Delete expired results; returns how many."""
        with self._store.connect(write=True) as conn:
            return api_jobs_sql.delete_finished_jobs(conn, now_ms() - self._kept_ms())
