"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/versions`` create exactly this."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Uuid = sa.String(32)
Millis = sa.BigInteger  # epoch milliseconds

task_progress = sa.Table(
    "task_progress",
    metadata,
    # The total order of records: ties in ``time`` are broken by insertion, never by chance.
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("api_id", Uuid, nullable=False),
    sa.Column("task_uuid", Uuid, nullable=False),
    sa.Column("parent_uuid", Uuid),
    sa.Column("task_name", sa.String(1024), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),  # Task | Progress
    sa.Column("content", sa.Text),  # Task: the format string; Progress: the served percent
    sa.Column("arguments", sa.Text),  # JSON array, served as a JSON string as ZStack does
    sa.Column("opaque", sa.Text),  # JSON object
    sa.Column("raw_percent", sa.Float),  # Progress: what the producer reported, before clamping
    sa.Column("current_step", sa.Integer),  # Task: 1-based position among its Task siblings
    sa.Column("total_steps", sa.Integer),  # Task: declared, or learned from an earlier run
    sa.Column("node_uuid", Uuid),
    sa.Column("time", Millis, nullable=False),
    sa.Index("ix_task_progress_api_seq", "api_id", "seq"),
    sa.Index("ix_task_progress_api_task", "api_id", "task_uuid", "seq"),
    sa.Index("ix_task_progress_api_steps", "api_id", "type", "parent_uuid", "seq"),
)

# One row per API that has progress: the served (never decreasing) percent, and when its records expire.
progress_api = sa.Table(
    "progress_api",
    metadata,
    sa.Column("api_id", Uuid, primary_key=True),
    sa.Column("task_name", sa.String(1024), nullable=False),
    sa.Column("total_steps", sa.Integer),  # declared number of root steps
    sa.Column("percent", sa.Float),  # highest percent served so far
    sa.Column("started_at", Millis, nullable=False),
    sa.Column("last_time", Millis, nullable=False),  # time of the newest record, for the TTL
    sa.Column("finished_at", Millis),
    sa.Column("delete_at", Millis),  # finished_at + delete delay
    sa.Column("progressed_at", Millis),  # the last record that moved it forward: a higher percent or a step
    sa.Index("ix_progress_api_delete_at", "delete_at"),
    sa.Index("ix_progress_api_last_time", "last_time"),
)

# Weighted parallel stages live here, not in a process, so workers on several nodes agree.
parallel_slot = sa.Table(
    "parallel_slot",
    metadata,
    sa.Column("stage_uuid", Uuid, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("api_id", Uuid, nullable=False, index=True),
    sa.Column("stage_start", sa.Integer, nullable=False),  # start of the whole parallel stage
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),  # absolute percent reached in this sub-stage
)

# How many steps each group had in the last finished run of an API name: the undeclared ``totalSteps``.
step_history = sa.Table(
    "step_history",
    metadata,
    sa.Column("task_name", sa.String(1024), primary_key=True),  # the API's task name
    sa.Column("group_name", sa.String(1024), primary_key=True),  # the records' task name in the group
    sa.Column("total_steps", sa.Integer, nullable=False),
    sa.Column("updated_at", Millis, nullable=False),
)

# How long successful runs of each API name took, for an ETA before the current run has a rate.
run_history = sa.Table(
    "run_history",
    metadata,
    sa.Column("task_name", sa.String(1024), primary_key=True),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("mean_duration_ms", Millis, nullable=False),  # moving average, recent runs weigh more
    sa.Column("last_duration_ms", Millis, nullable=False),
    sa.Column("updated_at", Millis, nullable=False),
)

global_config = sa.Table(
    "global_config",
    metadata,
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
