"""What producers ask the store to write. The group-commit writer applies a batch of these in order."""

from __future__ import annotations

from dataclasses import dataclass, field

TASK = "Task"
PROGRESS = "Progress"


@dataclass(frozen=True, slots=True)
class SlotRef:
    """A sub-stage of a parallel stage: a report in it raises that sub-stage's value."""

    stage_uuid: str
    idx: int


@dataclass(slots=True)
class StartApi:
    api_id: str
    task_name: str
    total_steps: int | None
    time: int


@dataclass(slots=True)
class Record:
    """One ``Task`` or ``Progress`` record.

    For a Progress record ``percent`` is absolute (0-100 of the API); the store raises each parallel slot in
    ``slots`` (innermost first), then clamps so the served percent never goes backwards.
    """

    api_id: str
    task_uuid: str
    parent_uuid: str | None
    task_name: str
    type: str
    content: str | None
    arguments: str | None
    opaque: str | None
    percent: float | None
    time: int
    slots: tuple[SlotRef, ...] = ()
    total_steps: int | None = None
    # A report_until tick: dropped, atomically, if the API has finished by the time it is written.
    only_while_running: bool = False


@dataclass(slots=True)
class FinishApi:
    api_id: str
    time: int
    learn_steps: bool = True


@dataclass(slots=True)
class CreateParallel:
    api_id: str
    stage_uuid: str
    stage_start: int
    time: int
    subs: list[tuple[int, int]] = field(default_factory=list)


Op = StartApi | Record | FinishApi | CreateParallel
