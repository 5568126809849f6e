"""Job types a test server loads through the ``taskprogress.jobs`` entry points of a real ``*.dist-info``.

``GateJob`` and ``ResumableGateJob`` report 10 % and then wait, checking for a cancellation every 20 ms, until
the file ``jobData.gate`` exists; its text ``fail`` fails the job, anything else succeeds it. They let a test
decide exactly when a job ends, with no timing guesses. Only the second can be suspended and resumed.
"""

from __future__ import annotations

import time
from pathlib import Path

import taskprogress
from taskprogress.jobs import JobContext, JobFailed, JobType


def wait_for_gate(context: JobContext) -> dict:
    taskprogress.report(10)
    gate = Path(context.job_data["gate"])
    while not gate.exists():
        taskprogress.check()
        time.sleep(0.02)
    if gate.read_text().strip() == "fail":
        raise JobFailed("the gate said fail")
    return {"resumed": context.resumed}


GATE_JOB = JobType("GateJob", wait_for_gate, supports_cancel=True, supports_suspend=False)
RESUMABLE_GATE_JOB = JobType("ResumableGateJob", wait_for_gate, supports_cancel=True, supports_suspend=True)
