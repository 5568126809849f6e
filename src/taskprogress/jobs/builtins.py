"""The job types that ship with taskprogress."""

from __future__ import annotations

from taskprogress.jobs.add_image import ADD_IMAGE
from taskprogress.jobs.registry import JobRegistry, JobType
from taskprogress.jobs.scripted import SCRIPTED_JOB

BUILTIN_JOB_TYPES: tuple[JobType, ...] = (ADD_IMAGE, SCRIPTED_JOB)


def builtin_registry() -> JobRegistry:
    """A new registry holding the built-in job types (``APIAddImageMsg``, ``ScriptedJob``).

    Each call returns a fresh registry, so adding entry points or test types to one never leaks into another.
    """
    return JobRegistry(BUILTIN_JOB_TYPES)
