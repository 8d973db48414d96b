"""After a crash: what the journal proves about orders, positions and cash.

* Open orders are rebuilt by replaying each order's journaled events through the engine's own
  state machine (:class:`core.orders.Order`), so their state is exactly what the engine had
  applied when the last event was committed.
* Positions and cash are rebuilt from the fills alone with the portfolio's own integer
  accounting (:class:`core.portfolio.StrategyAccount`), the same code the kernel runs, in the
  order the fills were journaled.
* :meth:`Recovery.was_sent` answers "did this strategy already send this intent?" from the
  ``UNIQUE(strategy_id, dedup_key)`` column, so a resubmission after a restart can be refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from core.commands import SubmitOrder
from core.instruments import Instrument
from core.journal.database import JournalError, open_engine
from core.journal.records import (
    ORDER_TYPES,
    TERMINAL_STATUS_NAMES,
    TIME_IN_FORCE,
    event_from_row,
    side_value,
)
from core.journal.schema import FillRow, OrderEventRow, OrderRow, Run, StrategyVersion
from core.kernel import Kernel
from core.orders import Order
from core.portfolio import Portfolio, StrategyAccount
from core.values import Money, Price, Qty

_ORDER_COLUMNS: Final = (
    OrderRow.id,
    OrderRow.strategy_id,
    OrderRow.client_order_id,
    OrderRow.instrument_id,
    OrderRow.side,
    OrderRow.order_type,
    OrderRow.qty_raw,
    OrderRow.price_raw,
    OrderRow.trigger_raw,
    OrderRow.time_in_force,
    OrderRow.reduce_only,
    OrderRow.ts_init,
)


def replay_orders(conn: Connection, run_id: int, *, open_only: bool) -> list[tuple[int, Order]]:
    """(row id, order) of a run's orders, each replayed over its journaled events."""
    query = select(*_ORDER_COLUMNS).where(OrderRow.run_id == run_id).order_by(OrderRow.id)
    if open_only:
        query = query.where(OrderRow.status.not_in(TERMINAL_STATUS_NAMES))
    orders: dict[int, Order] = {}
    for row in conn.execute(query):
        cmd = SubmitOrder(
            strategy_id=row.strategy_id,
            client_order_id=row.client_order_id,
            instrument_id=row.instrument_id,
            side=side_value(row.side),
            order_type=ORDER_TYPES[row.order_type],
            qty=Qty(row.qty_raw),
            price=None if row.price_raw is None else Price(row.price_raw),
            trigger_price=None if row.trigger_raw is None else Price(row.trigger_raw),
            time_in_force=TIME_IN_FORCE[row.time_in_force],
            reduce_only=bool(row.reduce_only),
            ts_init=row.ts_init,
        )
        orders[row.id] = Order(cmd)
    if not orders:
        return []
    events = conn.execute(
        select(
            OrderEventRow.order_id,
            OrderEventRow.kind,
            OrderEventRow.ts,
            OrderEventRow.details_json,
        )
        .where(OrderEventRow.run_id == run_id)
        .order_by(OrderEventRow.id)
    )
    for order_id, kind, ts, details in events:
        order = orders.get(order_id)
        if order is None:
            continue
        order.apply(
            event_from_row(
                kind,
                ts,
                details,
                strategy_id=order.strategy_id,
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
            )
        )
    return list(orders.items())


@dataclass(frozen=True, kw_only=True)
class JournaledFill:
    order_id: int
    strategy_id: str
    instrument_id: str
    trade_id: str
    side: int
    qty_raw: int
    px_raw: int
    fee_raw: int
    fee_currency: str
    ts: int


@dataclass(kw_only=True)
class Recovery:
    """What a run's journal proves (see the module docstring)."""

    run_id: int
    mode: str
    ended: bool
    open_orders: list[Order]
    accounts: dict[str, StrategyAccount]
    fills: list[JournaledFill]
    sent: frozenset[tuple[str, str]] = field(repr=False)  # (strategy id, dedup key), all runs
    client_order_ids: dict[str, list[str]] = field(repr=False)  # per strategy, this run

    def position_raw(self, strategy_id: str, instrument_id: str) -> int:
        account = self.accounts.get(strategy_id)
        pos = None if account is None else account.positions.get(instrument_id)
        return 0 if pos is None else pos.signed_qty_raw

    def cash_raw(self, strategy_id: str) -> int:
        return self.accounts[strategy_id].cash_raw

    def was_sent(self, strategy_id: str, dedup_key: str) -> bool:
        """True when the strategy sent an order with this key in any run of the journal."""
        return (strategy_id, dedup_key) in self.sent


