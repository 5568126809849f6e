"""The reporting context, carried by ``contextvars`` (the Python counterpart of ZStack's thread context).

A ``Scope`` says where a report lands: which API, under which sub-task record, in which percent range, and in
which parallel sub-stages. Context managers push a new scope and pop it on exit, so, unlike ZStack, leaving a
``with`` block really ends it. Threads started by hand do not inherit a context: ``wrap`` carries it over;
asyncio tasks inherit it by themselves.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from taskprogress.core.stages import Range
from taskprogress.reporting.interruptions import Interrupted
from taskprogress.store.ops import Op, SlotRef


class Sink(Protocol):
    """Where reports go: a ``Store`` (or anything with the same four members)."""

    progress_enabled: bool

    def submit(self, op: Op) -> None: ...
    def flush(self) -> None: ...
    def position(self, api_id: str, slot: SlotRef | None = None) -> tuple[float, bool]: ...


@dataclass(eq=False)
class ApiRun:
    """One ``taskprogress.api(...)`` block."""

    api_id: str
    task_name: str
    sink: Sink
    started: bool = False
    closed: threading.Event = field(default_factory=threading.Event)
    interruption: tuple[type[Interrupted], str] | None = None

    def interrupt(self, kind: type[Interrupted], details: str | None = None) -> None:
        """Make the block's next reporting call (or ``check()``) raise ``kind``; callable from any thread."""
        self.interruption = (kind, details or (kind.__doc__ or "").strip())

    def raise_if_interrupted(self) -> None:
        if self.interruption is not None:
            kind, details = self.interruption
            raise kind(details)


@dataclass(frozen=True, slots=True)
class Scope:
    run: ApiRun
    task_name: str  # the records' taskName: the API's, or the enclosing sub-task's format string
    parent_uuid: str | None
    range: Range
    slots: tuple[SlotRef, ...]  # parallel sub-stages this scope reports into, innermost first
    total_steps: int | None  # declared number of steps in this scope
    outer: Scope | None


current_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("taskprogress_scope", default=None)


def active_scope() -> Scope | None:
    """The scope reports go to, or None when there is no API or progress is switched off.

    Raises the block's interruption (Canceled, Suspended) if the job runner asked for one.
    """
    scope = current_scope.get()
    if scope is None:
        return None
    if scope.run.interruption is not None:  # before the switch: a job is canceled even with progress off
        scope.run.raise_if_interrupted()
    if not scope.run.sink.progress_enabled:
        return None
    return scope


F = TypeVar("F", bound=Callable[..., Any])


def wrap(fn: F) -> F:
    """Carry the caller's reporting context into ``fn`` wherever it runs (a thread, an executor).

    Each call runs in its own copy of the context, so one wrapped function may run in many threads at once.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_context  # type: ignore[return-value]
