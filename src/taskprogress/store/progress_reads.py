"""The GetTaskProgress queries."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from taskprogress.core.summary import Sample, summarize
from taskprogress.store.tables import parallel_slot, progress_api, task_progress

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


def driver_rows(conn: sa.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` (``:name`` parameters) straight on the driver, inside the connection's transaction.

    For the statements of every GetTaskProgress poll: SQLAlchemy's per-statement cost (~40 us) is several
    times that of these indexed lookups (~5-10 us on SQLite), and that decides how many polls a server answers.
    """
    if conn.dialect.name == "postgresql":
        sql = _NAMED_PARAMETER.sub(r"%(\1)s", sql)  # psycopg's named style
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


_NAMED_PARAMETER = re.compile(r"(?<!:):([a-z_]+)")


def newest_with_ancestors(conn: sa.Connection, api_id: str) -> list[dict[str, Any]]:
    return driver_rows(conn, NEWEST_WITH_ANCESTORS.text, {"api_id": api_id})


def all_records(conn: sa.Connection, api_id: str) -> list[dict[str, Any]]:
    return driver_rows(conn, ALL_RECORDS.text, {"api_id": api_id})


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


# For push delivery (streams, long polls): an API's records in seq order after a position, and its newest seq.
# Within one API, seq order is commit order (writers lock the API's progress_api row), so "after seq N" never
# skips a record that commits later.
_RECORDS_AFTER = (
    f"SELECT {_COLUMNS} FROM task_progress WHERE api_id = :api_id AND seq > :after AND seq <= :upto"
    " ORDER BY seq LIMIT :limit"
)
_NEWEST_SEQ = "SELECT seq FROM task_progress WHERE api_id = :api_id ORDER BY seq DESC LIMIT 1"
_NO_UPPER_BOUND = 2**63 - 1


def records_after(
    conn: sa.Connection, api_id: str, after_seq: int, *, upto_seq: int | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Up to ``limit`` records with ``after_seq < seq <= upto_seq``, oldest first, each with its ``seq``."""
    upto = _NO_UPPER_BOUND if upto_seq is None else upto_seq
    return driver_rows(conn, _RECORDS_AFTER, {"api_id": api_id, "after": after_seq, "upto": upto, "limit": limit})


def newest_seq(conn: sa.Connection, api_id: str) -> int:
    """The seq of the API's newest record; 0 when it has none."""
    rows = driver_rows(conn, _NEWEST_SEQ, {"api_id": api_id})
    return int(rows[0]["seq"]) if rows else 0


# The inputs of an API's summary (``core.summary``) in two indexed driver-level reads, for every GetTaskProgress:
# the API's row with the mean duration of earlier runs, and the one sample the rate needs (the oldest Progress
# record in the window among the newest ``limit``: the one ``core.summary.rate_per_second`` measures from).
_SUMMARY_STATE = """
SELECT p.task_name, p.percent, p.started_at, p.progressed_at, p.finished_at, h.mean_duration_ms
  FROM progress_api p LEFT JOIN run_history h ON h.task_name = p.task_name
 WHERE p.api_id = :api_id
"""
_OLDEST_IN_WINDOW = """
SELECT time, content FROM (
    SELECT seq, time, content FROM task_progress
     WHERE api_id = :api_id AND type = 'Progress' ORDER BY seq DESC LIMIT :limit
) recent WHERE time >= :since ORDER BY seq LIMIT 1
"""


def progress_summary(
    conn: sa.Connection, api_id: str, now: int, window_ms: int, stall_after_ms: int, limit: int = 200
) -> dict[str, Any] | None:
    """``{"taskName", **core.summary.summarize(...)}`` for the API; None when it has no progress."""
    rows = driver_rows(conn, _SUMMARY_STATE, {"api_id": api_id})
    if not rows:
        return None
    state = rows[0]
    first = driver_rows(conn, _OLDEST_IN_WINDOW, {"api_id": api_id, "limit": limit, "since": now - window_ms})
    return {
        "taskName": state["task_name"],
        **summarize(
            percent=state["percent"],
            started_at=state["started_at"],
            progressed_at=state["progressed_at"],
            finished_at=state["finished_at"],
            now=now,
            samples=[Sample(first[0]["time"], float(first[0]["content"]))] if first else [],
            mean_duration_ms=state["mean_duration_ms"],
            window_ms=window_ms,
            stall_after_ms=stall_after_ms,
        ),
    }
