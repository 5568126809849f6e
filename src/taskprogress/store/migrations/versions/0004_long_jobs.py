"""Long jobs (ZStack's LongJobVO) and the management nodes that run them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "long_job",
        sa.Column("uuid", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255)),
        sa.Column("description", sa.String(2048)),
        sa.Column("api_id", sa.String(32), nullable=False),
        sa.Column("job_name", sa.String(255), nullable=False),
        sa.Column("job_data", sa.Text, nullable=False),
        sa.Column("job_result", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("target_resource_uuid", sa.String(255)),
        sa.Column("management_node_uuid", sa.String(32)),
        sa.Column("run_token", sa.String(32)),
        sa.Column("account_uuid", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("execute_time", sa.Integer),
    )
    op.create_index("ix_long_job_api_id", "long_job", ["api_id"])
    op.create_index("ix_long_job_target", "long_job", ["target_resource_uuid"])
    op.create_index("ix_long_job_account", "long_job", ["account_uuid", "created_at"])
    op.create_index("ix_long_job_state", "long_job", ["state", "run_token"])
    op.create_index("ix_long_job_node", "long_job", ["management_node_uuid", "run_token"])
    op.create_table(
        "management_node",
        sa.Column("uuid", sa.String(32), primary_key=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("management_node")
    op.drop_table("long_job")
