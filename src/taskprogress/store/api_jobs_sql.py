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


_RUNNING = (
    sa.select(
        api_job.c.id,
        api_job.c.api_name,
        api_job.c.account_uuid,
        api_job.c.created_at,
        progress_api.c.percent,
        progress_api.c.last_time,
    )
    .outerjoin(progress_api, progress_api.c.api_id == api_job.c.id)
    .where(api_job.c.state == PROCESSING)
    .order_by(api_job.c.created_at, api_job.c.id)
)
_RUNNING_OF_ACCOUNT = _RUNNING.where(api_job.c.account_uuid == sa.bindparam("account_uuid"))


def running_jobs(conn: sa.Connection, account_uuid: str | None) -> list[Any]:
    """Jobs still processing, oldest first, with their progress summary; ``None`` means every account's."""
    if account_uuid is None:
        return list(conn.execute(_RUNNING).mappings())
    return list(conn.execute(_RUNNING_OF_ACCOUNT, {"account_uuid": account_uuid}).mappings())


# The tenancy check and the progress summary of an apiId in one lookup; every column is NULL when absent.
# A long job's apiId is its own: owned by the job's account (its submit record expires after 3 h, the job may
# run 72 h) and processing until the job is final (its submit call returned long ago).
_JOB_AND_PROGRESS = """
SELECT COALESCE(l.account_uuid, j.account_uuid) AS account_uuid,
       CASE WHEN l.state IS NULL THEN j.state
            WHEN l.state = 'Succeeded' THEN 'succeeded'
            WHEN l.state IN ('Failed', 'Canceled') THEN 'failed'
            ELSE 'processing' END AS state,
       p.api_id AS progress_api_id, p.percent, p.finished_at
  FROM (SELECT 1 AS one) AS x
  LEFT JOIN api_job j ON j.id = :api_id
  LEFT JOIN long_job l ON l.api_id = :api_id
  LEFT JOIN progress_api p ON p.api_id = :api_id
"""


def job_and_progress(conn: sa.Connection, api_id: str) -> dict[str, Any]:
    """The API job's owner and state, and the API's progress summary (``progress_api_id`` None: no progress)."""
    return progress_reads.driver_rows(conn, _JOB_AND_PROGRESS, {"api_id": api_id})[0]


def task_progress(conn: sa.Connection, api_id: str, *, all: bool) -> list[dict[str, Any]]:
    """The core's GetTaskProgress reads, on the caller's connection so a tenancy check shares its transaction."""
    if all:
        return build_forest(progress_reads.all_records(conn, api_id))
    return [to_inventory(row) for row in progress_reads.newest_with_ancestors(conn, api_id)]