def was_sent(conn: Connection, strategy_id: str, dedup_key: str) -> bool:
    """True when ``strategy_id`` has an order with ``dedup_key`` in any run of the journal."""
    found = conn.execute(
        select(OrderRow.id).where(
            OrderRow.strategy_id == strategy_id, OrderRow.dedup_key == dedup_key
        )
    ).first()
    return found is not None


def journaled_fills(conn: Connection, run_id: int) -> list[JournaledFill]:
    rows = conn.execute(
        select(
            FillRow.order_id,
            FillRow.strategy_id,
            FillRow.instrument_id,
            FillRow.trade_id,
            FillRow.side,
            FillRow.qty_raw,
            FillRow.px_raw,
            FillRow.fee_raw,
            FillRow.fee_currency,
            FillRow.ts,
        )
        .where(FillRow.run_id == run_id)
        .order_by(FillRow.id)
    )
    return [
        JournaledFill(
            order_id=r.order_id,
            strategy_id=r.strategy_id,
            instrument_id=r.instrument_id,
            trade_id=r.trade_id,
            side=side_value(r.side),
            qty_raw=r.qty_raw,
            px_raw=r.px_raw,
            fee_raw=r.fee_raw,
            fee_currency=r.fee_currency,
            ts=r.ts,
        )
        for r in rows
    ]


def rebuild_accounts(
    conn: Connection,
    run_id: int,
    instruments: Mapping[str, Instrument],
    fills: Sequence[JournaledFill],
) -> dict[str, StrategyAccount]:
    """Each strategy's account (allocation from ``strategy_versions``) after every fill, by
    the kernel's own booking rules (a fee in another currency is not booked, as there)."""
    versions = conn.execute(
        select(
            StrategyVersion.strategy_id, StrategyVersion.allocation_raw, StrategyVersion.currency
        )
        .where(StrategyVersion.run_id == run_id)
        .order_by(StrategyVersion.id)
    ).all()
    base = conn.execute(select(Run.base_currency).where(Run.id == run_id)).scalar_one()
    portfolio = Portfolio(base)
    for sid, allocation_raw, currency in versions:
        portfolio.open_account(sid, Money(allocation_raw or 0, currency or base))
    for fill in fills:
        account = portfolio.accounts.get(fill.strategy_id)
        if account is None:
            account = portfolio.open_account(fill.strategy_id, Money(0, base))
        instrument = instruments.get(fill.instrument_id)
        if instrument is None:
            raise JournalError(
                f"run {run_id} has fills in {fill.instrument_id}: pass that instrument to "
                f"recover() so its multiplier and currency are known"
            )
        fee = fill.fee_raw if fill.fee_currency == account.currency else 0
        account.apply_fill(instrument, fill.side, fill.qty_raw, fill.px_raw, fee, fill.ts)
    return dict(portfolio.accounts)


def latest_unfinished_run(engine: Engine, mode: str | None = None) -> int | None:
    """The newest run that never ended (a crash, or still running elsewhere)."""
    query = select(Run.id).where(Run.ts_ended.is_(None)).order_by(Run.id.desc())
    if mode is not None:
        query = query.where(Run.mode == mode)
    with engine.connect() as conn:
        found = conn.execute(query).first()
        conn.rollback()
    return None if found is None else int(found[0])


def recover(
    path: str | os.PathLike[str] | None,
    instruments: Sequence[Instrument] | Mapping[str, Instrument],
    *,
    run_id: int | None = None,
) -> Recovery:
    """Rebuild a run's open orders, positions and cash from the journal at ``path`` (default:
    the newest unfinished run). The file is opened as it is: no repair step exists or is needed,
    since SQLite's WAL makes every committed transaction whole."""
    resolved, engine = open_engine(path, create=False)
    try:
        return _recover(engine, resolved, instruments, run_id)
    finally:
        engine.dispose()


