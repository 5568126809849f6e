"""``ScriptedJob``: runs a script of producer operations from jobData, so every primitive of the producer
library can be driven over HTTP (demos, black-box tests).

jobData: ``{"script": [...operations...], "result": {...}}`` (``result`` optional). The operations and their
limits are described in ``taskprogress.jobs.script_format``; the script is validated whole at submission
and again before running, so a bad one never half-runs.

Parallel branches run in threads, each inside its weighted share (``with sub:``), with the job's reporting
context carried over by ``taskprogress.wrap``. When a branch fails, the other branches stop at their next
operation or within 0.05 s of a ``sleep``, and the first failure is the job's.

Cancel: every operation and every 0.05 s of a wait is a cancellation point. Suspend and resume: a resumed
ScriptedJob runs its script again from the start, in the same progress stream. A script has no state to
save, and replaying it is what a demo or a test of resume wants to see.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import taskprogress
from taskprogress.jobs.errors import InvalidJobData, ScriptFailed
from taskprogress.jobs.registry import JobContext, JobType
from taskprogress.jobs.script_format import (
    Fail,
    Operation,
    Parallel,
    Progress,
    Sleep,
    Stage,
    Step,
    Subtask,
    Until,
    count_operations,
    parse_script,
)

JOB_NAME = "ScriptedJob"
WAIT_SLICE = 0.05  # longest stretch a sleep or an until waits without a cancellation check


def validate(job_data: Mapping[str, Any]) -> tuple[Operation, ...]:
    """The script of ``job_data``, validated; raises ``InvalidJobData`` naming the bad operation."""
    if "script" not in job_data:
        raise InvalidJobData("jobData.script is required: a list of operations")
    unknown = sorted(set(job_data) - {"script", "result"})
    if unknown:
        raise InvalidJobData(f'jobData: unknown key "{unknown[0]}" (a ScriptedJob takes script and result)')
    result = job_data.get("result")
    if result is not None and not isinstance(result, dict):
        raise InvalidJobData("jobData.result: a JSON object")
    return parse_script(job_data["script"])


def run_script(context: JobContext) -> dict[str, Any]:
    script = validate(context.job_data)
    _Interpreter().run(script)
    result = context.job_data.get("result")
    return dict(result) if result is not None else {"operations": count_operations(script)}


class _BranchAbandoned(Exception):
    """A sibling branch failed: this one stops."""


class _Interpreter:
    def __init__(self, abandons: tuple[threading.Event, ...] = ()) -> None:
        # One event per enclosing parallel stage, set when a sibling branch failed there.
        self._abandons = abandons

    def run(self, script: Sequence[Operation]) -> None:
        for op in script:
            self._checkpoint()
            self._run_one(op)

    def _checkpoint(self) -> None:
        taskprogress.check()
        if any(abandon.is_set() for abandon in self._abandons):
            raise _BranchAbandoned

    def _run_one(self, op: Operation) -> None:
        match op:
            case Step(fmt, args):
                taskprogress.step(fmt, *args)
            case Subtask(fmt, args, total_steps, script):
                with taskprogress.subtask(fmt, *args, total_steps=total_steps):
                    self.run(script)
            case Progress(percent, detail):
                taskprogress.report(percent, detail)
            case Stage(start, end, script):
                with taskprogress.stage(start, end):
                    self.run(script)
            case Parallel(weights, scripts):
                self._parallel(weights, scripts)
            case Until(percent, interval):
                ticker = taskprogress.report_until(percent, interval)
                try:
                    while not ticker.wait(WAIT_SLICE):
                        self._checkpoint()
                finally:
                    ticker.stop()
            case Sleep(seconds):
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    self._wait(min(WAIT_SLICE, left))
                    self._checkpoint()
            case Fail(message):
                raise ScriptFailed(message)

    def _wait(self, seconds: float) -> None:
        if self._abandons:
            self._abandons[-1].wait(seconds)  # the innermost ends the wait at once; outer ones within a slice
        else:
            time.sleep(seconds)

    def _parallel(self, weights: Sequence[float], scripts: Sequence[Sequence[Operation]]) -> None:
        shares = taskprogress.parallel(weights)
        abandon = threading.Event()
        failures: list[BaseException] = []  # in the order they happened: the first is the job's

        def branch(share: taskprogress.ParallelStage, script: Sequence[Operation]) -> None:
            try:
                with share:
                    _Interpreter((*self._abandons, abandon)).run(script)
            except _BranchAbandoned:
                pass
            except BaseException as exc:
                failures.append(exc)
                abandon.set()

        with ThreadPoolExecutor(len(shares), thread_name_prefix="scripted-job-branch") as pool:
            for share, script in zip(shares, scripts, strict=True):
                pool.submit(taskprogress.wrap(branch), share, script)
        if failures:
            raise failures[0]
        self._checkpoint()


SCRIPTED_JOB = JobType(JOB_NAME, run_script, supports_cancel=True, supports_suspend=True, validate=validate)
