"""Risk decisions say whether they were about a submit or a modify; the risk engine's state
changes (trading states, kill switch, breakers, configuration) get their own table.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "risk_decisions",
        sa.Column("action", sa.String(8), server_default="submit", nullable=False),
    )
    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_events"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_risk_events_run_id_runs"),
        sa.CheckConstraint(
            "kind IN ('state', 'kill_switch', 'breaker', 'config')", name="ck_risk_events_kind"
        ),
    )
    op.create_index("ix_risk_events_run_id", "risk_events", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_risk_events_run_id", table_name="risk_events")
    op.drop_table("risk_events")
    with op.batch_alter_table("risk_decisions") as batch:
        batch.drop_column("action")
