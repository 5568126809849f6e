"""taskprogress: ZStack-compatible task progress.

Report progress from long-running code::

    store = taskprogress.Store.open("sqlite:////var/lib/taskprogress/progress.db")
    with taskprogress.api(api_id, "org.zstack.header.vm.APICreateVmInstanceMsg", sink=store):
        taskprogress.step("Choose backup storage for downloading the image")
        with taskprogress.subtask("create a volume[%s] on the local storage", "Root"):
            with taskprogress.stage(0, 90):
                taskprogress.report(50)          # stored as 45

and read it the way ZStack's GetTaskProgress serves it: ``store.get_task_progress(api_id, all=True)``.
"""

from taskprogress.core.stages import Range
from taskprogress.errors import InvalidArgument, NotFound, StorageError, TaskProgressError
from taskprogress.reporting.context import ApiRun, wrap
from taskprogress.reporting.interruptions import Canceled, Interrupted, Suspended, TimedOut
from taskprogress.reporting.producer import (
    ParallelStage,
    api,
    check,
    current_api_id,
    flush,
    parallel,
    report,
    stage,
    step,
    subtask,
)
from taskprogress.reporting.ticker import Ticker, report_until
from taskprogress.store import Store

__all__ = [
    "ApiRun",
    "Canceled",
    "Interrupted",
    "InvalidArgument",
    "NotFound",
    "ParallelStage",
    "Range",
    "StorageError",
    "Store",
    "Suspended",
    "TaskProgressError",
    "Ticker",
    "TimedOut",
    "api",
    "check",
    "current_api_id",
    "flush",
    "parallel",
    "report",
    "report_until",
    "stage",
    "step",
    "subtask",
    "wrap",
]
