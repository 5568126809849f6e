"""The job runner: runs long jobs in this server process, a bounded number at a time, on worker threads.

The database is the queue. Every ``poll_interval`` (and at once when this node's API asks, through ``wake``) the
runner's loop:

- claims jobs no node runs (Waiting ones, and Running ones whose run was released, which resume) while it has a
  free worker; a claim is a compare-and-set on ``run_token``, so two nodes never run one job;
- reads the state of its own runs and interrupts them cooperatively: Canceling → ``Canceled``, Suspended →
  ``Suspended``, a claim lost to a takeover → ``Suspended``, past ``longJob.api.timeout`` → ``TimedOut``. The
  request may have come through any node sharing the database: it is the persisted state that counts;
- beats the node's heartbeat and takes over the runs of dead nodes (``failover.take_over_orphans``).

A run ends by writing the job's new state, only if its claim still holds. ``close`` (SIGTERM) stops claiming,
interrupts the runs, releases the resumable ones for the next node or start, fails the others, and removes this
node's heartbeat so that other nodes need not wait for it to expire.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from taskprogress.errors import TaskProgressError
from taskprogress.ids import new_uuid
from taskprogress.jobs import (
    JobContext,
    JobOutcome,
    JobRegistry,
    JobType,
    LongJobEvent,
    LongJobState,
    execute_job,
    is_final,
    parse_job_data,
)
from taskprogress.reporting.context import ApiRun
from taskprogress.reporting.interruptions import Canceled, Interrupted, Suspended, TimedOut
from taskprogress.services.clock import now_ms
from taskprogress.services.long_job_failover import take_over_orphans
from taskprogress.services.long_job_records import end_progress, state_after_run, state_values
from taskprogress.store import Store, long_jobs_sql

logger = logging.getLogger(__name__)
job_logger = logging.getLogger("taskprogress.jobs.run")

S = LongJobState
STOP_GRACE = 10.0  # seconds close() lets interrupted runs unwind before the process goes anyway
NODE_STOPPING = "the management node is stopping"


@dataclass(frozen=True)
class RunnerSettings:
    node_uuid: str = field(default_factory=new_uuid)
    workers: int = 4
    data_dir: Path = Path("taskprogress-data")
    node_timeout: float = 10.0  # seconds without a heartbeat after which a node's runs are taken over
    poll_interval: float = 0.25
    heartbeat_interval: float = 1.0


class Run:
    """One run of one job on this node: its claim, its thread, and how to interrupt it from the loop."""

    def __init__(self, job_uuid: str, token: str, job_type: JobType, api_id: str) -> None:
        self.job_uuid = job_uuid
        self.token = token
        self.job_type = job_type
        self.api_id = api_id
        self.started = time.monotonic()
        self.reason: str | None = None  # why the runner interrupted it: cancel, suspend, timeout, lost, stopping
        self._api_run: ApiRun | None = None
        self._pending: tuple[type[Interrupted], str] | None = None
        self._lock = threading.Lock()

    def attach(self, api_run: ApiRun) -> None:
        """Called by ``execute_job`` before the job starts: an interruption asked earlier applies now."""
        with self._lock:
            self._api_run = api_run
            if self._pending is not None:
                api_run.interrupt(*self._pending)

    def interrupt(self, kind: type[Interrupted], details: str, reason: str) -> None:
        """Ask the job to stop at its next report or check; the first reason given is the one that counts."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            self._pending = (kind, details)
            if self._api_run is not None:
                self._api_run.interrupt(kind, details)


