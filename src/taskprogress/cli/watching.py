"""``watch``: an API's progress as it happens, then how it ended.

``follow()`` reads ``Client.watch()`` (the server's event stream, or polls) and hands each change to a view:

- ``LiveView`` (a terminal): rich bars, the API's overall bar on top with rate and ETA, one bar per sub-task,
  each step printed above the bars as it starts;
- ``PlainView`` (a pipe, a log file, ``--plain``): one line per change, no escape codes, e.g.
  ``12:00:01   45%  rate 1.2%/s  eta 46s (rate)  step 2/3: Download the image[ttylinux]``.

Both end with the result: the long job's final state and ``jobResult`` when the API is a long job's, else the API
job's state and result (its ZStack error when it failed).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Protocol, TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from taskprogress.cli import render
from taskprogress.cli.connect import describe, sdk_errors
from taskprogress.cli.failure import CANCELED, FAILED
from taskprogress.sdk import APIError, Client, ProgressEvent, ProgressNode, ProgressSummary, ProgressTree, TaskProgress


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str | None  # a long job's (Succeeded, Failed, Canceled) or an API job's (succeeded, failed); None: no job
    result: str | None = None

    @property
    def exit_code(self) -> int:
        if self.state in ("Canceled",):
            return CANCELED
        if self.state is not None and self.state.lower() in ("failed", "canceling"):
            return FAILED
        return 0


class Changes:
    """What the events so far add up to: the tree, the newest summary, where each record sits.

    A Progress record's percent is of the *whole* API (stages map local percents into it before it is written),
    so it is the bar of every sub-task it is inside, and the newest one is the overall percent.
    """

    def __init__(self) -> None:
        self.tree = ProgressTree()
        self.summary: ProgressSummary | None = None
        self.latest_percent: float | None = None  # the highest reported: a bar that never goes back
        self._nodes: dict[str, ProgressNode] = {}

    def add(self, record: TaskProgress) -> ProgressNode | None:
        """Adds the record; returns the node it hangs under (None: a root)."""
        parent = self._nodes.get(record.parent_uuid) if record.parent_uuid else None
        self._nodes[record.task_uuid] = self.tree.add(record)
        if record.percent is not None:
            self.latest_percent = max(record.percent, self.latest_percent or 0.0)
        return parent

    def ancestors(self, record: TaskProgress) -> list[ProgressNode]:
        """The sub-tasks the record is inside, innermost first."""
        out = []
        parent_uuid = record.parent_uuid
        while parent_uuid is not None and (node := self._nodes.get(parent_uuid)) is not None and len(out) < 64:
            out.append(node)
            parent_uuid = node.record.parent_uuid
        return out

    def depth(self, record: TaskProgress) -> int:
        return len(self.ancestors(record))

    @property
    def percent(self) -> float | None:
        """The overall percent: the summary's, or the reports' when they are ahead (the summary lags by an event)."""
        known = [p for p in (self.latest_percent, self.summary.percent if self.summary else None) if p is not None]
        return max(known) if known else None


class View(Protocol):
    def on_record(self, changes: Changes, record: TaskProgress, parent: ProgressNode | None) -> None: ...
    def on_summary(self, changes: Changes) -> None: ...
    def finish(self, changes: Changes, outcome: Outcome) -> None: ...
    def close(self) -> None: ...


def follow(client: Client, api_id: str, view: View, timeout: float | None = None) -> Outcome:
    changes = Changes()
    finished: ProgressEvent | None = None
    try:
        with sdk_errors():
            for event in client.watch(api_id, timeout=timeout):
                if event.kind == "progress" and event.record is not None:
                    view.on_record(changes, event.record, changes.add(event.record))
                elif event.kind == "summary" and event.summary is not None:
                    changes.summary = event.summary
                    view.on_summary(changes)
                elif event.kind == "finished":
                    changes.summary = event.summary or changes.summary
                    finished = event
            outcome = _outcome(client, api_id, finished)
        view.finish(changes, outcome)
    finally:
        view.close()
    return outcome


def _outcome(client: Client, api_id: str, finished: ProgressEvent | None) -> Outcome:
    jobs = client.list_long_jobs(f"apiId={api_id}", limit=1)
    if jobs:
        return Outcome(jobs[0].state, jobs[0].job_result)
    state = finished.state if finished is not None else None
    if state is None:
        return Outcome(None)
    try:
        result = client.wait(api_id, timeout=30)
    except APIError as exc:
        return Outcome("failed", describe(exc))
    return Outcome(result.state or state, json.dumps(result.result, separators=(",", ":")) if result.result else None)


def result_line(outcome: Outcome) -> str:
    if outcome.state is None:
        return "finished (no job on the server)"
    return f"{outcome.state}" + (f"  result: {outcome.result}" if outcome.result else "")


class PlainView:
    """One line per change; a change repeated (the same percent and text) is not printed twice."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._last: tuple[object, ...] | None = None
        self._stalled = False

    def on_record(self, changes: Changes, record: TaskProgress, parent: ProgressNode | None) -> None:
        if record.type == "Task":
            what = render.step_text(record)
            if parent is not None:
                what = f"{render.text_of(parent.record)} > {what}"
        elif parent is not None:
            what = f"{render.text_of(parent.record)}: {render.percent_text(record.percent).strip()}"
            if record.opaque:
                what += f"  {json.dumps(record.opaque, separators=(',', ':'))}"
        else:
            what = ""
        self._line(changes, what, record.time)

    def on_summary(self, changes: Changes) -> None:
        stalled = bool(changes.summary and changes.summary.stalled)
        if stalled != self._stalled:
            self._stalled = stalled
            self._line(changes, "no progress lately" if stalled else "moving again", None)

    def finish(self, changes: Changes, outcome: Outcome) -> None:
        percent = changes.summary.percent if changes.summary and changes.summary.percent is not None else None
        self._write(f"{render.clock()}  {render.percent_text(percent)}  {result_line(outcome)}")

    def close(self) -> None:
        self._out.flush()

    def _line(self, changes: Changes, what: str, at: int | None) -> None:
        percent = changes.percent
        key = (None if percent is None else round(percent), what, self._stalled)
        if key == self._last:
            return
        self._last = key
        parts = [render.clock(at), render.percent_text(percent), render.rate_eta(changes.summary), what]
        self._write("  ".join(part for part in parts if part))

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


