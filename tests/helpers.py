"""Small helpers shared by the tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any


def new_api_id() -> str:
    return uuid.uuid4().hex


def walk(forest: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every inventory of an ``all=true`` reply, depth first in served order."""
    for node in forest:
        yield node
        yield from walk(node.get("subTasks", []))


def progress_contents(store: Any, api_id: str) -> list[str]:
    """The ``content`` of the API's Progress records in insertion order."""
    with store.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT content FROM task_progress WHERE api_id = '{api_id}' AND type = 'Progress' ORDER BY seq"
        ).all()
    return [r[0] for r in rows]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
