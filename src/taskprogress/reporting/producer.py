"""Reporting primitives: ``api``, ``step``, ``subtask``, ``report``, ``stage``, ``parallel``.

Every function is a no-op outside ``api(...)`` or while ``progress.on`` is false, so code that reports
progress also runs where nobody is listening. Invalid arguments raise ``InvalidArgument`` either way.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from taskprogress.core.stages import FULL, Range, check_percent
from taskprogress.errors import InvalidArgument, TaskProgressError, invalid_api_id
from taskprogress.ids import is_valid_uuid, new_record_id, new_uuid
from taskprogress.reporting.context import ApiRun, Scope, Sink, active_scope, current_scope
from taskprogress.store.ops import PROGRESS, TASK, CreateParallel, FinishApi, Record, SlotRef, StartApi

logger = logging.getLogger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _check_total(total_steps: int | None) -> int | None:
    if total_steps is not None and (
        isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 0
    ):
        raise InvalidArgument(f"total_steps must be an integer >= 0, got {total_steps!r}")
    return total_steps


def _quiet_flush(sink: Sink) -> None:
    """Flush on scope exit without letting a storage failure replace the caller's own outcome."""
    try:
        sink.flush()
    except TaskProgressError as exc:
        logger.error("progress could not be written: %s", exc)


@contextlib.contextmanager
def api(
    api_id: str, task_name: str, sink: Sink, *, finish: bool = True, total_steps: int | None = None
) -> Iterator[ApiRun]:
    """Bind ``api_id`` and ``task_name`` for everything reported inside the block.

    On exit, pending records are written and the API is marked finished (its progress then expires after
    ``progress.deleteDelay``), unless ``finish=False``, as for a long job that goes on elsewhere.
    ``total_steps`` declares how many root steps the API has (served as ``totalSteps``).
    """
    if not is_valid_uuid(api_id):
        raise invalid_api_id(api_id)
    if not isinstance(task_name, str) or not task_name:
        raise InvalidArgument("task_name must be a non-empty string")
    _check_total(total_steps)
    run = ApiRun(api_id, task_name, sink)
    if sink.progress_enabled:
        sink.submit(StartApi(api_id, task_name, total_steps, _now_ms()))
        run.started = True
    token = current_scope.set(Scope(run, task_name, None, FULL, (), total_steps, current_scope.get()))
    failed = False
    try:
        yield run
    except BaseException:
        failed = True
        raise
    finally:
        current_scope.reset(token)
        run.closed.set()  # report_until tickers of this block stop
        if finish and run.started:
            sink.submit(FinishApi(api_id, _now_ms(), learn_steps=not failed))
        _quiet_flush(sink)


def step(fmt: str, *args: Any) -> None:
    """A ``Task`` record: a step has started. ``content`` is ``fmt``, ``arguments`` the JSON of ``args``."""
    scope = active_scope()
    if scope is None:
        return
    scope.run.sink.submit(_task_record(scope, new_record_id(), fmt, args))


def _task_record(scope: Scope, task_uuid: str, fmt: str, args: Sequence[Any]) -> Record:
    if not isinstance(fmt, str):
        raise InvalidArgument(f"a step's format must be a string, got {fmt!r}")
    return Record(
        scope.run.api_id,
        task_uuid,
        scope.parent_uuid,
        scope.task_name,
        TASK,
        fmt,
        _json(list(args)),
        None,
        None,
        _now_ms(),
        total_steps=scope.total_steps,
    )


@contextlib.contextmanager
def subtask(fmt: str, *args: Any, total_steps: int | None = None) -> Iterator[None]:
    """A ``Task`` record that opens a scope: records inside get its ``taskUuid`` as ``parentUuid`` and ``fmt``
    as ``taskName``. Leaving the block closes the scope, so two sub-tasks in a row are siblings."""
    _check_total(total_steps)
    scope = active_scope()
    if scope is None:
        yield
        return
    task_uuid = new_record_id()
    scope.run.sink.submit(_task_record(scope, task_uuid, fmt, args))
    inner = Scope(scope.run, fmt, task_uuid, scope.range, scope.slots, total_steps, scope)
    token = current_scope.set(inner)
    try:
        yield
    finally:
        current_scope.reset(token)
        _quiet_flush(scope.run.sink)


