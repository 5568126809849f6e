"""The LongJob API (spec §8): submit, query, cancel, suspend, resume, rerun, update and delete.

Every action is decided by ``jobs.plan_action`` on the state read under a row lock, and written in the same
transaction, so a refused request changes nothing. The runner of whichever node runs the job carries out cancel
and suspend (it watches the persisted state); this node's runner is only woken up to notice sooner. The actions
that start or stop work wait, up to ``SETTLE_TIMEOUT``, until the job has started or stopped, so the inventory
they answer with shows the outcome: Running (or Waiting when every worker is busy) after a submit, Canceled after
a cancel, Suspended after a suspend.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from taskprogress.errors import InvalidArgument, PermissionDenied
from taskprogress.ids import is_valid_uuid, new_uuid
from taskprogress.jobs import (
    JobFailed,
    JobRegistry,
    LongJobAction,
    LongJobEvent,
    LongJobState,
    UnknownJobType,
    parse_job_data,
    plan_action,
)
from taskprogress.jobs.add_image import JOB_NAME as ADD_IMAGE
from taskprogress.jobs.add_image import parse_image_request
from taskprogress.services.clock import now_ms
from taskprogress.services.identity import Caller
from taskprogress.services.job_runner import JobRunner
from taskprogress.services.long_job_records import (
    LongJob,
    end_progress,
    not_found,
    state_values,
    visible_to,
)
from taskprogress.store import Store, long_jobs_sql

S = LongJobState
E = LongJobEvent

SUBMIT_MSG = "org.zstack.header.longjob.APISubmitLongJobMsg"
SETTLE_TIMEOUT = 10.0  # longest an action waits for the job to start or stop before answering as it is
SETTLE_POLL = 0.02
MAX_JOB_DATA = 4 * 1024 * 1024  # ZStack's column is a MEDIUMTEXT; this is plenty for any job's parameters
_TEXT_LIMITS = {"name": 255, "description": 2048, "targetResourceUuid": 255}


class LongJobs:
    def __init__(self, store: Store, registry: JobRegistry, runner: JobRunner) -> None:
        self._store = store
        self.registry = registry
        self.runner = runner

    # -- submit and query --------------------------------------------------------------------------------

    def submit(self, caller: Caller, api_id: str, params: dict[str, Any]) -> LongJob:
        """Create the job (Waiting) and wait until a worker has started it, or until none is free."""
        if not is_valid_uuid(api_id):
            raise InvalidArgument(f"a long job's apiId (X-Job-UUID) must be 32 lower-case hex characters, got {api_id}")
        job_name = params.get("jobName")
        if job_name is None:
            raise InvalidArgument(f"field[jobName] of message[{SUBMIT_MSG}] is mandatory, can not be null")
        job_type = self.registry.get(job_name)  # "<name> is not an API" for anything unknown
        job_data_text = _job_data_text(params.get("jobData"))
        job_data = parse_job_data(job_data_text)
        job_type.check_data(job_data)
        _check_privileges(caller, job_type.name, job_data)
        texts = {key: _optional_text(params, key) for key in _TEXT_LIMITS}
        now = now_ms()
        uuid = new_uuid()
        with self._store.connect(write=True) as conn:
            if long_jobs_sql.job_with_api_id(conn, api_id) is not None:
                raise InvalidArgument(f"a long job with apiId {api_id} exists already")
            long_jobs_sql.insert_job(
                conn,
                {
                    "uuid": uuid,
                    "name": texts["name"],
                    "description": texts["description"],
                    "api_id": api_id,
                    "job_name": job_type.name,
                    "job_data": job_data_text,
                    "state": S.Waiting.value,
                    "target_resource_uuid": texts["targetResourceUuid"],
                    "account_uuid": caller.account_uuid,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return self._until_started(uuid)

    def list(self, caller: Caller) -> list[LongJob]:
        """The jobs the caller may see, oldest first: an admin all of them, an account its own."""
        with self._store.connect() as conn:
            rows = long_jobs_sql.list_jobs(conn, None if caller.is_admin else caller.account_uuid)
        return [LongJob.from_row(row) for row in rows]

    def get(self, caller: Caller, uuid: str) -> LongJob:
        with self._store.connect() as conn:
            row = long_jobs_sql.get_job(conn, uuid)
        if row is None or not visible_to(caller, row):
            raise not_found(uuid)
        return LongJob.from_row(row)

    # -- actions -----------------------------------------------------------------------------------------

    def cancel(self, caller: Caller, uuid: str) -> LongJob:
        def decide(row: Any, supports: tuple[bool, bool]) -> dict[str, Any] | None:
            if plan_action(LongJobAction.cancel, row["state"], supports_cancel=supports[0]) is None:
                return None
            # A job no run holds (Waiting, or Suspended and idle) has nothing to unwind: Canceled at once.
            return {"state": S.Canceling.value} if row["run_token"] is not None else {"state": S.Canceled.value}

        self._act(caller, uuid, decide)
        return self._until(uuid, lambda job: job.state in (S.Canceled, S.Succeeded, S.Failed))

    def suspend(self, caller: Caller, uuid: str) -> LongJob:
        def decide(row: Any, supports: tuple[bool, bool]) -> dict[str, Any] | None:
            event = plan_action(
                LongJobAction.suspend, row["state"], supports_cancel=supports[0], supports_suspend=supports[1]
            )
            return None if event is None else {"state": S.Suspended.value}

        self._act(caller, uuid, decide)
        return self._until(uuid, lambda job: not job.running_somewhere)

    def resume(self, caller: Caller, uuid: str) -> LongJob:
        # A suspension still unwinding would take the resumed state for its own: let it end first.
        self._until(uuid, lambda job: not (job.state is S.Suspended and job.running_somewhere), caller=caller)

        def decide(row: Any, supports: tuple[bool, bool]) -> dict[str, Any] | None:
            plan_action(LongJobAction.resume, row["state"], supports_cancel=supports[0], supports_suspend=supports[1])
            if row["run_token"] is not None:
                raise JobFailed("the long job is still being suspended; resume it again in a moment")
            return {"state": S.Running.value}  # released: a free worker claims it and resumes it

        self._act(caller, uuid, decide)
        return self._until_started(uuid)

    def rerun(self, caller: Caller, uuid: str, api_id: str) -> LongJob:
        """A final job runs again as the same job, under the rerun call's id: a new progress stream."""
        if not is_valid_uuid(api_id):
            raise InvalidArgument(f"a long job's apiId (X-Job-UUID) must be 32 lower-case hex characters, got {api_id}")

        def decide(row: Any, _supports: tuple[bool, bool]) -> dict[str, Any] | None:
            plan_action(LongJobAction.rerun, row["state"])
            now = now_ms()
            return {
                "state": S.Waiting.value,
                "api_id": api_id,
                "job_result": None,
                "execute_time": None,
                "created_at": now,
                "management_node_uuid": None,
            }

        self._act(caller, uuid, decide)
        return self._until_started(uuid)

    def update(self, caller: Caller, uuid: str, params: dict[str, Any]) -> LongJob:
        texts = {key: _optional_text(params, key) for key in ("name", "description")}
        values = {key: value for key, value in texts.items() if value is not None}  # absent: unchanged
        self._act(caller, uuid, lambda _row, _supports: values)
        return self.get(caller, uuid)

    def delete(self, caller: Caller, uuid: str) -> None:
        """Final states only; an unknown uuid (or one the caller may not see) succeeds, as in ZStack."""
        with self._store.connect(write=True) as conn:
            row = long_jobs_sql.get_job(conn, uuid, for_update=True)
            if row is None or not visible_to(caller, row):
                return
            plan_action(LongJobAction.delete, row["state"])
            long_jobs_sql.delete_job(conn, uuid)

    # -- helpers -----------------------------------------------------------------------------------------

    def _act(
        self, caller: Caller, uuid: str, decide: Callable[[Any, tuple[bool, bool]], dict[str, Any] | None]
    ) -> None:
        """Apply ``decide(row, (supports_cancel, supports_suspend))`` to the locked row; None changes nothing."""
        now = now_ms()
        with self._store.connect(write=True) as conn:
            row = long_jobs_sql.get_job(conn, uuid, for_update=True)
            if row is None or not visible_to(caller, row):
                raise not_found(uuid)
            changes = decide(row, self._abilities(row["job_name"]))
            if changes is None:
                return
            values = {**changes, "updated_at": now}
            if "state" in changes:
                values = {**state_values(row, S(changes["state"]), now), **changes}
            long_jobs_sql.update_job(conn, uuid, values)
        if values.get("state") == S.Canceled.value:  # canceled without a run: its progress ends here
            end_progress(self._store, row["api_id"], now, succeeded=False)
        self.runner.wake()

    def _abilities(self, job_name: str) -> tuple[bool, bool]:
        """What the job's type supports; a type unknown here (another node's plugin) can be canceled only."""
        try:
            job_type = self.registry.get(job_name)
        except UnknownJobType:
            return True, False
        return job_type.supports_cancel, job_type.supports_suspend

    def _until_started(self, uuid: str) -> LongJob:
        """Until a run holds the job, it left Waiting/Running, or every worker here is busy (it stays queued)."""
        self.runner.wake()
        return self._until(
            uuid,
            lambda job: (
                job.running_somewhere or job.state not in (S.Waiting, S.Running) or not self.runner.has_free_worker()
            ),
        )

    def _until(self, uuid: str, settled: Callable[[LongJob], bool], *, caller: Caller | None = None) -> LongJob:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            with self._store.connect() as conn:
                row = long_jobs_sql.get_job(conn, uuid)
            if row is None or (caller is not None and not visible_to(caller, row)):
                raise not_found(uuid)
            job = LongJob.from_row(row)
            if settled(job) or time.monotonic() > deadline:
                return job
            time.sleep(SETTLE_POLL)


def _job_data_text(value: object) -> str:
    """jobData as ZStack sends it, a JSON string; a JSON object is accepted too and kept as its text."""
    if value is None:
        raise InvalidArgument(f"field[jobData] of message[{SUBMIT_MSG}] is mandatory, can not be null")
    if isinstance(value, dict):
        value = orjson.dumps(value).decode()
    if not isinstance(value, str):
        raise InvalidArgument(f"jobData must be a JSON string, got {type(value).__name__}")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_JOB_DATA:
        raise InvalidArgument(f"jobData is longer than {MAX_JOB_DATA} bytes")
    return value


def _optional_text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"{key} must be a string, got {type(value).__name__}")
    if len(value) > _TEXT_LIMITS[key]:
        raise InvalidArgument(f"{key} must be at most {_TEXT_LIMITS[key]} characters, got {len(value)}")
    return value


def _check_privileges(caller: Caller, job_name: str, job_data: dict[str, Any]) -> None:
    """A file:// image is read from the server's own disk: only an admin may do that (ID.1002 otherwise)."""
    if job_name == ADD_IMAGE and not caller.is_admin and parse_image_request(job_data).scheme == "file":
        raise PermissionDenied("only an admin account may add an image from a file:// url (a file on the server)")
