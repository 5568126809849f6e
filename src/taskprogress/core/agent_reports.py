"""Agent progress reports (ZStack's ``ProgressReportCmd``): validation and placement in the progress tree.

Agents (kvmagent, ceph, sftp...) echo back the thread context the management node put in their command, and
the report lands where ZStack would put it (``ProgressReportService``, spec §2.4 and §4.7):

- ``taskUuid`` is the top of ``threadContextStack`` (its last element); ``parentUuid`` the element below it;
- an empty stack gives a fresh ``taskUuid`` per report and no parent (a root);
- a one-element stack is a root too. ZStack would make the apiId its parent, an orphan that no record has as
  ``taskUuid`` and that breaks ``all=true``; no producer makes such a stack, only a hand-made agent does.

Unlike ZStack, every field is checked before anything is stored: a bad report is refused as a whole, and a
batch is refused as a whole when one of its reports is bad (the error names its index).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from taskprogress.core.stages import Range
from taskprogress.errors import InvalidArgument
from taskprogress.ids import is_valid_uuid, new_record_id

REPORT_PATH = "/progress/report"
BATCH_PATH = "/progress/report-batch"
MAX_BATCH_REPORTS = 1000
MAX_REPORT_BYTES = 256 * 1024
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_STACK_DEPTH = 1024  # ZStack never pops the stack, so deep ones are legitimate; only the top two matter
MAX_TASK_NAME = 1024  # the ``taskName`` column
# When the context has no ``task-name`` (ZStack then fails on ``taskName NOT NULL`` and answers 500).
UNNAMED_TASK = "agent report"

# ZStack's uuids are 32 hex characters; hand-made stacks (the spec's scenario 25 uses "x") are accepted as
# long as they fit the ``taskUuid`` column and are plain identifiers.
_STACK_ITEM = re.compile(r"[0-9A-Za-z_-]{1,32}")
_DECIMAL = re.compile(r"[0-9]{1,3}(\.[0-9]{1,12})?")


class InvalidReport(InvalidArgument):
    """The report is malformed; nothing of the request was stored."""


class UnknownCommand(InvalidArgument):
    """No handler for this ``commandpath``."""


@dataclass(frozen=True, slots=True)
class AgentReport:
    """One validated report, placed. ``api_id`` None: the context has no ``api``, so nothing is stored."""

    api_id: str | None
    task_uuid: str
    parent_uuid: str | None
    task_name: str
    percent: float
    opaque: str | None  # the ``detail`` object as JSON text


def check_command_path(command_path: str | None) -> str:
    """The ``commandpath`` header names the handler: InvalidReport when missing, UnknownCommand when unknown."""
    if command_path is None:
        raise InvalidReport("missing header 'commandpath'")
    if command_path not in (REPORT_PATH, BATCH_PATH):
        raise UnknownCommand(f"no command handler for commandpath[{command_path}]")
    return command_path


def max_body_bytes(command_path: str) -> int:
    """How large a body the command may have (checked before it is read in full)."""
    return MAX_BATCH_BYTES if command_path == BATCH_PATH else MAX_REPORT_BYTES


def decode_command(
    command_path: str | None, body: bytes, *, new_id: Callable[[], str] = new_record_id
) -> list[AgentReport]:
    """The reports carried by one ``POST /asyncrest/sendcommand``, every one validated and placed.

    Raises InvalidReport (a missing ``commandpath``, malformed JSON, a bad field) or UnknownCommand.
    """
    command_path = check_command_path(command_path)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidReport(f"malformed JSON body: {exc}") from None
    if command_path == REPORT_PATH:
        return [parse_report(data, new_id=new_id)]
    return parse_batch(data, new_id=new_id)


def parse_batch(data: object, *, new_id: Callable[[], str] = new_record_id) -> list[AgentReport]:
    """``{"reports": [ProgressReportCmd, ...]}``: at most MAX_BATCH_REPORTS, all valid or none taken."""
    if not isinstance(data, dict):
        raise InvalidReport('the body must be a JSON object {"reports": [ProgressReportCmd, ...]}')
    reports = data.get("reports")
    if not isinstance(reports, list):
        raise InvalidReport('the body must have "reports": a JSON array of ProgressReportCmd objects')
    if len(reports) > MAX_BATCH_REPORTS:
        raise InvalidReport(f"a batch holds at most {MAX_BATCH_REPORTS} reports, got {len(reports)}")
    placed = []
    for i, report in enumerate(reports):
        try:
            placed.append(parse_report(report, new_id=new_id))
        except InvalidReport as exc:
            raise InvalidReport(f"reports[{i}]: {exc.details}") from None
    return placed


def parse_report(data: object, *, new_id: Callable[[], str] = new_record_id) -> AgentReport:
    """One ``ProgressReportCmd``. ``serverUuid``, ``processType``, ``resourceUuid``, ``serverType`` and unknown
    fields are ignored, as ZStack ignores them."""
    if not isinstance(data, dict):
        raise InvalidReport("a report must be a JSON object (ZStack's ProgressReportCmd)")
    percent = _percent(data.get("progress"))
    opaque = _detail(data.get("detail"))
    context = _optional(data, "threadContextMap", dict, "a JSON object") or {}
    stack = _stack(_optional(data, "threadContextStack", list, "a JSON array of strings") or [])
    api_id = _api_id(context)
    task_name = _task_name(context)
    _stage(context)
    if not stack:
        task_uuid, parent_uuid = new_id(), None
    else:
        task_uuid, parent_uuid = stack[-1], (stack[-2] if len(stack) > 1 else None)
    return AgentReport(api_id, task_uuid, parent_uuid, task_name, percent, opaque)


def _optional(data: Mapping[str, Any], key: str, kind: type, described: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise InvalidReport(f"{key} must be {described}, got {_show(value)}")
    return value


def _percent(value: object) -> float:
    """A number or a numeric string (agents send both) within 0-100, absolute: agents already mapped it into
    their ``task-stage``."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = float(value.strip())
    if number is None or not math.isfinite(number) or not 0 <= number <= 100:
        raise InvalidReport(
            f"progress must be a number within 0-100 (or such a number as a string), got {_show(value)}"
        )
    return number


