"""The GetTaskProgress queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from taskprogress.store.tables import parallel_slot, progress_api, run_history, task_progress

_COLUMNS = "seq, task_uuid, parent_uuid, task_name, type, content, arguments, opaque, current_step, total_steps, time"

# The newest record and its ancestors in one indexed query, whatever the API's size. Each row carries the
# seq of its parent: the newest *earlier* record whose taskUuid is its parentUuid (``q.seq <`` makes a cycle
# impossible). A missing ancestor ends the chain, so an orphan is served as a root. Every step is a primary-key
# or index probe; the rows travel through the CTE whole, so nothing joins back to the table.
_CHAIN_COLUMNS = ", ".join(c.strip() for c in _COLUMNS.split(","))


def _parent_seq(alias: str) -> str:
    return (
        f"(SELECT q.seq FROM task_progress q WHERE q.api_id = :api_id AND q.task_uuid = {alias}.parent_uuid"
        f" AND q.seq < {alias}.seq ORDER BY q.seq DESC LIMIT 1)"
    )


NEWEST_WITH_ANCESTORS = sa.text(f"""
WITH RECURSIVE chain(depth, parent_seq, {_CHAIN_COLUMNS}) AS (
    SELECT 0, {_parent_seq("t")}, {", ".join("t." + c.strip() for c in _COLUMNS.split(","))}
      FROM task_progress t
     WHERE t.seq = (SELECT seq FROM task_progress WHERE api_id = :api_id ORDER BY seq DESC LIMIT 1)
  UNION ALL
    SELECT chain.depth + 1, {_parent_seq("p")}, {", ".join("p." + c.strip() for c in _COLUMNS.split(","))}
      FROM chain JOIN task_progress p ON p.seq = chain.parent_seq
)
SELECT {_CHAIN_COLUMNS} FROM chain ORDER BY depth DESC
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


def recent_percents(conn: sa.Connection, api_id: str, limit: int = 200) -> list[tuple[int, float]]:
    """(time, served percent) of the API's newest Progress records, newest first."""
    t = task_progress.c
    rows = conn.execute(
        sa.select(t.time, t.content)
        .where((t.api_id == api_id) & (t.type == "Progress"))
        .order_by(t.seq.desc())
        .limit(limit)
    )
    return [(row.time, float(row.content)) for row in rows]


def mean_duration_ms(conn: sa.Connection, task_name: str) -> int | None:
    return conn.execute(
        sa.select(run_history.c.mean_duration_ms).where(run_history.c.task_name == task_name)
    ).scalar_one_or_none()