class LiveView:
    """Rich bars redrawn in place: overall on top (rate, ETA and its basis), one per sub-task below."""

    def __init__(self, console: Console, title: str = "overall") -> None:
        self._console = console
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[info]}", style="dim"),
            console=console,
            refresh_per_second=10,
        )
        self._overall = self._progress.add_task(escape(title), total=100, info="waiting for progress")
        self._bars: dict[str, TaskID] = {}
        self._progress.start()

    def on_record(self, changes: Changes, record: TaskProgress, parent: ProgressNode | None) -> None:
        if record.type == "Task":
            indent = "  " * changes.depth(record)
            step = escape(render.step_text(record))
            self._progress.console.print(f"[dim]{render.clock(record.time)}[/]  {indent}{step}")
        elif record.percent is not None:
            for node in changes.ancestors(record):
                bar = self._bars.get(node.record.task_uuid)
                if bar is None:
                    name = "  " * (changes.depth(node.record) + 1) + escape(render.text_of(node.record))
                    bar = self._progress.add_task(name, total=100, info="of the whole job")
                    self._bars[node.record.task_uuid] = bar
                self._progress.update(bar, completed=record.percent)
        if changes.percent is not None:
            self._progress.update(self._overall, completed=changes.percent)

    def on_summary(self, changes: Changes) -> None:
        info = render.rate_eta(changes.summary)
        self._progress.update(self._overall, info=info)
        if changes.percent is not None:
            self._progress.update(self._overall, completed=changes.percent)

    def finish(self, changes: Changes, outcome: Outcome) -> None:
        if changes.summary is not None and changes.summary.percent is not None:
            self._progress.update(self._overall, completed=changes.summary.percent, info="")
        self._progress.stop()
        style = render.state_style(outcome.state)
        self._console.print(f"[{style}]{outcome.state or 'finished'}[/]", end="")
        self._console.print(f"  result: {outcome.result}" if outcome.result else "", markup=False, highlight=False)

    def close(self) -> None:
        self._progress.stop()


def make_view(plain: bool | None, title: str = "overall") -> View:
    """``plain`` None: bars on a terminal, lines anywhere else."""
    console = Console(highlight=False)
    if plain or (plain is None and not console.is_terminal):
        return PlainView()
    return LiveView(console, title)
