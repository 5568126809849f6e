"""Run one job type inside its progress stream and say how it ended, for the job runner.

``execute_job`` is the part of ZStack's ``LongJobManagerImpl.doStartJob`` that does not touch the database:
it opens ``taskprogress.api(context.api_id, job_type.task_name, sink, finish=False)``, hands the ``ApiRun`` to
the caller (who keeps it to interrupt the job from another thread), calls the job, writes the final ``"100"``
on success as ZStack does before marking the job Succeeded, and turns the ending into a ``JobOutcome``
whose ``event`` goes to ``next_state``. The runner persists the state and the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

import taskprogress
from taskprogress.errors import TaskProgressError
from taskprogress.jobs.errors import JobFailed
from taskprogress.jobs.registry import JobContext, JobType
from taskprogress.jobs.states import LongJobEvent, event_for_error
from taskprogress.reporting.context import ApiRun, Sink
from taskprogress.reporting.interruptions import Interrupted


@dataclass(frozen=True)
class JobOutcome:
    """How a job's run ended: ``event`` is succeed, fail, suspend or canceled."""

    event: LongJobEvent
    result: dict[str, Any] | None = None  # the job's return value, on succeed
    error: BaseException | None = None  # what it raised, otherwise

    @property
    def result_json(self) -> str | None:
        """The result as stored in ``jobResult``: JSON text on success, else the error's message."""
        if self.result is not None:
            return orjson.dumps(self.result).decode()
        return None if self.error is None else str(self.error)


def execute_job(
    job_type: JobType,
    context: JobContext,
    sink: Sink,
    *,
    on_start: Callable[[ApiRun], None] | None = None,
) -> JobOutcome:
    """Run ``job_type`` with ``context``, reporting into ``sink``; never raises for the job's own failures.

    ``on_start(run)`` is called inside the block, before the job, with the ``ApiRun`` to interrupt.
    """
    with taskprogress.api(context.api_id, job_type.task_name, sink=sink, finish=False) as run:
        try:
            if on_start is not None:
                on_start(run)
            taskprogress.check()  # interrupted before it even began
            returned = job_type.run(context)
            result = _json_result(job_type, returned)
        except Exception as exc:
            if not isinstance(exc, TaskProgressError):
                context.logger.error("long job %s (%s) failed", context.job_uuid, job_type.name, exc_info=exc)
            return JobOutcome(event_for_error(exc), error=exc)
        # The work is done: a cancel that arrives now is too late (Canceling + succeed = Succeeded in the
        # table), so it must not stop the final 100 either.
        run.interruption = None
        try:
            taskprogress.report(100)
        except Interrupted:  # a cancel landed between the two lines above: still too late
            run.interruption = None
            taskprogress.report(100)
    return JobOutcome(LongJobEvent.succeed, result=result)


def _json_result(job_type: JobType, returned: Mapping[str, Any] | None) -> dict[str, Any]:
    if returned is None:
        return {}
    if not isinstance(returned, Mapping):
        raise JobFailed(f"job type {job_type.name} returned {type(returned).__name__}, not a dict")
    result = dict(returned)
    try:
        orjson.dumps(result)
    except TypeError as exc:
        raise JobFailed(f"job type {job_type.name} returned a result that is not JSON: {exc}") from None
    return result
