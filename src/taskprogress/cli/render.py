"""How progress reads in a terminal, without I/O: a record's text with its arguments filled in, percent bars,
rate and ETA, times, and the ``progress`` command's tree (a rich ``Tree``)."""

from __future__ import annotations

import json
import time
from dataclasses import fields, is_dataclass
from typing import Any

from rich.text import Text
from rich.tree import Tree

from taskprogress.sdk import ProgressSummary, TaskProgress

BAR_WIDTH = 20


def text_of(record: TaskProgress) -> str:
    """A step's content with its arguments filled in (``Download the image[%s]`` + ``["ttylinux"]``), as ZStack's
    UIs show it; the content as it is when the arguments do not fit."""
    content = record.content or ""
    try:
        arguments = json.loads(record.arguments) if record.arguments else []
    except ValueError:
        return content
    if not arguments or not isinstance(arguments, list):
        return content
    try:
        return content % tuple(arguments)
    except (TypeError, ValueError):
        return f"{content} {record.arguments}"


def clock(epoch_ms: int | None = None) -> str:
    """Local wall-clock time, ``HH:MM:SS``; now when no time is given."""
    return time.strftime("%H:%M:%S", time.localtime(epoch_ms / 1000 if epoch_ms else time.time()))


def percent_text(percent: float | None) -> str:
    return " --%" if percent is None else f"{percent:3.0f}%"


def bar(percent: float | None, width: int = BAR_WIDTH) -> str:
    """A text bar (no escape codes, so it also reads in a log file)."""
    filled = 0 if percent is None else round(max(0.0, min(100.0, percent)) * width / 100)
    return "█" * filled + "░" * (width - filled)


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def rate_eta(summary: ProgressSummary | None) -> str:
    """``rate 1.2%/s  eta 46s (rate)``; ``stalled`` when the server says so."""
    if summary is None:
        return ""
    parts = []
    if summary.rate is not None:
        parts.append(f"rate {summary.rate:.1f}%/s")
    if summary.eta_basis == "finished":
        pass
    elif summary.eta_seconds is not None:
        parts.append(f"eta {duration(summary.eta_seconds)} ({summary.eta_basis or 'unknown'})")
    elif summary.eta_basis:
        parts.append("eta unknown")
    if summary.stalled:
        parts.append("STALLED")
    return "  ".join(parts)


def step_text(record: TaskProgress) -> str:
    if record.current_step is not None and record.total_steps and record.current_step <= record.total_steps:
        return f"step {record.current_step}/{record.total_steps}: {text_of(record)}"
    if record.current_step is not None:
        return f"step {record.current_step}: {text_of(record)}"
    return f"step: {text_of(record)}"


def progress_tree(api_id: str, records: list[TaskProgress], summary: ProgressSummary | None) -> Tree:
    """GetTaskProgress as a tree: the API with its summary on top, steps (``Task``) as branches, and each run of
    percentages (``Progress``) folded into its newest one (with how many reports it stands for)."""
    head = Text(f"API {api_id}", style="bold")
    if summary is not None:
        head.append(f"  {summary.state or 'no job'}", style=state_style(summary.state))
        head.append(f"  {bar(summary.percent)} {percent_text(summary.percent).strip()}")
        if extra := rate_eta(summary):
            head.append(f"  {extra}", style="dim")
    tree = Tree(head)
    _add(tree, records)
    return tree


def _add(branch: Tree, records: tuple[TaskProgress, ...] | list[TaskProgress]) -> None:
    index = 0
    while index < len(records):
        record = records[index]
        if record.type == "Progress":
            run = index
            while run + 1 < len(records) and records[run + 1].type == "Progress" and not records[run].sub_tasks:
                run += 1
            branch.add(_progress_label(records[run], run - index + 1))
            _add(branch, records[run].sub_tasks)  # a Progress record with children (rare): keep them
            index = run + 1
            continue
        _add(branch.add(_task_label(record)), record.sub_tasks)
        index += 1


def _task_label(record: TaskProgress) -> Text:
    label = Text("Task ", style="bold cyan")
    label.append(step_text(record))
    label.append(f"  {clock(record.time)}", style="dim")
    return label


def _progress_label(record: TaskProgress, reports: int) -> Text:
    label = Text("Progress ", style="bold green")
    label.append(f"{bar(record.percent)} {percent_text(record.percent).strip()}")
    label.append(f"  {clock(record.time)}", style="dim")
    if reports > 1:
        label.append(f"  ({reports} reports)", style="dim")
    if record.opaque:
        label.append(f"  {json.dumps(record.opaque, separators=(',', ':'))}", style="dim")
    return label


def state_style(state: str | None) -> str:
    return {"succeeded": "green", "Succeeded": "green", "failed": "red", "Failed": "red"}.get(state or "", "yellow")


def zstack_json(value: Any) -> Any:
    """An SDK model back in ZStack's JSON shape (camelCase keys, absent values left out), for ``--json``."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in fields(value):
            item = getattr(value, field.name)
            if item is None or item == ():
                continue
            out[_camel(field.name)] = zstack_json(item)
        return out
    if isinstance(value, list | tuple):
        return [zstack_json(item) for item in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
