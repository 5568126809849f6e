"""Job types: plain Python callables registered under a ``jobName``.

A job type's callable takes a ``JobContext`` and returns a JSON-able dict (the job's result) or raises. It runs
inside ``taskprogress.api(context.api_id, job_type.task_name, ..., finish=False)`` opened by the job runner,
and reports with the producer library (``taskprogress.step``, ``subtask``, ``report``, ``stage``...).
Cancellation and suspension are cooperative: the runner calls ``run.interrupt(taskprogress.Canceled)`` and the
job's next reporting call or ``taskprogress.check()`` raises it, so a job must never wait long without
calling one of them.

Users add job types without touching this code, through the ``taskprogress.jobs`` entry-point group; the
entry point's name is the ``jobName`` and its object a ``JobType`` or a plain callable::

    [project.entry-points."taskprogress.jobs"]
    APIBackupDatabaseMsg = "mypackage.jobs:backup_database"
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from taskprogress.jobs.errors import InvalidJobData, JobTypeError, UnknownJobType

ENTRY_POINT_GROUP = "taskprogress.jobs"

logger = logging.getLogger(__name__)

_JOB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,254}")


@dataclass(frozen=True)
class JobContext:
    """What a job is given to run with."""

    job_uuid: str
    api_id: str  # the progress stream: every record the job reports is stored under it
    job_data: Mapping[str, Any]  # the parsed jobData, already through the type's ``validate``
    data_dir: Path  # where the job keeps what it produces (for APIAddImageMsg: the image store folder)
    logger: logging.Logger = field(default=logger)
    resumed: bool = False  # True when the job runs again after a suspension or a restart of the server


JobFunction = Callable[[JobContext], Mapping[str, Any] | None]
DataValidator = Callable[[Mapping[str, Any]], object]  # raises; what it returns is ignored


@dataclass(frozen=True)
class JobType:
    """A kind of long job: its ``jobName``, the callable that does the work, and what it supports.

    ``supports_suspend`` covers suspend and resume: a resumed job is called again with ``resumed=True``.
    ``validate`` checks jobData at submission, before any job exists (raise ``InvalidJobData``).
    ``task_name`` is the ``taskName`` of the job's root records; ZStack writes the job class's
    ``Class.toString()`` there, and by default so do we, with the callable's module and name.
    """

    name: str
    run: JobFunction
    supports_cancel: bool = True
    supports_suspend: bool = False
    validate: DataValidator | None = None
    task_name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _JOB_NAME.fullmatch(self.name):
            raise JobTypeError(
                f"a job name is an identifier of at most 255 characters (letters, digits, '_', '.'), got {self.name!r}"
            )
        if not callable(self.run):
            raise JobTypeError(f"job type {self.name}: run must be callable, got {type(self.run).__name__}")
        if self.validate is not None and not callable(self.validate):
            raise JobTypeError(f"job type {self.name}: validate must be callable or None")
        if not self.task_name:
            module = getattr(self.run, "__module__", None) or "builtins"
            qualname = getattr(self.run, "__qualname__", None) or type(self.run).__qualname__
            object.__setattr__(self, "task_name", f"class {module}.{qualname}")

    def check_data(self, job_data: Mapping[str, Any]) -> None:
        """Raise ``InvalidJobData`` if this type cannot run with ``job_data``."""
        if not isinstance(job_data, Mapping):
            raise InvalidJobData(f"jobData must be a JSON object, got {type(job_data).__name__}")
        if self.validate is not None:
            self.validate(job_data)


def parse_job_data(text: str | bytes | Mapping[str, Any] | None) -> dict[str, Any]:
    """jobData as ZStack sends it (a JSON string holding an object) as a dict; None or "" is ``{}``."""
    if text is None or text == "" or text == b"":
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    if not isinstance(text, str | bytes):
        raise InvalidJobData(f"jobData must be a JSON string, got {type(text).__name__}")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidJobData(f"jobData is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidJobData(f"jobData must be a JSON object, got {type(value).__name__}")
    return value


class JobRegistry:
    """The job types a runner can run, by ``jobName``."""

    def __init__(self, job_types: Iterable[JobType] = ()) -> None:
        self._types: dict[str, JobType] = {}
        for job_type in job_types:
            self.register(job_type)

    def register(self, job_type: JobType, *, replace: bool = False) -> JobType:
        """Add ``job_type``; a second type with the same name is an error unless ``replace``."""
        if not isinstance(job_type, JobType):
            raise JobTypeError(f"register a JobType, got {type(job_type).__name__}")
        if not replace and job_type.name in self._types:
            raise JobTypeError(f"a job type named {job_type.name} is already registered")
        self._types[job_type.name] = job_type
        return job_type

    def get(self, name: str) -> JobType:
        """The job type called ``name``; an unknown name is ZStack's "%s is not an API" (SYS.1007)."""
        try:
            return self._types[name]
        except (KeyError, TypeError):
            raise UnknownJobType(name) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[JobType]:
        return iter([self._types[n] for n in self.names()])

    def __len__(self) -> int:
        return len(self._types)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every job type the installed distributions declare in ``group``; returns their names.

        A broken entry point (import error, wrong object, a name already taken) raises ``JobTypeError``
        naming it: a server should not start with a job type silently missing.
        """
        loaded = []
        for entry_point in sorted(metadata.entry_points(group=group), key=lambda ep: ep.name):
            where = f"entry point {entry_point.name} = {entry_point.value}"
            try:
                target = entry_point.load()
            except Exception as exc:
                raise JobTypeError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from exc
            job_type = _as_job_type(entry_point.name, target, where)
            if job_type.name in self._types:
                raise JobTypeError(f"{where}: a job type named {job_type.name} is already registered")
            self.register(job_type)
            loaded.append(job_type.name)
        return loaded


def _as_job_type(name: str, target: object, where: str) -> JobType:
    if isinstance(target, JobType):
        if target.name != name:
            raise JobTypeError(f"{where}: the entry point is named {name} but its job type {target.name}")
        return target
    if callable(target):
        return JobType(name, target)
    raise JobTypeError(f"{where} is neither a JobType nor a callable but {type(target).__name__}")