def _recover(
    engine: Engine,
    path: Path,
    instruments: Sequence[Instrument] | Mapping[str, Instrument],
    run_id: int | None,
) -> Recovery:
    by_id = instruments if isinstance(instruments, Mapping) else {i.id: i for i in instruments}
    if run_id is None:
        run_id = latest_unfinished_run(engine)
        if run_id is None:
            raise JournalError(f"journal {path} has no unfinished run to recover")
    with engine.connect() as conn:
        run = conn.execute(select(Run.mode, Run.ts_ended).where(Run.id == run_id)).first()
        if run is None:
            raise JournalError(f"journal {path} has no run {run_id}")
        open_orders = [order for _, order in replay_orders(conn, run_id, open_only=True)]
        fills = journaled_fills(conn, run_id)
        accounts = rebuild_accounts(conn, run_id, by_id, fills)
        strategies = list(accounts)
        sent = conn.execute(
            select(OrderRow.strategy_id, OrderRow.dedup_key).where(
                OrderRow.strategy_id.in_(strategies)
            )
        ).all()
        ids: dict[str, list[str]] = {}
        for sid, coid in conn.execute(
            select(OrderRow.strategy_id, OrderRow.client_order_id)
            .where(OrderRow.run_id == run_id)
            .order_by(OrderRow.id)
        ):
            ids.setdefault(str(sid), []).append(str(coid))
        conn.rollback()
    return Recovery(
        run_id=run_id,
        mode=str(run.mode),
        ended=run.ts_ended is not None,
        open_orders=open_orders,
        accounts=accounts,
        fills=fills,
        sent=frozenset((str(sid), str(key)) for sid, key in sent),
        client_order_ids=ids,
    )


def restore_into(kernel: Kernel, recovery: Recovery) -> None:
    """Put a recovered run back into a fresh kernel that has the same strategies loaded (with
    the same allocations): every journaled fill is booked again by the account's own rules,
    the last fill price marks each instrument until market data arrives, every client order id
    of the run is reserved (numbering goes on after it), and each working order returns to the
    kernel and its venue. The strategies' own state is theirs to rebuild in ``on_start``."""
    instruments = {inst.id: inst for inst in kernel.instruments}
    for sid in recovery.accounts:
        try:
            kernel.record(sid)
        except KeyError:
            raise JournalError(
                f"run {recovery.run_id} has strategy {sid!r}, which is not loaded: load the "
                f"same strategies to resume it"
            ) from None
    portfolio = kernel.portfolio
    for fill in recovery.fills:
        account = kernel.record(fill.strategy_id).account
        instrument = instruments.get(fill.instrument_id)
        if instrument is None:
            raise JournalError(
                f"run {recovery.run_id} has fills in {fill.instrument_id}, which this session "
                f"does not trade"
            )
        fee = fill.fee_raw if fill.fee_currency == account.currency else 0
        account.apply_fill(instrument, fill.side, fill.qty_raw, fill.px_raw, fee, fill.ts)
        portfolio.mark(fill.instrument_id, fill.px_raw)
    for sid, ids in recovery.client_order_ids.items():
        kernel.remember_order_ids(sid, ids)
    kernel.track_trade_ids(
        [(f.instrument_id.rpartition(".")[2], f.trade_id) for f in recovery.fills]
    )
    by_venue: dict[str, list[str]] = {}
    for fill in recovery.fills:
        by_venue.setdefault(fill.instrument_id.rpartition(".")[2], []).append(fill.trade_id)
    venue_order_ids: dict[str, list[str]] = {}
    for order in recovery.open_orders:
        venue_order_ids.setdefault(order.instrument_id.rpartition(".")[2], []).append(
            order.venue_order_id
        )
    for name in set(by_venue) | set(venue_order_ids):
        kernel.venue(name).resume_numbering(by_venue.get(name, []), venue_order_ids.get(name, []))
    for order in recovery.open_orders:
        kernel.restore_order(order)
