"""API jobs (ZStack's AsyncRestVO, plus the owner) and the tenancy-aware progress reads that depend on them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from taskprogress.core.inventory import build_forest, to_inventory
from taskprogress.store import progress_reads
from taskprogress.store.server_tables import api_job
from taskprogress.store.tables import progress_api

PROCESSING = "processing"


def insert_job(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Record a new job; False, writing nothing, when the id is already taken (a duplicate X-Job-UUID)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
    inserted = dialect.insert(api_job).values(**row).on_conflict_do_nothing().returning(api_job.c.id)
    return conn.execute(inserted).first() is not None


def job_exists(conn: sa.Connection, job_id: str) -> bool:
    return conn.execute(sa.select(api_job.c.id).where(api_job.c.id == job_id)).first() is not None


def get_job(conn: sa.Connection, job_id: str) -> Any | None:
    return conn.execute(sa.select(api_job).where(api_job.c.id == job_id)).mappings().first()


def finish_job(conn: sa.Connection, job_id: str, *, state: str, status_code: int, result: str, now_ms: int) -> None:
    conn.execute(
        sa.update(api_job)
        .where(api_job.c.id == job_id)
        .values(state=state, status_code=status_code, result=result, finished_at=now_ms)
    )


def delete_finished_jobs(conn: sa.Connection, finished_before_ms: int) -> int:
    """Forget results older than the cutoff; jobs still processing are never purged (as ZStack)."""
    j = api_job.c
    return conn.execute(
        sa.delete(api_job).where((j.state != PROCESSING) & (j.finished_at <= finished_before_ms))
    ).rowcount


def running_jobs(conn: sa.Connection, account_uuid: str | None) -> list[Any]:
    """Jobs still processing, oldest first, with their progress summary; ``None`` means every account's."""
    j = api_job.c
    query = (
        sa.select(j.id, j.api_name, j.account_uuid, j.created_at, progress_api.c.percent, progress_api.c.last_time)
        .outerjoin(progress_api, progress_api.c.api_id == j.id)
        .where(j.state == PROCESSING)
        .order_by(j.created_at, j.id)
    )
    if account_uuid is not None:
        query = query.where(j.account_uuid == account_uuid)
    return list(conn.execute(query).mappings())


def job_owner(conn: sa.Connection, job_id: str) -> Any | None:
    """(account_uuid, state) of the job, or None when there is no such job."""
    return conn.execute(sa.select(api_job.c.account_uuid, api_job.c.state).where(api_job.c.id == job_id)).first()


def task_progress(conn: sa.Connection, api_id: str, *, all: bool) -> list[dict[str, Any]]:
    """The core's GetTaskProgress reads, on the caller's connection so a tenancy check shares its transaction."""
    if all:
        return build_forest(progress_reads.all_records(conn, api_id))
    return [to_inventory(row) for row in progress_reads.newest_with_ancestors(conn, api_id)]


def progress_state(conn: sa.Connection, api_id: str) -> Any | None:
    return progress_reads.api_state(conn, api_id)
