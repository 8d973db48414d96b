"""The trade journal's tables (SQLAlchemy 2.0 declarative, typed).

Prices, quantities and money are INTEGER counts of 1e-9 units (``*_raw``), never REAL, with the
currency beside them where it matters: SQLite keeps 64-bit integers exactly, so amounts up to
about 9.2e9 currency units round-trip to the last digit. Enumerations are stored as their names
(``BUY``, ``LIMIT``, ``FILLED``) so an exported table reads without a codebook. JSON columns are
plain TEXT holding canonical JSON.

This module is the schema at the *head* migration; ``migrations/versions`` builds it step by step
and a test checks that both agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints: Alembic needs stable names to alter them later (SQLite batch mode too).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MODES = ("backtest", "paper", "live")
DECISIONS = ("approved", "modified", "denied")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# BigInteger renders as BIGINT; on SQLite that is still the 64-bit INTEGER storage class.
Raw = BigInteger


class Run(Base):
    """One backtest, or one paper/live session (a restart after a crash may resume it)."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint("mode IN ('backtest', 'paper', 'live')", name="mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text, default="")  # the report's "strategy"
    ts_started: Mapped[int] = mapped_column(Raw)  # wall clock, ns UTC
    ts_ended: Mapped[int | None] = mapped_column(Raw)  # NULL: running, or crashed
    engine_version: Mapped[str] = mapped_column(String(32))
    compiled: Mapped[bool] = mapped_column(Boolean)
    base_currency: Mapped[str] = mapped_column(String(16))
    data_json: Mapped[str] = mapped_column(Text, default="[]")  # sources and ranges
    seeds_json: Mapped[str] = mapped_column(Text, default="{}")
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    parameters_json: Mapped[str] = mapped_column(Text, default="{}")  # the report's parameters
    # filled by end_run
    events: Mapped[int | None] = mapped_column(Raw)
    orders: Mapped[int | None] = mapped_column(Raw)
    fills: Mapped[int | None] = mapped_column(Raw)
    canceled: Mapped[bool | None] = mapped_column(Boolean)
    wall_s: Mapped[float | None] = mapped_column(Float)  # a duration, not money
    equity_points: Mapped[int | None] = mapped_column(Integer)
    metrics_json: Mapped[str | None] = mapped_column(Text)  # exact (see records.py)
    per_strategy_json: Mapped[str | None] = mapped_column(Text)


