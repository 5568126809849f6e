"""Progress records to ZStack's ``TaskProgressInventory`` dicts, and the trees GetTaskProgress serves.

Inventories are JSON-ready and ZStack-shaped: null fields are left out, ``time`` is epoch milliseconds as an
integer, ``arguments`` stays a JSON *string*, ``opaque`` is an object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson


def to_inventory(row: Mapping[str, Any]) -> dict[str, Any]:
    inventory: dict[str, Any] = {
        "taskUuid": row["task_uuid"],
        "taskName": row["task_name"],
        "type": row["type"],
        "time": int(row["time"]),
    }
    if row["parent_uuid"] is not None:
        inventory["parentUuid"] = row["parent_uuid"]
    if row["content"] is not None:
        inventory["content"] = row["content"]
    if row["arguments"] is not None:
        inventory["arguments"] = row["arguments"]
    if row["opaque"] is not None:
        inventory["opaque"] = orjson.loads(row["opaque"])
    if row["total_steps"] is not None:
        inventory["totalSteps"] = row["total_steps"]
    if row["current_step"] is not None:
        inventory["currentStep"] = row["current_step"]
    return inventory


def build_forest(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``all=true`` reply from an API's records in insertion order.

    A record hangs under the newest *earlier* record whose ``taskUuid`` is its ``parentUuid``; one whose
    parent is not there (never written, or already gone) is served as a root, so the call never fails and a
    malformed report cannot create a cycle. Roots and every ``subTasks`` list come out in insertion order.
    """
    roots: list[dict[str, Any]] = []
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        node = to_inventory(row)
        parent = latest.get(row["parent_uuid"]) if row["parent_uuid"] is not None else None
        if parent is None:
            roots.append(node)
        else:
            parent.setdefault("subTasks", []).append(node)
        latest[row["task_uuid"]] = node
    return roots
