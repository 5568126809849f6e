"""Typed results: ZStack's inventories as dataclasses (snake_case fields), the progress summary, stream events.

Every ``from_json`` ignores keys it does not know, so a newer server does not break an older SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiResult",
    "LongJob",
    "ProgressEvent",
    "ProgressSummary",
    "Session",
    "TaskProgress",
]


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """ZStack's ``TaskProgressInventory``: a step (``type == "Task"``) or a percentage (``"Progress"``)."""

    task_uuid: str
    task_name: str
    type: str
    time: int  # epoch milliseconds
    parent_uuid: str | None = None
    content: str | None = None  # a step's text; a Progress record's percent, e.g. "40"
    arguments: str | None = None  # the format arguments as a JSON string, as ZStack serves them
    opaque: dict[str, Any] | None = None
    total_steps: int | None = None
    current_step: int | None = None
    sub_tasks: tuple[TaskProgress, ...] = ()

    @property
    def percent(self) -> float | None:
        """A Progress record's percent as a number; None for a step."""
        if self.type != "Progress" or self.content is None:
            return None
        try:
            return float(self.content)
        except ValueError:
            return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskProgress:
        return cls(
            task_uuid=data["taskUuid"],
            task_name=data.get("taskName", ""),
            type=data.get("type", ""),
            time=int(data.get("time", 0)),
            parent_uuid=data.get("parentUuid"),
            content=data.get("content"),
            arguments=data.get("arguments"),
            opaque=data.get("opaque"),
            total_steps=data.get("totalSteps"),
            current_step=data.get("currentStep"),
            sub_tasks=tuple(cls.from_json(child) for child in data.get("subTasks") or ()),
        )


@dataclass(frozen=True, slots=True)
class ProgressSummary:
    """Where an API stands (the server's ``summary``, not in ZStack). Absent values are None."""

    api_id: str
    state: str | None = None  # the API job's: processing, succeeded, failed; None when there is no job
    percent: float | None = None
    finished: bool = False  # its progress is finished
    task_name: str | None = None
    started_at: int | None = None  # epoch ms
    last_progress_at: int | None = None
    finished_at: int | None = None
    rate: float | None = None  # percent points per second, recently
    eta_seconds: float | None = None
    eta_basis: str | None = None  # rate, history, unknown, finished
    stalled: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProgressSummary:
        return cls(
            api_id=data.get("apiId", ""),
            state=data.get("state"),
            percent=data.get("percent"),
            finished=bool(data.get("finished", False)),
            task_name=data.get("taskName"),
            started_at=data.get("startedAt"),
            last_progress_at=data.get("lastProgressAt"),
            finished_at=data.get("finishedAt"),
            rate=data.get("rate"),
            eta_seconds=data.get("etaSeconds"),
            eta_basis=data.get("etaBasis"),
            stalled=bool(data.get("stalled", False)),
        )


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One change of an API, as ``watch()`` yields it.

    - ``kind == "progress"``: a new ``record`` (flat: its ``parent_uuid`` places it; see ``ProgressTree``);
    - ``kind == "summary"``: a new ``summary``;
    - ``kind == "finished"``: the last event; ``state`` is the API job's result state when there is a job.
    """

    kind: str
    id: str  # the stream's event id ("57", "57-2"); what a resumed stream starts after
    seq: int  # the newest record's seq so far
    record: TaskProgress | None = None
    summary: ProgressSummary | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """ZStack's ``SessionInventory``; dates as the server writes them (``Jan 1, 2017 9:31:06 AM``)."""

    uuid: str
    account_uuid: str
    user_uuid: str
    expired_date: str | None = None
    create_date: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        return cls(
            uuid=data["uuid"],
            account_uuid=data.get("accountUuid", ""),
            user_uuid=data.get("userUuid", ""),
            expired_date=data.get("expiredDate"),
            create_date=data.get("createDate"),
        )


@dataclass(frozen=True, slots=True)
class LongJob:
    """ZStack's ``LongJobInventory``."""

    uuid: str
    job_name: str
    state: str
    name: str | None = None
    description: str | None = None
    api_id: str | None = None
    job_data: str | None = None
    job_result: str | None = None
    target_resource_uuid: str | None = None
    management_node_uuid: str | None = None
    create_date: str | None = None
    last_op_date: str | None = None
    execute_time: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LongJob:
        return cls(
            uuid=data["uuid"],
            job_name=data.get("jobName", ""),
            state=data.get("state", ""),
            name=data.get("name"),
            description=data.get("description"),
            api_id=data.get("apiId"),
            job_data=data.get("jobData"),
            job_result=data.get("jobResult"),
            target_resource_uuid=data.get("targetResourceUuid"),
            management_node_uuid=data.get("managementNodeUuid"),
            create_date=data.get("createDate"),
            last_op_date=data.get("lastOpDate"),
            execute_time=data.get("executeTime"),
        )


@dataclass(frozen=True, slots=True)
class ApiResult:
    """How an API ended (``wait()``): the job's state and result body, and the last summary."""

    api_id: str
    state: str | None  # succeeded (failed raises APIError); None when the API has no job on the server
    result: dict[str, Any] = field(default_factory=dict)  # the job's mapped result, e.g. {"inventory": ...}
    summary: ProgressSummary | None = None
