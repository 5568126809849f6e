"""Tables of the server: accounts, their sessions, and the API jobs that progress hangs on.

They share ``tables.metadata``, so the schema stays one; ``migrations/versions/0002_*`` creates exactly this.
"""

from __future__ import annotations

import sqlalchemy as sa

from taskprogress.store.tables import Millis, Uuid, metadata

account = sa.Table(
    "account",
    metadata,
    sa.Column("uuid", Uuid, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("type", sa.String(32), nullable=False),  # ZStack's AccountType: Normal | SystemAdmin
    # A salted scrypt hash of the SHA-512 hex the client sends; never the SHA-512 itself.
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("description", sa.String(2048)),
    sa.Column("created_at", Millis, nullable=False),
    sa.Column("updated_at", Millis, nullable=False),
)

account_session = sa.Table(
    "account_session",
    metadata,
    sa.Column("uuid", Uuid, primary_key=True),
    sa.Column("account_uuid", Uuid, sa.ForeignKey("account.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", Millis, nullable=False),
    # Sliding: pushed forward by authenticated calls, but written at most every few seconds per session.
    sa.Column("expired_at", Millis, nullable=False),
    sa.Index("ix_account_session_account", "account_uuid", "expired_at"),
    sa.Index("ix_account_session_expired_at", "expired_at"),
)

api_job = sa.Table(
    "api_job",
    metadata,
    # The apiId: X-Job-UUID when the client chose one (ZStack only checks its length), else a new uuid.
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("api_name", sa.String(255), nullable=False),
    # The account that started it; NULL when its session was invalid (the result is then only ID.1001).
    sa.Column("account_uuid", Uuid),
    # SHA-256 of the session token presented at submission, even an invalid one: the owner of an ownerless
    # job (whose result is only ID.1001) is whoever presents the same token.
    sa.Column("session_digest", sa.String(64)),
    sa.Column("state", sa.String(16), nullable=False),  # processing | succeeded | failed
    sa.Column("status_code", sa.Integer),  # 200 or 503 once finished
    sa.Column("result", sa.Text),  # the JSON body the job URL answers once finished
    sa.Column("webhook", sa.Text),
    sa.Column("want_schema", sa.Boolean, nullable=False),
    sa.Column("timeout_ms", Millis, nullable=False),
    sa.Column("created_at", Millis, nullable=False),
    sa.Column("finished_at", Millis),
    sa.Index("ix_api_job_account_state", "account_uuid", "state"),
    sa.Index("ix_api_job_state_finished", "state", "finished_at"),
)
