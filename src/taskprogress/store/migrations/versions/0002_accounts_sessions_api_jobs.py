"""Accounts, sessions and API jobs (the server).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("uuid", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("description", sa.String(2048)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "account_session",
        sa.Column("uuid", sa.String(32), primary_key=True),
        sa.Column("account_uuid", sa.String(32), sa.ForeignKey("account.uuid", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expired_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_account_session_account", "account_session", ["account_uuid", "expired_at"])
    op.create_index("ix_account_session_expired_at", "account_session", ["expired_at"])
    op.create_table(
        "api_job",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("api_name", sa.String(255), nullable=False),
        sa.Column("account_uuid", sa.String(32)),
        sa.Column("session_digest", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("result", sa.Text),
        sa.Column("webhook", sa.Text),
        sa.Column("want_schema", sa.Boolean, nullable=False),
        sa.Column("timeout_ms", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
    )
    op.create_index("ix_api_job_account_state", "api_job", ["account_uuid", "state"])
    op.create_index("ix_api_job_state_finished", "api_job", ["state", "finished_at"])


def downgrade() -> None:
    for table in ("api_job", "account_session", "account"):
        op.drop_table(table)
