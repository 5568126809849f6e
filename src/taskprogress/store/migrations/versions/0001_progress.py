"""Progress records, per-API state, parallel stages, step history and global configuration.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "task_progress",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("api_id", sa.String(32), nullable=False),
        sa.Column("task_uuid", sa.String(32), nullable=False),
        sa.Column("parent_uuid", sa.String(32)),
        sa.Column("task_name", sa.String(1024), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("content", sa.Text),
        sa.Column("arguments", sa.Text),
        sa.Column("opaque", sa.Text),
        sa.Column("raw_percent", sa.Float),
        sa.Column("current_step", sa.Integer),
        sa.Column("total_steps", sa.Integer),
        sa.Column("node_uuid", sa.String(32)),
        sa.Column("time", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_task_progress_api_seq", "task_progress", ["api_id", "seq"])
    op.create_index("ix_task_progress_api_task", "task_progress", ["api_id", "task_uuid", "seq"])
    op.create_index("ix_task_progress_api_steps", "task_progress", ["api_id", "type", "parent_uuid", "seq"])

    op.create_table(
        "progress_api",
        sa.Column("api_id", sa.String(32), primary_key=True),
        sa.Column("task_name", sa.String(1024), nullable=False),
        sa.Column("total_steps", sa.Integer),
        sa.Column("percent", sa.Float),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("last_time", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("delete_at", sa.BigInteger),
    )
    op.create_index("ix_progress_api_delete_at", "progress_api", ["delete_at"])
    op.create_index("ix_progress_api_last_time", "progress_api", ["last_time"])

    op.create_table(
        "parallel_slot",
        sa.Column("stage_uuid", sa.String(32), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("api_id", sa.String(32), nullable=False),
        sa.Column("stage_start", sa.Integer, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("ix_parallel_slot_api_id", "parallel_slot", ["api_id"])

    op.create_table(
        "step_history",
        sa.Column("task_name", sa.String(1024), primary_key=True),
        sa.Column("group_name", sa.String(1024), primary_key=True),
        sa.Column("total_steps", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "global_config",
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("global_config", "step_history", "parallel_slot", "progress_api", "task_progress"):
        op.drop_table(table)
