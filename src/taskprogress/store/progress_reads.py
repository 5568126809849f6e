"""The GetTaskProgress queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from taskprogress.store.tables import parallel_slot, progress_api, task_progress

_COLUMNS = "seq, task_uuid, parent_uuid, task_name, type, content, arguments, opaque, current_step, total_steps, time"

# The newest record and its ancestors in one indexed query, whatever the API's size. Each step up takes the
# newest earlier record whose taskUuid is the parentUuid (``seq <`` makes a cycle impossible); a missing
# ancestor ends the chain, so an orphan is served as a root.
NEWEST_WITH_ANCESTORS = sa.text(f"""
WITH RECURSIVE chain(depth, seq, parent_uuid) AS (
    SELECT 0, seq, parent_uuid FROM task_progress
     WHERE seq = (SELECT max(seq) FROM task_progress WHERE api_id = :api_id)
  UNION ALL
    SELECT chain.depth + 1, p.seq, p.parent_uuid
      FROM chain JOIN task_progress p
        ON p.seq = (SELECT max(q.seq) FROM task_progress q
                     WHERE q.api_id = :api_id AND q.task_uuid = chain.parent_uuid AND q.seq < chain.seq)
)
SELECT {", ".join("t." + c.strip() for c in _COLUMNS.split(","))}
  FROM chain JOIN task_progress t ON t.seq = chain.seq
 ORDER BY chain.depth DESC
""")

ALL_RECORDS = sa.text(f"SELECT {_COLUMNS} FROM task_progress WHERE api_id = :api_id ORDER BY seq")


def newest_with_ancestors(conn: sa.Connection, api_id: str) -> list[Any]:
    return list(conn.execute(NEWEST_WITH_ANCESTORS, {"api_id": api_id}).mappings())


def all_records(conn: sa.Connection, api_id: str) -> list[Any]:
    return list(conn.execute(ALL_RECORDS, {"api_id": api_id}).mappings())


def api_state(conn: sa.Connection, api_id: str) -> Any | None:
    return conn.execute(sa.select(progress_api).where(progress_api.c.api_id == api_id)).mappings().first()


def slot_value(conn: sa.Connection, stage_uuid: str, idx: int) -> float | None:
    return conn.execute(
        sa.select(parallel_slot.c.value).where(
            (parallel_slot.c.stage_uuid == stage_uuid) & (parallel_slot.c.idx == idx)
        )
    ).scalar_one_or_none()


def record_count(conn: sa.Connection, api_id: str) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(task_progress).where(task_progress.c.api_id == api_id)
    ).scalar_one()
