"""Rate, ETA and stall detection: when an API last moved forward, and how long earlier runs took.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("progress_api") as batch:
        batch.add_column(sa.Column("progressed_at", sa.BigInteger))
    op.create_table(
        "run_history",
        sa.Column("task_name", sa.String(1024), primary_key=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("mean_duration_ms", sa.BigInteger, nullable=False),
        sa.Column("last_duration_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_history")
    with op.batch_alter_table("progress_api") as batch:
        batch.drop_column("progressed_at")
