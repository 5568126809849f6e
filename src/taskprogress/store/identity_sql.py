"""Accounts and sessions: one function per query. Every function runs on a connection from ``Store.connect``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from taskprogress.store.server_tables import account, account_session

_SESSION_WITH_ACCOUNT = sa.select(
    account_session.c.uuid,
    account_session.c.account_uuid,
    account_session.c.created_at,
    account_session.c.expired_at,
    account.c.type.label("account_type"),
).join(account, account.c.uuid == account_session.c.account_uuid)


def insert_account(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Create an account; False when its uuid or name is taken (nothing is written then)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
    inserted = dialect.insert(account).values(**row).on_conflict_do_nothing().returning(account.c.uuid)
    return conn.execute(inserted).first() is not None


def account_by_name(conn: sa.Connection, name: str) -> Any | None:
    return conn.execute(sa.select(account).where(account.c.name == name)).mappings().first()


def account_by_uuid(conn: sa.Connection, uuid: str) -> Any | None:
    return conn.execute(_ACCOUNT_BY_UUID, {"uuid": uuid}).mappings().first()


def all_accounts(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(account).order_by(account.c.created_at, account.c.uuid)).mappings())


def update_account(conn: sa.Connection, uuid: str, values: dict[str, Any]) -> bool:
    return conn.execute(sa.update(account).where(account.c.uuid == uuid).values(**values)).rowcount == 1


def delete_account(conn: sa.Connection, uuid: str) -> bool:
    """Delete the account and end its sessions (explicitly: SQLite may run without foreign keys)."""
    conn.execute(sa.delete(account_session).where(account_session.c.account_uuid == uuid))
    return conn.execute(sa.delete(account).where(account.c.uuid == uuid)).rowcount == 1


def insert_session(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(account_session.insert().values(**row))


# Built once: building a Core expression per call costs more than the lookup itself.
_SESSION_BY_UUID = _SESSION_WITH_ACCOUNT.where(account_session.c.uuid == sa.bindparam("uuid"))
_ACCOUNT_BY_UUID = sa.select(account).where(account.c.uuid == sa.bindparam("uuid"))


def session_with_account(conn: sa.Connection, uuid: str) -> Any | None:
    """The session and its account's type, in one indexed lookup (the cost of every authenticated call)."""
    return conn.execute(_SESSION_BY_UUID, {"uuid": uuid}).mappings().first()


def set_session_expiry(conn: sa.Connection, uuid: str, expired_at: int) -> bool:
    s = account_session.c
    return conn.execute(sa.update(account_session).where(s.uuid == uuid).values(expired_at=expired_at)).rowcount == 1


def extend_session(conn: sa.Connection, uuid: str, expired_at: int) -> None:
    """Push the expiry forward, never back: a concurrent, longer renewal wins."""
    s = account_session.c
    conn.execute(
        sa.update(account_session).where((s.uuid == uuid) & (s.expired_at < expired_at)).values(expired_at=expired_at)
    )


def delete_session(conn: sa.Connection, uuid: str) -> None:
    conn.execute(sa.delete(account_session).where(account_session.c.uuid == uuid))


def live_session_count(conn: sa.Connection, account_uuid: str, now_ms: int) -> int:
    s = account_session.c
    return conn.execute(
        sa.select(sa.func.count()).where((s.account_uuid == account_uuid) & (s.expired_at > now_ms))
    ).scalar_one()


def delete_expired_sessions(conn: sa.Connection, now_ms: int) -> int:
    return conn.execute(sa.delete(account_session).where(account_session.c.expired_at <= now_ms)).rowcount
