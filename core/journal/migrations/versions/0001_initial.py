"""The trade journal: runs, strategy versions, orders and their events, fills, positions, risk
decisions, equity, round trips, logs and notes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _id(table: str) -> tuple[sa.Column[int], sa.PrimaryKeyConstraint]:
    return (
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=f"fk_{table}_run_id_runs")


def _order_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=f"fk_{table}_order_id_orders")


def upgrade() -> None:
    raw = sa.BigInteger
    op.create_table(
        "runs",
        *_id("runs"),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("ts_started", raw(), nullable=False),
        sa.Column("ts_ended", raw(), nullable=True),
        sa.Column("engine_version", sa.String(32), nullable=False),
        sa.Column("compiled", sa.Boolean(), nullable=False),
        sa.Column("base_currency", sa.String(16), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("seeds_json", sa.Text(), nullable=False),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("events", raw(), nullable=True),
        sa.Column("orders", raw(), nullable=True),
        sa.Column("fills", raw(), nullable=True),
        sa.Column("canceled", sa.Boolean(), nullable=True),
        sa.Column("wall_s", sa.Float(), nullable=True),
        sa.Column("equity_points", sa.Integer(), nullable=True),
        sa.Column("metrics_json", sa.Text(), nullable=True),
        sa.Column("per_strategy_json", sa.Text(), nullable=True),
        sa.CheckConstraint("mode IN ('backtest', 'paper', 'live')", name="ck_runs_mode"),
    )
    op.create_table(
        "strategy_versions",
        *_id("strategy_versions"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("class_name", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("allocation_raw", raw(), nullable=True),
        sa.Column("currency", sa.String(16), nullable=True),
        _run_fk("strategy_versions"),
        sa.UniqueConstraint(
            "run_id", "strategy_id", name="uq_strategy_versions_run_id_strategy_id"
        ),
    )
    op.create_table(
        "orders",
        *_id("orders"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("instrument_id", sa.Text(), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("qty_raw", raw(), nullable=False),
        sa.Column("price_raw", raw(), nullable=True),
        sa.Column("trigger_raw", raw(), nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filled_qty_raw", raw(), nullable=False),
        sa.Column("avg_px_raw", raw(), nullable=True),
        sa.Column("venue_order_id", sa.Text(), nullable=True),
        sa.Column("ts_init", raw(), nullable=False),
        sa.Column("ts_last", raw(), nullable=False),
        _run_fk("orders"),
        sa.UniqueConstraint("strategy_id", "dedup_key", name="uq_orders_strategy_id_dedup_key"),
        sa.UniqueConstraint("run_id", "client_order_id", name="uq_orders_run_id_client_order_id"),
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name="ck_orders_side"),
    )
    op.create_table(
        "order_events",
        *_id("order_events"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ts", raw(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=True),
        _run_fk("order_events"),
        _order_fk("order_events"),
    )
    op.create_index("ix_order_events_run_id", "order_events", ["run_id"])
    op.create_index("ix_order_events_order_id", "order_events", ["order_id"])
    op.create_table(
        "fills",
        *_id("fills"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("instrument_id", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("trade_id", sa.Text(), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty_raw", raw(), nullable=False),
        sa.Column("px_raw", raw(), nullable=False),
        sa.Column("fee_raw", raw(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("liquidity", sa.String(8), nullable=False),
        sa.Column("ts", raw(), nullable=False),
        _run_fk("fills"),
        _order_fk("fills"),
        sa.UniqueConstraint("run_id", "venue", "trade_id", name="uq_fills_run_id_venue_trade_id"),
    )
    op.create_index("ix_fills_order_id", "fills", ["order_id"])
    op.create_table(
        "position_snapshots",
        *_id("position_snapshots"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("instrument_id", sa.Text(), nullable=False),
        sa.Column("ts", raw(), nullable=False),
        sa.Column("signed_qty_raw", raw(), nullable=False),
        sa.Column("avg_px_raw", raw(), nullable=False),
        sa.Column("realized_raw", raw(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        _run_fk("position_snapshots"),
    )
    op.create_index("ix_position_snapshots_run_id", "position_snapshots", ["run_id"])
    op.create_table(
        "risk_decisions",
        *_id("risk_decisions"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ts", raw(), nullable=False),
        _run_fk("risk_decisions"),
        _order_fk("risk_decisions"),
        sa.CheckConstraint(
            "decision IN ('approved', 'modified', 'denied')", name="ck_risk_decisions_decision"
        ),
    )
    op.create_index("ix_risk_decisions_run_id", "risk_decisions", ["run_id"])
    op.create_table(
        "equity_snapshots",
        *_id("equity_snapshots"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=True),
        sa.Column("ts", raw(), nullable=False),
        sa.Column("equity_raw", raw(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        _run_fk("equity_snapshots"),
    )
    op.create_index("ix_equity_snapshots_run_id", "equity_snapshots", ["run_id"])
    op.create_table(
        "round_trips",
        *_id("round_trips"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Text(), nullable=False),
        sa.Column("instrument_id", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(5), nullable=False),
        sa.Column("qty_raw", raw(), nullable=False),
        sa.Column("entry_ts", raw(), nullable=False),
        sa.Column("exit_ts", raw(), nullable=False),
        sa.Column("entry_px_raw", raw(), nullable=False),
        sa.Column("exit_px_raw", raw(), nullable=False),
        sa.Column("gross_raw", raw(), nullable=False),
        sa.Column("fees_raw", raw(), nullable=False),
        sa.Column("net_raw", raw(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        _run_fk("round_trips"),
        sa.CheckConstraint("direction IN ('LONG', 'SHORT')", name="ck_round_trips_direction"),
    )
    op.create_index("ix_round_trips_run_id", "round_trips", ["run_id"])
    op.create_table(
        "log_entries",
        *_id("log_entries"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("ts", raw(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        _run_fk("log_entries"),
    )
    op.create_index("ix_log_entries_run_id", "log_entries", ["run_id"])
    op.create_table(
        "journal_notes",
        *_id("journal_notes"),
        sa.Column("ts", raw(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("round_trip_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        _run_fk("journal_notes"),
        sa.ForeignKeyConstraint(
            ["round_trip_id"],
            ["round_trips.id"],
            name="fk_journal_notes_round_trip_id_round_trips",
        ),
        _order_fk("journal_notes"),
    )
    op.create_index("ix_journal_notes_run_id", "journal_notes", ["run_id"])


def downgrade() -> None:
    for table in (
        "journal_notes",
        "log_entries",
        "round_trips",
        "equity_snapshots",
        "risk_decisions",
        "position_snapshots",
        "fills",
        "order_events",
        "orders",
        "strategy_versions",
        "runs",
    ):
        op.drop_table(table)