class StrategyVersion(Base):
    """Which code and parameters a strategy ran with in a run."""

    __tablename__ = "strategy_versions"
    __table_args__ = (UniqueConstraint("run_id", "strategy_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    strategy_id: Mapped[str] = mapped_column(Text)
    class_name: Mapped[str] = mapped_column(Text)  # module.QualName
    code_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the class's source file
    parameters_json: Mapped[str] = mapped_column(Text, default="{}")
    allocation_raw: Mapped[int | None] = mapped_column(Raw)
    currency: Mapped[str | None] = mapped_column(String(16))


class OrderRow(Base):
    """One order as submitted, with its latest state. ``dedup_key`` is unique per strategy across
    every run: the database itself refuses a second order for the same intent."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("strategy_id", "dedup_key"),
        UniqueConstraint("run_id", "client_order_id"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side"),
        Index(None, "run_id", "status"),  # open orders after a crash (migration 0002)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    strategy_id: Mapped[str] = mapped_column(Text)
    client_order_id: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(Text)
    instrument_id: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(String(4))
    order_type: Mapped[str] = mapped_column(String(16))
    qty_raw: Mapped[int] = mapped_column(Raw)  # as submitted; modifies are order events
    price_raw: Mapped[int | None] = mapped_column(Raw)
    trigger_raw: Mapped[int | None] = mapped_column(Raw)
    time_in_force: Mapped[str] = mapped_column(String(8))
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    filled_qty_raw: Mapped[int] = mapped_column(Raw, default=0)
    avg_px_raw: Mapped[int | None] = mapped_column(Raw)
    venue_order_id: Mapped[str | None] = mapped_column(Text)
    ts_init: Mapped[int] = mapped_column(Raw)
    ts_last: Mapped[int] = mapped_column(Raw)


class OrderEventRow(Base):
    """Every state change of an order, in the order the engine applied them."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # the event class: OrderAccepted, ...
    ts: Mapped[int] = mapped_column(Raw)
    details_json: Mapped[str | None] = mapped_column(Text)


class FillRow(Base):
    """One execution. A venue's trade id is booked once per run: simulated venues number their
    trades afresh in every run, and a resumed paper/live run keeps its run id."""

    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("run_id", "venue", "trade_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    strategy_id: Mapped[str] = mapped_column(Text)
    instrument_id: Mapped[str] = mapped_column(Text)
    venue: Mapped[str] = mapped_column(Text)
    trade_id: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(String(4))
    qty_raw: Mapped[int] = mapped_column(Raw)
    px_raw: Mapped[int] = mapped_column(Raw)
    fee_raw: Mapped[int] = mapped_column(Raw)
    fee_currency: Mapped[str] = mapped_column(String(16))
    liquidity: Mapped[str] = mapped_column(String(8))
    ts: Mapped[int] = mapped_column(Raw)


class PositionSnapshot(Base):
    """A strategy's position in one instrument right after a fill changed it."""

    __tablename__ = "position_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    strategy_id: Mapped[str] = mapped_column(Text)
    instrument_id: Mapped[str] = mapped_column(Text)
    ts: Mapped[int] = mapped_column(Raw)
    signed_qty_raw: Mapped[int] = mapped_column(Raw)
    avg_px_raw: Mapped[int] = mapped_column(Raw)
    realized_raw: Mapped[int] = mapped_column(Raw)
    currency: Mapped[str] = mapped_column(String(16))


class RiskDecision(Base):
    """What the risk step said about an order: approved, modified or denied (rule and reason)."""

    __tablename__ = "risk_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'modified', 'denied')", name="decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    strategy_id: Mapped[str] = mapped_column(Text)
    client_order_id: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    ts: Mapped[int] = mapped_column(Raw)
    # submit or modify (migration 0003)
    action: Mapped[str] = mapped_column(String(8), default="submit", server_default="submit")


class RiskEventRow(Base):
    """A change of the risk engine's state: a trading state, the kill switch (tripped or reset,
    by whom and why), a drawdown breaker (with the numbers that tripped it), a setting."""

    __tablename__ = "risk_events"
    __table_args__ = (
        CheckConstraint("kind IN ('state', 'kill_switch', 'breaker', 'config')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    ts: Mapped[int] = mapped_column(Raw)
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(Text)  # a strategy id, or "" for global
    summary: Mapped[str] = mapped_column(Text)  # the event as a person reads it
    who: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    details_json: Mapped[str] = mapped_column(Text)  # the event's fields (exact raw ints)


class EquitySnapshot(Base):
    """Equity at a time: per strategy, or the run's total (``strategy_id`` NULL)."""

    __tablename__ = "equity_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    strategy_id: Mapped[str | None] = mapped_column(Text)
    ts: Mapped[int] = mapped_column(Raw)
    equity_raw: Mapped[int] = mapped_column(Raw)
    currency: Mapped[str] = mapped_column(String(16))


class RoundTripRow(Base):
    """A closed trade, with the trader's own notes and tags (editable after the run)."""

    __tablename__ = "round_trips"
    __table_args__ = (CheckConstraint("direction IN ('LONG', 'SHORT')", name="direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    strategy_id: Mapped[str] = mapped_column(Text)
    instrument_id: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(5))
    qty_raw: Mapped[int] = mapped_column(Raw)
    entry_ts: Mapped[int] = mapped_column(Raw)
    exit_ts: Mapped[int] = mapped_column(Raw)
    entry_px_raw: Mapped[int] = mapped_column(Raw)
    exit_px_raw: Mapped[int] = mapped_column(Raw)
    gross_raw: Mapped[int] = mapped_column(Raw)
    fees_raw: Mapped[int] = mapped_column(Raw)
    net_raw: Mapped[int] = mapped_column(Raw)
    currency: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # comma-separated, sorted, no blanks (migration 0002)
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")


class LogEntry(Base):
    """Strategy log lines and faults (a fault keeps its traceback in ``detail``)."""

    __tablename__ = "log_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    ts: Mapped[int] = mapped_column(Raw)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


class JournalNote(Base):
    """Free text a person added, and every change made to the journal by hand: who and why."""

    __tablename__ = "journal_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(Raw)  # wall clock, ns UTC
    author: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    change: Mapped[str | None] = mapped_column(Text)  # what was edited, old -> new
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    round_trip_id: Mapped[int | None] = mapped_column(ForeignKey("round_trips.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