class JobRunner:
    def __init__(self, store: Store, registry: JobRegistry, settings: RunnerSettings | None = None) -> None:
        self._store = store
        self._registry = registry
        self.settings = settings or RunnerSettings()
        self.node_uuid = self.settings.node_uuid
        self._hostname = socket.gethostname()[:255]
        self._started_at = now_ms()
        self._runs: dict[str, Run] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._loop_thread = threading.Thread(target=self._loop, name="taskprogress-job-runner", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> JobRunner:
        self._beat()  # alive before the first takeover, so this node never looks dead to itself
        self._loop_thread.start()
        return self

    def wake(self) -> None:
        """Look for work and requests now rather than at the next poll (this node's API just changed a job)."""
        self._wake.set()

    def has_free_worker(self) -> bool:
        with self._lock:
            return len(self._runs) < self.settings.workers

    def close(self) -> None:
        """Stop claiming, interrupt the runs, wait a little for them to unwind, leave the cluster."""
        self._stop.set()
        self._wake.set()
        if self._loop_thread.is_alive():
            self._loop_thread.join()
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.interrupt(Suspended, NODE_STOPPING, "stopping")
        deadline = time.monotonic() + STOP_GRACE
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            logger.warning("some long jobs did not stop within %s s; another node will take them over", STOP_GRACE)
            return  # keep the heartbeat row: it expires, then the runs are taken over
        try:
            with self._store.connect(write=True) as conn:
                long_jobs_sql.delete_node(conn, self.node_uuid)
        except TaskProgressError as exc:
            logger.warning("could not remove this node's heartbeat: %s", exc)

    # -- the loop ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        last_beat = time.monotonic()
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_beat >= self.settings.heartbeat_interval:
                    last_beat = time.monotonic()
                    self._beat()
                    take_over_orphans(self._store, self._registry, self.node_uuid, self._alive_since())
                self._watch_runs()
                self._claim()
            except TaskProgressError as exc:  # the database is away: try again at the next poll
                logger.warning("the job runner could not reach the database: %s", exc)
            self._wake.wait(self.settings.poll_interval)
            self._wake.clear()

    def _alive_since(self) -> int:
        return now_ms() - int(self.settings.node_timeout * 1000)

    def _beat(self) -> None:
        with self._store.connect(write=True) as conn:
            long_jobs_sql.beat(conn, self.node_uuid, self._hostname, started_at=self._started_at, now_ms=now_ms())

    def _watch_runs(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        if not runs:
            return
        with self._store.connect() as conn:
            states = long_jobs_sql.run_states(conn, [run.token for run in runs])
        timeout = int(self._store.get_config("longJob", "api.timeout"))
        for run in runs:
            state = states.get(run.token)
            if state is None:
                run.interrupt(Suspended, "the long job was taken over by another management node", "lost")
            elif state == S.Canceling:
                run.interrupt(Canceled, "the long job was canceled", "cancel")
            elif state == S.Suspended:
                run.interrupt(Suspended, "the long job was suspended", "suspend")
            elif time.monotonic() - run.started > timeout:
                details = f"the long job ran past longJob.api.timeout ({timeout} s)"
                run.interrupt(TimedOut, details, "timeout")

    def _claim(self) -> None:
        if self._stop.is_set():
            return
        with self._lock:
            free = self.settings.workers - len(self._runs)
        if free <= 0:
            return
        with self._store.connect() as conn:
            candidates = long_jobs_sql.claimable_jobs(conn, self._registry.names(), free)
        for candidate in candidates:
            token = new_uuid()
            with self._store.connect(write=True) as conn:
                claimed = long_jobs_sql.claim_job(
                    conn,
                    candidate["uuid"],
                    state=candidate["state"],
                    token=token,
                    node_uuid=self.node_uuid,
                    now_ms=now_ms(),
                )
                row = long_jobs_sql.get_job(conn, candidate["uuid"]) if claimed else None
            if row is not None:
                self._start(row, token, resumed=candidate["state"] == S.Running)

    def _start(self, row: dict, token: str, *, resumed: bool) -> None:
        run = Run(row["uuid"], token, self._registry.get(row["job_name"]), row["api_id"])
        thread = threading.Thread(
            target=self._execute,
            args=(run, row, resumed),
            name=f"taskprogress-long-job-{run.job_uuid[:8]}",
            daemon=True,
        )
        with self._lock:
            self._runs[run.job_uuid] = run
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        logger.info("long job %s (%s) %s", run.job_uuid, run.job_type.name, "resumed" if resumed else "started")
        thread.start()

    # -- one run -----------------------------------------------------------------------------------------

    def _execute(self, run: Run, row: dict, resumed: bool) -> None:
        try:
            context = JobContext(
                job_uuid=run.job_uuid,
                api_id=run.api_id,
                job_data=parse_job_data(row["job_data"]),
                data_dir=self.settings.data_dir / run.job_type.name,  # each job type its own folder
                logger=job_logger,
                resumed=resumed,
            )
            outcome = execute_job(run.job_type, context, self._store, on_start=run.attach)
        except Exception as exc:  # the producer library itself failed (an invalid apiId, the store): a failure
            logger.exception("long job %s could not run", run.job_uuid)
            outcome = JobOutcome(LongJobEvent.fail, error=exc)
        try:
            self._end(run, outcome)
        except TaskProgressError as exc:  # the claim stays; the job is taken over once this node is gone
            logger.error("could not record the end of long job %s: %s", run.job_uuid, exc)
        finally:
            with self._lock:
                self._runs.pop(run.job_uuid, None)
            self._wake.set()  # a worker is free

    def _end(self, run: Run, outcome: JobOutcome) -> None:
        result = outcome.result_json
        with self._store.connect(write=True) as conn:
            row = long_jobs_sql.get_job(conn, run.job_uuid, for_update=True)
            if row is None or row["run_token"] != run.token:
                return  # taken over, or its claim was released: a newer run owns the job now
            current = LongJobState(row["state"])
            if run.reason == "stopping" and outcome.event is LongJobEvent.suspend and current is S.Running:
                if run.job_type.supports_suspend:
                    # Released, still Running: the next claim (here after a restart, or another node) resumes it.
                    long_jobs_sql.update_run(conn, run.job_uuid, run.token, {"run_token": None, "updated_at": now_ms()})
                    return
                after, result = S.Failed, f"{NODE_STOPPING} and the job type {run.job_type.name} cannot resume"
            else:
                after = state_after_run(current, outcome.event)
            now = now_ms()
            values = {**state_values(row, after, now), "run_token": None}
            if is_final(after):
                values["job_result"] = result
            long_jobs_sql.update_run(conn, run.job_uuid, run.token, values)
        logger.info("long job %s (%s) is %s", run.job_uuid, run.job_type.name, after)
        if is_final(after):
            end_progress(self._store, run.api_id, now, succeeded=after is S.Succeeded)
