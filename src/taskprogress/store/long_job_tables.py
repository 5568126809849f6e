"""Tables of long jobs: ZStack's ``LongJobVO`` plus its owner and run claim, and the management nodes' heartbeats.

They share ``tables.metadata``; ``migrations/versions/0004_*`` creates exactly this.
"""

from __future__ import annotations

import sqlalchemy as sa

from taskprogress.store.tables import Millis, Uuid, metadata

long_job = sa.Table(
    "long_job",
    metadata,
    sa.Column("uuid", Uuid, primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("description", sa.String(2048)),
    # The progress stream: the submit call's id, then each rerun call's id.
    sa.Column("api_id", sa.String(32), nullable=False),
    sa.Column("job_name", sa.String(255), nullable=False),
    sa.Column("job_data", sa.Text, nullable=False),  # the JSON text the client sent
    sa.Column("job_result", sa.Text),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("target_resource_uuid", sa.String(255)),
    # The node that runs (or last ran) the job.
    sa.Column("management_node_uuid", Uuid),
    # Set while a node has claimed the job and its run has not ended; the end of a run is written only if its
    # claim still holds, so a run that was taken over or superseded can never overwrite a newer state.
    sa.Column("run_token", Uuid),
    sa.Column("account_uuid", Uuid, nullable=False),
    sa.Column("created_at", Millis, nullable=False),
    sa.Column("updated_at", Millis, nullable=False),
    sa.Column("execute_time", sa.Integer),  # seconds, set on the first final state
    sa.Index("ix_long_job_api_id", "api_id"),
    sa.Index("ix_long_job_target", "target_resource_uuid"),
    sa.Index("ix_long_job_account", "account_uuid", "created_at"),
    sa.Index("ix_long_job_state", "state", "run_token"),
    sa.Index("ix_long_job_node", "management_node_uuid", "run_token"),
)

# One row per living server process; a node whose heartbeat is older than the node timeout is dead and its
# long jobs are taken over.
management_node = sa.Table(
    "management_node",
    metadata,
    sa.Column("uuid", Uuid, primary_key=True),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("started_at", Millis, nullable=False),
    sa.Column("heartbeat_at", Millis, nullable=False),
)
