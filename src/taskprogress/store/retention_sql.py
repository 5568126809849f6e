"""Deleting expired progress, in small batches so readers and writers are never blocked for long."""

from __future__ import annotations

import sqlalchemy as sa

from taskprogress.store.tables import parallel_slot, progress_api, task_progress


def expired_api_ids(conn: sa.Connection, now_ms: int, ttl_ms: int, limit: int) -> list[str]:
    """APIs whose delete delay has passed since they finished, or whose newest record is older than the TTL.

    The TTL is judged per API (its newest record), so a long-running API never loses only its ancestors.
    """
    p = progress_api.c
    return list(
        conn.execute(
            sa.select(p.api_id)
            .where((p.delete_at <= now_ms) | (p.last_time <= now_ms - ttl_ms))
            .order_by(p.api_id)
            .limit(limit)
        ).scalars()
    )


def delete_records(conn: sa.Connection, api_id: str, batch_size: int) -> int:
    """Delete up to ``batch_size`` of the API's records (oldest first); returns how many went."""
    batch = (
        sa.select(task_progress.c.seq)
        .where(task_progress.c.api_id == api_id)
        .order_by(task_progress.c.seq)
        .limit(batch_size)
        .scalar_subquery()
    )
    return conn.execute(sa.delete(task_progress).where(task_progress.c.seq.in_(batch))).rowcount


def drop_api(conn: sa.Connection, api_id: str, now_ms: int, ttl_ms: int) -> bool:
    """Forget the API once its records are gone, unless a record or a restart arrived meanwhile."""
    p = progress_api.c
    no_records = ~sa.exists().where(task_progress.c.api_id == api_id)
    still_expired = (p.delete_at <= now_ms) | (p.last_time <= now_ms - ttl_ms)
    gone = conn.execute(sa.delete(progress_api).where((p.api_id == api_id) & no_records & still_expired))
    if gone.rowcount:
        conn.execute(sa.delete(parallel_slot).where(parallel_slot.c.api_id == api_id))
    return bool(gone.rowcount)
