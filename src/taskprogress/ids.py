"""Identifiers: ZStack's uuids are 32 lower-case hex characters (a UUID without dashes)."""

from __future__ import annotations

import itertools
import os
import re
import uuid

_API_ID = re.compile(r"[0-9a-f]{32}")


def new_uuid() -> str:
    """A random uuid in ZStack's form."""
    return uuid.uuid4().hex


def is_valid_uuid(value: object) -> bool:
    """True for 32 lower-case hex characters, the only apiId form ZStack can query."""
    return isinstance(value, str) and _API_ID.fullmatch(value) is not None


class RecordIdFactory:
    """Unique record ids, cheap enough for the producer's hot path.

    A random 80-bit prefix per factory plus a 48-bit counter: unique across processes without paying
    for ``uuid4`` on every report. The prefix is renewed after ``fork`` so children never collide.
    """

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._prefix = os.urandom(10).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"


new_record_id = RecordIdFactory()