def report(percent: float, detail: dict[str, Any] | None = None) -> None:
    """A ``Progress`` record. ``percent`` is 0-100 of the current stage (outside any stage: of the API).

    ``detail`` (a JSON-able dict) is served as ``opaque``.
    """
    # The hot path of every producer: plain numbers in range skip the full check (NaN fails the comparison).
    if (type(percent) is not float and type(percent) is not int) or not 0 <= percent <= 100:
        check_percent(percent)
    if detail is not None and not isinstance(detail, dict):
        raise InvalidArgument(f"detail must be a dict, got {type(detail).__name__}")
    scope = active_scope()
    if scope is None:
        return
    scope.run.sink.submit(_progress_record(scope, scope.range.absolute(percent), detail))


def _progress_record(
    scope: Scope, absolute: float, detail: dict[str, Any] | None = None, only_while_running: bool = False
) -> Record:
    return Record(
        scope.run.api_id,
        new_record_id(),
        scope.parent_uuid,
        scope.task_name,
        PROGRESS,
        None,
        "[]",
        None if detail is None else _json(detail),
        absolute,
        time.time_ns() // 1_000_000,
        scope.slots,
        None,
        only_while_running,
    )


@contextlib.contextmanager
def stage(start: float, end: float) -> Iterator[Range]:
    """Map local 0-100 into ``start``-``end`` of the current range, nesting like ZStack's ``markTaskStage``
    (parent 10-50, stage 0-90: reports inside land in 10-46). Yields the absolute range."""
    scope = current_scope.get()
    absolute = (scope.range if scope else FULL).sub(start, end)
    if scope is None:
        yield absolute
        return
    token = current_scope.set(
        Scope(scope.run, scope.task_name, scope.parent_uuid, absolute, scope.slots, scope.total_steps, scope)
    )
    try:
        yield absolute
    finally:
        current_scope.reset(token)


@dataclass(frozen=True)
class ParallelStage:
    """One weighted share of a parallel stage. A worker enters it with ``with sub:`` inside the same API
    (another thread via ``wrap``, or another process inside ``api(sub.api_id, ..., finish=False)``) and
    reports 0-100 of its own share. It is plain data, so it can be sent to another process."""

    api_id: str
    stage_uuid: str
    index: int
    range: Range
    outer_slots: tuple[SlotRef, ...]

    @property
    def slot(self) -> SlotRef:
        return SlotRef(self.stage_uuid, self.index)

    def __enter__(self) -> ParallelStage:
        scope = current_scope.get()
        if not self.api_id:  # made outside any API: nothing to report into
            return self
        if scope is None or scope.run.api_id != self.api_id:
            raise InvalidArgument(f"enter a parallel sub-stage inside taskprogress.api({self.api_id!r}, ...)")
        current_scope.set(
            Scope(
                scope.run,
                scope.task_name,
                scope.parent_uuid,
                self.range,
                (self.slot, *self.outer_slots),
                scope.total_steps,
                scope,
            )
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        scope = current_scope.get()
        if scope is not None and scope.slots[:1] == (self.slot,):
            current_scope.set(scope.outer)
        if scope is not None:
            _quiet_flush(scope.run.sink)


def parallel(weights: Sequence[float]) -> list[ParallelStage]:
    """Split the current range by ``weights`` into sub-stages that run in parallel.

    The API's percent is the weighted sum of all sub-stages' progress; the shares' ends meet exactly and the
    last ends at the current range's end. The shared state is in the store, so workers in several processes
    agree. Outside an API (or with progress off) the sub-stages still work, and report nothing.
    """
    scope = current_scope.get()
    outer = scope.range if scope else FULL
    ranges = outer.split(weights)
    stage_uuid = new_uuid()
    api_id = scope.run.api_id if scope else ""
    slots = scope.slots if scope else ()
    active = active_scope()
    if active is not None:
        sink = active.run.sink
        sink.submit(CreateParallel(api_id, stage_uuid, outer.start, _now_ms(), [(r.start, r.end) for r in ranges]))
        sink.flush()  # workers in other processes must find the stage in the store
    return [ParallelStage(api_id, stage_uuid, i, r, slots) for i, r in enumerate(ranges)]


def check() -> None:
    """A cancellation point for code that reports rarely: raises Canceled or Suspended when asked to stop."""
    active_scope()


def flush() -> None:
    """Write every pending record of the current API now; raises StorageError if some were lost."""
    scope = current_scope.get()
    if scope is not None:
        scope.run.sink.flush()


def current_api_id() -> str | None:
    scope = current_scope.get()
    return scope.run.api_id if scope else None