def _detail(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidReport(f"detail must be a JSON object (it is served as opaque), got {_show(value)}")
    return orjson.dumps(value).decode()


def _stack(stack: list[Any]) -> list[str]:
    if len(stack) > MAX_STACK_DEPTH:
        raise InvalidReport(f"threadContextStack holds at most {MAX_STACK_DEPTH} uuids, got {len(stack)}")
    for i, item in enumerate(stack):
        if not isinstance(item, str) or not _STACK_ITEM.fullmatch(item):
            raise InvalidReport(
                f"threadContextStack[{i}] must be a uuid (1 to 32 letters, digits, '-' or '_'), got {_show(item)}"
            )
    return stack


def _api_id(context: Mapping[str, Any]) -> str | None:
    api_id = context.get("api")
    if api_id is not None and not is_valid_uuid(api_id):
        raise InvalidReport(
            f"threadContextMap.api must be an apiId (32 lower-case hex characters), got {_show(api_id)}"
        )
    return api_id


def _task_name(context: Mapping[str, Any]) -> str:
    name = context.get("task-name")
    if name is None or name == "":
        return UNNAMED_TASK
    if not isinstance(name, str) or len(name) > MAX_TASK_NAME:
        raise InvalidReport(
            f"threadContextMap.task-name must be a string of at most {MAX_TASK_NAME} characters, got {_show(name)}"
        )
    return name


def _stage(context: Mapping[str, Any]) -> None:
    """Checked only: the agent has already mapped its percent into this stage."""
    stage = context.get("task-stage")
    if stage is None:
        return
    try:
        if not isinstance(stage, str):
            raise InvalidArgument(f"a stage is written 'start-end', got {stage!r}")
        Range.parse(stage)
    except InvalidArgument as exc:
        raise InvalidReport(f"threadContextMap.task-stage: {exc.details}") from None


def _show(value: object) -> str:
    """A value as it appeared in the JSON, shortened so an error message stays readable."""
    text = orjson.dumps(value, default=repr).decode()
    return text if len(text) <= 80 else text[:77] + "..."
