"""The ScriptedJob script: its format, and its validation into typed operations before anything runs.

A script is a JSON list of operations, each an object with one operation key:

======================================================================  ===========================================
operation                                                               what it does
======================================================================  ===========================================
``{"step": fmt, "args": [...]}``                                        ``taskprogress.step(fmt, *args)``
``{"subtask": fmt, "args": [...], "totalSteps": n, "script": [...]}``   runs ``script`` inside
                                                                        ``taskprogress.subtask(fmt, *args,
                                                                        total_steps=n)``
``{"progress": p, "detail": {...}}``                                    ``taskprogress.report(p, detail)``
``{"stage": [start, end], "script": [...]}``                            runs ``script`` inside
                                                                        ``taskprogress.stage(start, end)``
``{"parallel": [w1, w2, ...], "scripts": [[...], [...]]}``              ``taskprogress.parallel(weights)``; each
                                                                        script runs in its own thread inside its
                                                                        weighted share, all at once
``{"until": p, "interval": seconds}``                                   ``taskprogress.report_until(p, interval)``,
                                                                        and waits until it ends
``{"sleep": seconds}``                                                  waits (a cancellation is seen within 0.05 s)
``{"fail": "message"}``                                                 the job fails with this message
======================================================================  ===========================================

``args``, ``detail`` and ``totalSteps`` are optional. Limits: at most 10,000 operations, nesting 10 deep,
64 parallel branches in all (16 in one ``parallel``), ``sleep`` 0-3600 s, ``interval`` 0.01-60 s, format
strings and messages of 1024 characters, ``args`` and ``detail`` of 64 KiB of JSON each. A script that
breaks a rule is refused before anything runs, with the path of the bad operation:
``script[2].scripts[1][0]: unknown operation "foo"``.

The job's result is ``{"operations": <count>}``, or jobData's ``"result"`` object when there is one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from taskprogress.jobs.errors import InvalidJobData

MAX_OPERATIONS = 10_000
MAX_DEPTH = 10
MAX_BRANCHES = 64
MAX_BRANCHES_PER_PARALLEL = 16
MAX_SLEEP = 3600.0
MIN_INTERVAL, MAX_INTERVAL = 0.01, 60.0
MAX_TEXT = 1024
MAX_JSON_BYTES = 64 * 1024


@dataclass(frozen=True)
class Step:
    fmt: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Subtask:
    fmt: str
    args: tuple[Any, ...]
    total_steps: int | None
    script: tuple[Operation, ...]


@dataclass(frozen=True)
class Progress:
    percent: float
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class Stage:
    start: float
    end: float
    script: tuple[Operation, ...]


@dataclass(frozen=True)
class Parallel:
    weights: tuple[float, ...]
    scripts: tuple[tuple[Operation, ...], ...]


@dataclass(frozen=True)
class Until:
    percent: float
    interval: float


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Fail:
    message: str


Operation = Step | Subtask | Progress | Stage | Parallel | Until | Sleep | Fail

# The keys each operation may have besides its own; the first is the operation's key.
_KEYS: dict[str, tuple[str, ...]] = {
    "step": ("step", "args"),
    "subtask": ("subtask", "args", "totalSteps", "script"),
    "progress": ("progress", "detail"),
    "stage": ("stage", "script"),
    "parallel": ("parallel", "scripts"),
    "until": ("until", "interval"),
    "sleep": ("sleep",),
    "fail": ("fail",),
}


class _Budget:
    """What the whole script may still use: operations and parallel branches."""

    def __init__(self) -> None:
        self.operations = 0
        self.branches = 0


def parse_script(script: object, path: str = "script") -> tuple[Operation, ...]:
    """Validate a whole script into operations; raises ``InvalidJobData`` naming the first bad one."""
    return _parse_list(script, path, 1, _Budget())


def _parse_list(script: object, path: str, depth: int, budget: _Budget) -> tuple[Operation, ...]:
    if not isinstance(script, list):
        raise InvalidJobData(f"{path}: a script is a list of operations, got {_kind(script)}")
    if depth > MAX_DEPTH:
        raise InvalidJobData(f"{path}: scripts nest at most {MAX_DEPTH} deep")
    return tuple(_parse_operation(op, f"{path}[{i}]", depth, budget) for i, op in enumerate(script))


def _parse_operation(op: object, path: str, depth: int, budget: _Budget) -> Operation:
    budget.operations += 1
    if budget.operations > MAX_OPERATIONS:
        raise InvalidJobData(f"{path}: a script has at most {MAX_OPERATIONS} operations")
    if not isinstance(op, dict):
        raise InvalidJobData(f"{path}: an operation is a JSON object, got {_kind(op)}")
    kinds = [key for key in op if key in _KEYS]
    if len(kinds) != 1:
        unknown = [key for key in op if not any(key in keys for keys in _KEYS.values())]
        if not kinds and len(unknown) == 1:
            raise InvalidJobData(f'{path}: unknown operation "{unknown[0]}"')
        found = ", ".join(f'"{k}"' for k in kinds) or "none"
        raise InvalidJobData(f"{path}: an operation has exactly one of {', '.join(_KEYS)}; found {found}")
    kind = kinds[0]
    for key in op:
        if key not in _KEYS[kind]:
            raise InvalidJobData(f'{path}: unknown key "{key}" in a {kind} operation')
    return _PARSERS[kind](op, path, depth, budget)


def _step(op: dict[str, Any], path: str, _depth: int, _budget: _Budget) -> Step:
    return Step(_text(op["step"], f"{path}.step"), _args(op, path))


def _subtask(op: dict[str, Any], path: str, depth: int, budget: _Budget) -> Subtask:
    total = op.get("totalSteps")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise InvalidJobData(f"{path}.totalSteps: an integer >= 0, got {total!r}")
    script = _parse_list(op.get("script", []), f"{path}.script", depth + 1, budget)
    return Subtask(_text(op["subtask"], f"{path}.subtask"), _args(op, path), total, script)


def _progress(op: dict[str, Any], path: str, _depth: int, _budget: _Budget) -> Progress:
    detail = op.get("detail")
    if detail is not None:
        if not isinstance(detail, dict):
            raise InvalidJobData(f"{path}.detail: a JSON object, got {_kind(detail)}")
        _json_size(detail, f"{path}.detail")
    return Progress(_percent(op["progress"], f"{path}.progress"), detail)


def _stage(op: dict[str, Any], path: str, depth: int, budget: _Budget) -> Stage:
    bounds = op["stage"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise InvalidJobData(f"{path}.stage: [start, end], got {bounds!r}")
    start, end = (_percent(b, f"{path}.stage[{i}]") for i, b in enumerate(bounds))
    if start > end:
        raise InvalidJobData(f"{path}.stage: start must not exceed end, got {start}-{end}")
    return Stage(start, end, _parse_list(op.get("script", []), f"{path}.script", depth + 1, budget))


def _parallel(op: dict[str, Any], path: str, depth: int, budget: _Budget) -> Parallel:
    weights, scripts = op["parallel"], op.get("scripts")
    if not isinstance(weights, list) or not 1 <= len(weights) <= MAX_BRANCHES_PER_PARALLEL:
        raise InvalidJobData(f"{path}.parallel: a list of 1 to {MAX_BRANCHES_PER_PARALLEL} weights")
    for i, weight in enumerate(weights):
        if not _is_number(weight) or not math.isfinite(weight) or weight < 0:
            raise InvalidJobData(f"{path}.parallel[{i}]: a weight is a finite number >= 0, got {weight!r}")
    if not isinstance(scripts, list) or len(scripts) != len(weights):
        raise InvalidJobData(f"{path}.scripts: one script per weight ({len(weights)}), got {_kind(scripts)}")
    budget.branches += len(weights)
    if budget.branches > MAX_BRANCHES:
        raise InvalidJobData(f"{path}: a script runs at most {MAX_BRANCHES} parallel branches in all")
    return Parallel(
        tuple(float(w) for w in weights),
        tuple(_parse_list(s, f"{path}.scripts[{i}]", depth + 1, budget) for i, s in enumerate(scripts)),
    )


def _until(op: dict[str, Any], path: str, _depth: int, _budget: _Budget) -> Until:
    interval = op.get("interval")
    if not _is_number(interval) or not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise InvalidJobData(f"{path}.interval: seconds within {MIN_INTERVAL}-{MAX_INTERVAL}, got {interval!r}")
    return Until(_percent(op["until"], f"{path}.until"), float(interval))


def _sleep(op: dict[str, Any], path: str, _depth: int, _budget: _Budget) -> Sleep:
    seconds = op["sleep"]
    if not _is_number(seconds) or not 0 <= seconds <= MAX_SLEEP:
        raise InvalidJobData(f"{path}.sleep: seconds within 0-{MAX_SLEEP:g}, got {seconds!r}")
    return Sleep(float(seconds))


def _fail(op: dict[str, Any], path: str, _depth: int, _budget: _Budget) -> Fail:
    return Fail(_text(op["fail"], f"{path}.fail"))


_PARSERS = {
    "step": _step,
    "subtask": _subtask,
    "progress": _progress,
    "stage": _stage,
    "parallel": _parallel,
    "until": _until,
    "sleep": _sleep,
    "fail": _fail,
}


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidJobData(f"{path}: a string, got {_kind(value)}")
    if len(value) > MAX_TEXT:
        raise InvalidJobData(f"{path}: at most {MAX_TEXT} characters, got {len(value)}")
    return value


def _args(op: Mapping[str, Any], path: str) -> tuple[Any, ...]:
    args = op.get("args", [])
    if not isinstance(args, list):
        raise InvalidJobData(f"{path}.args: a list, got {_kind(args)}")
    _json_size(args, f"{path}.args")
    return tuple(args)


def _percent(value: object, path: str) -> float:
    if not _is_number(value) or not 0 <= value <= 100:
        raise InvalidJobData(f"{path}: a percent within 0-100, got {value!r}")
    return float(value)


def _json_size(value: object, path: str) -> None:
    try:
        size = len(orjson.dumps(value))
    except TypeError as exc:
        raise InvalidJobData(f"{path}: not JSON: {exc}") from None
    if size > MAX_JSON_BYTES:
        raise InvalidJobData(f"{path}: at most {MAX_JSON_BYTES} bytes of JSON, got {size}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if _is_number(value) else type(value).__name__)


def count_operations(script: Sequence[Operation]) -> int:
    total = 0
    for op in script:
        total += 1
        if isinstance(op, Subtask | Stage):
            total += count_operations(op.script)
        elif isinstance(op, Parallel):
            total += sum(count_operations(s) for s in op.scripts)
    return total
