"""Trader tags on round trips, and an index that finds a run's open orders after a crash.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default needs no table copy on SQLite
    op.add_column("round_trips", sa.Column("tags", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_orders_run_id_status", "orders", ["run_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_orders_run_id_status", table_name="orders")
    with op.batch_alter_table("round_trips") as batch:
        batch.drop_column("tags")
