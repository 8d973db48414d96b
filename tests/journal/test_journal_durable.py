"""Paper/live durability: each fill is committed before the strategy hears of it; duplicate
orders are refused across runs; a crashed run's orders, positions and cash come back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.enums import OrderSide, OrderType
from core.events import OrderCanceled, OrderFilled
from core.journal import JournalReader, SqliteJournal, recover
from core.values import Price, Qty

Scripted = Callable[..., Any]
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _market(side: int, units: int) -> Callable[[Any, Any], None]:
    def act(strategy: Any, bar: Any) -> None:
        strategy.ctx.submit_order(strategy.iid, side, Qty.of(units))

    return act


def _limit(side: int, units: int, price: str) -> Callable[[Any, Any], None]:
    def act(strategy: Any, bar: Any) -> None:
        strategy.ctx.submit_order(
            strategy.iid, side, Qty.of(units), order_type=OrderType.LIMIT, price=Price.parse(price)
        )

    return act


def test_a_fill_is_on_disk_before_the_strategy_hears_of_it(
    journal_file: Path, scripted_kernel: Scripted
) -> None:
    k = scripted_kernel({1: _market(BUY, 100), 3: _market(SELL, 40), 4: _market(SELL, 60)})
    journal = SqliteJournal(journal_file)
    journal.begin_run("paper", kernel=k.kernel)
    assert journal.durable
    seen: list[tuple[str, bool, bool]] = []

    def look(fill: OrderFilled) -> None:
        # a second connection, as a crash-time reader would have: the fill is committed
        with sqlite3.connect(journal_file) as other:
            row = other.execute(
                "SELECT qty_raw FROM fills WHERE trade_id = ?", (fill.trade_id,)
            ).fetchone()
            event = other.execute(
                "SELECT COUNT(*) FROM order_events e JOIN orders o ON o.id = e.order_id "
                "WHERE o.client_order_id = ? AND e.kind = 'OrderFilled'",
                (fill.client_order_id,),
            ).fetchone()[0]
        seen.append((fill.trade_id, row is not None and row[0] == fill.last_qty.raw, event > 0))

    k.strategy.on_fill_hook = look
    k.kernel.start()
    for _ in range(6):
        k.bar("100", "101", "99", "100.5")
    journal.close()
    assert len(seen) == 3
    assert all(on_disk and event for _, on_disk, event in seen), seen


def test_a_listener_after_the_journal_sees_the_fill_committed(
    journal_file: Path, scripted_kernel: Scripted
) -> None:
    k = scripted_kernel({1: _market(BUY, 10)})
    journal = SqliteJournal(journal_file, durable=True)
    journal.begin_run("backtest", kernel=k.kernel)  # durable asked for explicitly
    committed: list[int] = []

    def after(event: Any) -> None:
        if isinstance(event, OrderFilled):
            with sqlite3.connect(journal_file) as other:
                committed.append(other.execute("SELECT COUNT(*) FROM fills").fetchone()[0])

    k.kernel.add_listener(after)
    k.kernel.start()
    for _ in range(3):
        k.bar("50", "51", "49", "50")
    journal.close()
    assert committed == [1]


def test_a_duplicate_intent_is_refused_across_runs(
    journal_file: Path, scripted_kernel: Scripted
) -> None:
    def key(order: Any, run_id: int) -> str:
        return f"intent:{order.client_order_id}"  # a strategy-chosen key survives restarts

    first = scripted_kernel({1: _market(BUY, 10)})
    with SqliteJournal(journal_file, dedup_key=key) as journal:
        journal.begin_run("paper", kernel=first.kernel)
        first.kernel.start()
        first.bar("50", "51", "49", "50")
        assert journal.was_sent("S1", "intent:S1-1")
        assert not journal.was_sent("S1", "intent:S1-2")
    # the process restarts: the same strategy sends the same intent again
    again = scripted_kernel({1: _market(BUY, 10)})
    with SqliteJournal(journal_file, dedup_key=key) as journal:
        journal.begin_run("paper", kernel=again.kernel)
        again.kernel.start()
        again.bar("50", "51", "49", "50")
        (order,) = again.kernel.orders
        assert order.status_name() == "DENIED"  # refused before it reached the venue
        assert order.reason == (
            "an order with deduplication key 'intent:S1-1' of strategy S1 is already in the "
            "journal: it is not sent again"
        )
        assert again.kernel.record("S1").account.positions == {}
    with JournalReader(journal_file) as reader:
        assert reader.was_sent("S1", "intent:S1-1")
        assert reader.counts(1)["orders"] == 1
        assert reader.counts(2)["orders"] == 1  # the denied attempt, under its own key
    with sqlite3.connect(journal_file) as conn:
        assert conn.execute("SELECT status, dedup_key FROM orders WHERE run_id = 2").fetchall() == [
            ("DENIED", "intent:S1-1#denied:run2:S1-1")
        ]
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # the database's own guard
            conn.execute(
                "INSERT INTO orders (run_id, strategy_id, client_order_id, dedup_key, "
                "instrument_id, side, order_type, qty_raw, time_in_force, reduce_only, status, "
                "filled_qty_raw, ts_init, ts_last) SELECT 2, strategy_id, 'X-1', "
                "dedup_key, instrument_id, side, order_type, qty_raw, time_in_force, "
                "reduce_only, status, filled_qty_raw, ts_init, ts_last FROM orders "
                "WHERE run_id = 1"
            )


def test_open_orders_positions_and_cash_after_a_crash(
    journal_file: Path, scripted_kernel: Scripted
) -> None:
    # volume 500 a bar and a 10 % participation cap: 50 units a bar, so orders fill partially
    k = scripted_kernel(
        {
            1: _market(BUY, 120),
            2: _limit(BUY, 30, "90.00"),  # rests far below the market: stays open
            3: _limit(SELL, 70, "100.00"),
        },
        participation=0.1,
    )
    journal = SqliteJournal(journal_file)
    run_id = journal.begin_run("paper", kernel=k.kernel)
    k.kernel.start()
    for _ in range(3):
        k.bar("100", "101", "99", "100", v=500)
    journal.close()  # the process dies here: no end_run

    kernel_open = {o.client_order_id: o for o in k.kernel.orders if o.is_open}
    assert any(o.filled_qty_raw for o in kernel_open.values())  # a partially filled one
    recovered = recover(journal_file, [k.instrument])  # the newest unfinished run
    assert recovered.run_id == run_id and not recovered.ended and recovered.mode == "paper"
    mine = {o.client_order_id: o for o in recovered.open_orders}
    assert sorted(mine) == sorted(kernel_open)
    for coid, order in kernel_open.items():
        got = mine[coid]
        assert (got.status, got.filled_qty_raw, got.leaves_qty_raw, got.venue_order_id) == (
            order.status,
            order.filled_qty_raw,
            order.leaves_qty_raw,
            order.venue_order_id,
        )
        assert got.avg_px() == order.avg_px()
    account = k.kernel.portfolio.accounts["S1"]
    assert recovered.cash_raw("S1") == account.cash_raw
    assert recovered.position_raw("S1", k.instrument.id) == (
        account.positions[k.instrument.id].signed_qty_raw
    )
    signed = sum(f.side * f.qty_raw for f in recovered.fills)
    assert recovered.position_raw("S1", k.instrument.id) == signed
    assert recovered.was_sent("S1", f"run{run_id}:S1-1")


def test_a_resumed_run_books_later_events_on_the_same_orders(
    journal_file: Path, scripted_kernel: Scripted
) -> None:
    k = scripted_kernel({1: _limit(BUY, 30, "90.00")})
    journal = SqliteJournal(journal_file)
    run_id = journal.begin_run("paper", kernel=k.kernel)
    k.kernel.start()
    k.bar("100", "101", "99", "100")
    k.bar("100", "101", "99", "100")
    journal.close()

    resumed = SqliteJournal(journal_file)
    resumed.resume_run(run_id)
    (order,) = recover(journal_file, [k.instrument]).open_orders
    resumed(
        OrderCanceled(
            strategy_id="S1",
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            ts_event=order.ts_last + 1,
            reason="canceled at restart",
        )
    )
    resumed.end_run()
    resumed.close()
    with sqlite3.connect(journal_file) as conn:
        rows = conn.execute("SELECT client_order_id, status FROM orders").fetchall()
        kinds = [r[0] for r in conn.execute("SELECT kind FROM order_events ORDER BY id")]
    assert rows == [(order.client_order_id, "CANCELED")]
    assert kinds == ["OrderSubmitted", "OrderAccepted", "OrderCanceled"]
    assert recover(journal_file, [k.instrument], run_id=run_id).open_orders == []


def test_risk_decisions_and_equity_samples(journal_file: Path, scripted_kernel: Scripted) -> None:
    from core.commands import SubmitOrder
    from core.risk import Adjustment, Denial, RiskRule, RiskView
    from core.values import Money

    class CutTo10(RiskRule):
        """Lets orders through with at most 10 units; refuses orders over a million."""

        name = "cut_to_10"

        def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
            if cmd.qty.raw > Qty.of(1_000_000).raw:
                return Denial(self.name, "far too big")
            if cmd.qty.raw > Qty.of(10).raw:
                return Adjustment(self.name, f"quantity cut from {cmd.qty} to 10", Qty.of(10).raw)
            return None

    k = scripted_kernel({1: _market(BUY, 10), 2: _market(BUY, 12), 3: _market(SELL, 10_000_000)})
    k.kernel.risk.rules.append(CutTo10())
    journal = SqliteJournal(journal_file)
    run_id = journal.begin_run("live", kernel=k.kernel)
    k.kernel.start()
    for _ in range(3):
        k.bar("50", "51", "49", "50")
    journal.record_equity(k.kernel.clock.now_ns(), Money.parse("1000012.5", "USD"))
    journal.end_run()
    journal.close()
    with sqlite3.connect(journal_file) as conn:
        decisions = conn.execute(
            "SELECT r.client_order_id, r.action, r.decision, r.rule, r.reason, o.qty_raw "
            "FROM risk_decisions r LEFT JOIN orders o ON o.id = r.order_id "
            "WHERE r.run_id = ? ORDER BY r.id",
            (run_id,),
        ).fetchall()
        equity = conn.execute("SELECT strategy_id, equity_raw FROM equity_snapshots").fetchall()
    assert decisions == [
        ("S1-1", "submit", "approved", None, None, Qty.of(10).raw),
        ("S1-2", "submit", "modified", "cut_to_10", "quantity cut from 12 to 10", Qty.of(10).raw),
        ("S1-3", "submit", "denied", "cut_to_10", "far too big", Qty.of(10_000_000).raw),
    ]
    assert equity == [(None, 1_000_012_500_000_000)]
