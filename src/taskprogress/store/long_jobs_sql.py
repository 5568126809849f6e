"""Long jobs and management nodes: one function per query.

A run's claim is ``run_token``: claiming, ending and taking over a run are compare-and-set updates on it, so two
nodes (or a late run and a takeover) can never both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from taskprogress.store.long_job_tables import long_job, management_node
from taskprogress.store.progress_writes import upsert

j = long_job.c
n = management_node.c


def insert_job(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(long_job).values(**row))


def get_job(conn: sa.Connection, uuid: str, *, for_update: bool = False) -> Any | None:
    """The job's row; ``for_update`` locks it on PostgreSQL (SQLite writers are serialized already)."""
    query = sa.select(long_job).where(j.uuid == uuid)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def job_with_api_id(conn: sa.Connection, api_id: str) -> str | None:
    """The uuid of the job whose progress stream is ``api_id``, if any."""
    return conn.execute(sa.select(j.uuid).where(j.api_id == api_id).limit(1)).scalar_one_or_none()


def list_jobs(conn: sa.Connection, account_uuid: str | None) -> list[Any]:
    """Every job, oldest first; ``account_uuid`` keeps only that account's."""
    query = sa.select(long_job).order_by(j.created_at, j.uuid)
    if account_uuid is not None:
        query = query.where(j.account_uuid == account_uuid)
    return list(conn.execute(query).mappings())


def update_job(conn: sa.Connection, uuid: str, values: dict[str, Any]) -> None:
    conn.execute(sa.update(long_job).where(j.uuid == uuid).values(**values))


def delete_job(conn: sa.Connection, uuid: str) -> None:
    conn.execute(sa.delete(long_job).where(j.uuid == uuid))


def claimable_jobs(conn: sa.Connection, job_names: Iterable[str], limit: int) -> list[Any]:
    """Jobs no node runs that should run: Waiting ones, and Running ones whose run was released (a resume, a
    stopped node); resumptions first, then by age. Only job types this node knows."""
    query = (
        sa.select(j.uuid, j.state)
        .where(j.run_token.is_(None) & j.state.in_(("Waiting", "Running")) & j.job_name.in_(list(job_names)))
        .order_by(sa.case((j.state == "Running", 0), else_=1), j.created_at, j.uuid)
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def claim_job(conn: sa.Connection, uuid: str, *, state: str, token: str, node_uuid: str, now_ms: int) -> bool:
    """Start a run of the job if it is still unclaimed and in ``state``: it becomes Running on this node."""
    claimed = conn.execute(
        sa.update(long_job)
        .where((j.uuid == uuid) & j.run_token.is_(None) & (j.state == state))
        .values(state="Running", run_token=token, management_node_uuid=node_uuid, updated_at=now_ms)
        .returning(j.uuid)
    )
    return claimed.first() is not None


def update_run(conn: sa.Connection, uuid: str, token: str, values: dict[str, Any]) -> bool:
    """Update the job only while the run ``token`` still holds it; False when it was taken over or is gone."""
    updated = conn.execute(
        sa.update(long_job).where((j.uuid == uuid) & (j.run_token == token)).values(**values).returning(j.uuid)
    )
    return updated.first() is not None


def run_states(conn: sa.Connection, tokens: Iterable[str]) -> dict[str, str]:
    """The current state of each run in ``tokens`` that still holds its job, by token."""
    tokens = list(tokens)
    if not tokens:
        return {}
    rows = conn.execute(sa.select(j.run_token, j.state).where(j.run_token.in_(tokens)))
    return {row.run_token: row.state for row in rows}


def orphaned_runs(conn: sa.Connection, alive_since_ms: int) -> list[Any]:
    """Claimed jobs whose node has no heartbeat since ``alive_since_ms`` (dead, or gone from the table)."""
    alive = sa.select(n.uuid).where(n.heartbeat_at >= alive_since_ms)
    query = sa.select(long_job).where(
        j.run_token.is_not(None) & (j.management_node_uuid.is_(None) | j.management_node_uuid.not_in(alive))
    )
    return list(conn.execute(query).mappings())


def beat(conn: sa.Connection, node_uuid: str, hostname: str, *, started_at: int, now_ms: int) -> None:
    """Record that the node is alive (inserting it on its first beat)."""
    upsert(
        conn,
        management_node,
        {"uuid": node_uuid, "hostname": hostname, "started_at": started_at, "heartbeat_at": now_ms},
        ("uuid",),
    )


def delete_node(conn: sa.Connection, node_uuid: str) -> None:
    conn.execute(sa.delete(management_node).where(n.uuid == node_uuid))


def delete_dead_nodes(conn: sa.Connection, alive_since_ms: int) -> int:
    return conn.execute(sa.delete(management_node).where(n.heartbeat_at < alive_since_ms)).rowcount
