"""A journaled backtest: everything written (in batches), read back, exported, annotated, and its
report rebuilt from the journal alone, byte for byte."""

from __future__ import annotations

import csv
import hashlib
import inspect
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.journal import JournalReader, recover
from core.reports import dumps
from strategies.sma_cross import SmaCross

ORDER_EVENT_KINDS = (
    "OrderSubmitted",
    "OrderAccepted",
    "OrderFilled",
    "OrderDenied",
    "OrderRejected",
    "OrderCanceled",
    "OrderExpired",
)

Backtest = Callable[..., Any]


def _trip(t: Any) -> tuple[Any, ...]:
    """A round trip's fields (``vars`` fails on the compiled class)."""
    return (
        t.strategy_id,
        t.instrument_id,
        t.direction,
        t.qty_raw,
        t.entry_ts,
        t.exit_ts,
        t.entry_px_raw,
        t.exit_px_raw,
        t.gross_pnl_raw,
        t.fees_raw,
        t.currency,
    )


@pytest.mark.parametrize("background", [True, False], ids=["writer-process", "in-process"])
def test_batched_writes_keep_every_row(
    journal_file: Path, journaled_backtest: Backtest, background: bool
) -> None:
    # many flushes, some in the middle of an order's life
    run = journaled_backtest(journal_file, batch_rows=300, background=background)
    kernel, result = run.session.kernel, run.result
    assert result.fills > 100  # the test means something
    with JournalReader(journal_file) as reader:
        counts = reader.counts(run.run_id)
        info = reader.run(run.run_id)
    assert counts["orders"] == kernel.orders_submitted == result.orders
    assert counts["fills"] == kernel.fills_count == result.fills
    order_events = sum(run.published[k] for k in ORDER_EVENT_KINDS)
    assert counts["order_events"] == order_events
    assert counts["position_snapshots"] == run.published["PositionChanged"]
    assert counts["risk_decisions"] == result.orders  # one approval (or denial) per order
    assert counts["round_trips"] == len(result.round_trips) == result.metrics.round_trip_count
    assert counts["equity_snapshots"] == len(run.report["equity"])  # type: ignore[arg-type]
    assert info.finished and info.has_result and info.mode == "backtest"
    assert (info.events, info.orders, info.fills) == (result.events, result.orders, result.fills)
    with sqlite3.connect(journal_file) as conn:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM orders GROUP BY status"))
        filled = conn.execute("SELECT SUM(filled_qty_raw) FROM orders").fetchone()[0]
        fill_qty = conn.execute("SELECT SUM(qty_raw) FROM fills").fetchone()[0]
    open_in_kernel = [o for o in kernel.orders if o.is_open]
    assert statuses.get("FILLED", 0) == result.orders - len(open_in_kernel)
    assert filled == fill_qty


def test_the_strategy_version_is_recorded(journal_file: Path, journaled_backtest: Backtest) -> None:
    run = journaled_backtest(journal_file, bars=500)
    with JournalReader(journal_file) as reader:
        (version,) = reader.run(run.run_id).strategies
    source = inspect.getsourcefile(SmaCross)
    if source is not None and source.endswith(".py"):
        assert version.code_hash == hashlib.sha256(Path(source).read_bytes()).hexdigest()
    else:  # a compiled template: the hash of its module file
        assert len(version.code_hash) == 64
    assert version.strategy_id == "sma_cross"
    assert version.class_name == "strategies.sma_cross.SmaCross"
    assert version.parameters["fast"] == 5 and version.parameters["allow_short"] is True
    assert version.allocation_raw == 100_000 * 10**9 and version.currency == "USD"


def test_the_report_is_rebuilt_byte_identical(
    journal_file: Path, journaled_backtest: Backtest
) -> None:
    run = journaled_backtest(journal_file)
    with JournalReader(journal_file) as reader:
        rebuilt = reader.rebuild_report(run.run_id)
        metrics = reader.metrics(run.run_id)
        per_strategy = reader.per_strategy_metrics(run.run_id)
    assert dumps(rebuilt) == dumps(run.report)
    assert metrics == run.result.metrics  # exact, unrounded
    assert per_strategy == run.result.per_strategy


def test_round_trips_read_back_exactly(journal_file: Path, journaled_backtest: Backtest) -> None:
    run = journaled_backtest(journal_file, bars=1500)
    with JournalReader(journal_file) as reader:
        records = reader.round_trips(run.run_id)
    assert [_trip(r.trip) for r in records] == [_trip(t) for t in run.result.round_trips]
    assert all(r.notes == "" and r.tags == () for r in records)


def test_notes_and_tags_on_a_round_trip(journal_file: Path, journaled_backtest: Backtest) -> None:
    run = journaled_backtest(journal_file, bars=800)
    with JournalReader(journal_file) as reader:
        first = reader.round_trips(run.run_id)[0]
        edited = reader.annotate_round_trip(
            first.id,
            author="ana",
            why="review of January",
            notes="entered late: the cross came on a gap",
            tags=["late-entry", " gap ", "late-entry"],
        )
        assert edited.notes == "entered late: the cross came on a gap"
        assert edited.tags == ("gap", "late-entry")
        reader.add_note("too many whipsaws in ranges", author="ana", run_id=run.run_id)
        with pytest.raises(ValueError, match="comma"):
            reader.annotate_round_trip(first.id, author="ana", tags=["a,b"])
        with pytest.raises(ValueError, match="who"):
            reader.annotate_round_trip(first.id, author=" ", notes="x")
        notes = reader.notes(run.run_id)
        # the edit does not touch the figures, and the report stays the same
        assert dumps(reader.rebuild_report(run.run_id)) == dumps(run.report)
    assert [n.author for n in notes] == ["ana", "ana"]
    change = notes[0].change or ""
    assert "tags: '' -> 'gap,late-entry'" in change and notes[0].why == "review of January"
    assert notes[0].round_trip_id == first.id
    assert notes[1].text == "too many whipsaws in ranges" and notes[1].change is None
    with JournalReader(journal_file) as again:  # persisted
        assert again.round_trips(run.run_id)[0].tags == ("gap", "late-entry")


def test_csv_export(journal_file: Path, journaled_backtest: Backtest, tmp_path: Path) -> None:
    run = journaled_backtest(journal_file, bars=800)
    with JournalReader(journal_file) as reader:
        files = reader.export_csv(run.run_id, tmp_path / "csv")
    names = {f.stem for f in files}
    assert {"runs", "orders", "order_events", "fills", "round_trips", "equity_snapshots"} <= names
    with (tmp_path / "csv" / "fills.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == run.result.fills
    # raw integers, exact: 100 to open or close, 200 to flip from long to short
    assert {int(r["qty_raw"]) for r in rows} == {100 * 10**9, 200 * 10**9}
    with (tmp_path / "csv" / "round_trips.csv").open(newline="", encoding="utf-8") as fh:
        trips = list(csv.DictReader(fh))
    assert [int(t["net_raw"]) for t in trips] == [t.net_pnl_raw for t in run.result.round_trips]


def test_parquet_export(journal_file: Path, journaled_backtest: Backtest, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    run = journaled_backtest(journal_file, bars=800)
    with JournalReader(journal_file) as reader:
        reader.export_parquet(run.run_id, tmp_path / "pq")
    fills = pq.read_table(tmp_path / "pq" / "fills.parquet")
    assert fills.num_rows == run.result.fills
    assert str(fills.schema.field("px_raw").type) == "int64"
    trips = pq.read_table(tmp_path / "pq" / "round_trips.parquet").to_pydict()
    assert trips["gross_raw"] == [t.gross_pnl_raw for t in run.result.round_trips]
    runs = pq.read_table(tmp_path / "pq" / "runs.parquet").to_pydict()
    assert runs["id"] == [run.run_id] and runs["mode"] == ["backtest"]


def test_positions_and_cash_rebuilt_from_fills_match_the_kernel(
    journal_file: Path, journaled_backtest: Backtest
) -> None:
    run = journaled_backtest(journal_file, bars=2500)
    recovered = recover(journal_file, [run.instrument], run_id=run.run_id)
    account = run.session.kernel.portfolio.accounts["sma_cross"]
    mine = recovered.accounts["sma_cross"]
    assert mine.cash_raw == account.cash_raw
    assert mine.fees_raw == account.fees_raw
    assert mine.realized_raw == account.realized_raw
    pos = account.positions[run.instrument.id]
    assert mine.positions[run.instrument.id].signed_qty_raw == pos.signed_qty_raw
    assert mine.positions[run.instrument.id].cost_raw == pos.cost_raw
    assert [_trip(t) for t in mine.round_trips] == [_trip(t) for t in account.round_trips]
    assert recovered.ended


def test_runs_are_listed_in_order(journal_file: Path, journaled_backtest: Backtest) -> None:
    first = journaled_backtest(journal_file, bars=400, seed=1)
    second = journaled_backtest(journal_file, bars=400, seed=2)  # same file, same trade ids
    with JournalReader(journal_file) as reader:
        runs = reader.runs()
        assert [r.id for r in runs] == [first.run_id, second.run_id]
        assert [r.seeds for r in runs] == [{"data": 1}, {"data": 2}]
        assert dumps(reader.rebuild_report(first.run_id)) == dumps(first.report)
        assert dumps(reader.rebuild_report(second.run_id)) == dumps(second.report)


@pytest.mark.parametrize("background", [True, False], ids=["writer-process", "in-process"])
def test_a_failed_batch_stops_the_journal(
    journal_file: Path, scripted_kernel: Callable[..., Any], background: bool
) -> None:
    from core.enums import OrderSide
    from core.journal import DuplicateOrder, SqliteJournal
    from core.values import Qty

    def buy(strategy: Any, bar: Any) -> None:
        strategy.ctx.submit_order(strategy.iid, OrderSide.BUY, Qty.of(1))

    def same_key(order: Any, run_id: int) -> str:
        return "always-the-same"  # a broken key: the second order is a "duplicate"

    k = scripted_kernel({1: buy, 2: buy})
    journal = SqliteJournal(journal_file, dedup_key=same_key, batch_rows=1, background=background)
    journal.begin_run("backtest", kernel=k.kernel)
    k.kernel.start()
    with pytest.raises(DuplicateOrder, match="same deduplication key"):
        for _ in range(4):
            k.bar("10", "11", "9", "10")
        journal.end_run()
    assert isinstance(journal.failure, DuplicateOrder)
    journal.close()  # releases the file without raising again
    with JournalReader(journal_file) as reader:
        assert reader.counts(1)["orders"] == 1
        assert not reader.run(1).finished


def test_a_backtest_canceled_before_its_first_event_is_journaled(journal_file: Path) -> None:
    """Cancel pressed before the replay began: the run is recorded as canceled, with no
    equity or round trips, and the report reads back."""
    from threading import Event as StopFlag

    from core.data import generate_bars
    from core.instruments import equity
    from core.journal import SqliteJournal
    from core.session import TradingSession
    from core.values import Money
    from strategies.sma_cross import SmaCrossConfig
    from venues.simulated import SimulatedVenue

    instrument = equity("SYN", "SIM")
    series = generate_bars(100, seed=3, instrument_id=instrument.id)
    session = TradingSession(
        instruments=[instrument], venues=[SimulatedVenue("SIM", instruments=[instrument])]
    )
    config = SmaCrossConfig(instrument_id=instrument.id, fast=5, slow=20, qty=10)
    session.add_strategy(SmaCross(config), Money.parse("100000", "USD"))
    journal = SqliteJournal(journal_file, background=False)
    run_id = journal.begin_run("backtest", kernel=session.kernel, label="canceled at once")
    stop = StopFlag()
    stop.set()
    result = session.run_backtest([series], stop=stop)
    assert result.canceled and result.events == 0 and len(result.equity_ts) == 0
    journal.end_run(result)
    journal.close()
    with JournalReader(journal_file) as reader:
        run = reader.run(run_id)
        assert run.finished and run.canceled
        assert reader.counts(run_id)["orders"] == 0
        ts, raw = reader.equity(run_id)
        assert len(ts) == 0 and len(raw) == 0
        assert reader.round_trips(run_id) == []


@pytest.mark.parametrize("dedup_key", ["", "rest-far-bid"])
def test_orders_working_when_a_backtest_goes_paper_carry_over_to_the_paper_run(
    journal_file: Path, scripted_kernel: Callable[..., Any], dedup_key: str
) -> None:
    """The same kernel journaled as a backtest, then as a paper run: the order still working
    gets a row in the paper run and its later events land there (nothing is 'never seen')."""
    from core.enums import OrderSide, OrderType
    from core.journal import SqliteJournal
    from core.values import Price, Qty

    placed: list[Any] = []

    def rest(strategy: Any, bar: Any) -> None:
        placed.append(
            strategy.ctx.submit_order(
                strategy.iid,
                OrderSide.BUY,
                Qty.of(5),
                order_type=OrderType.LIMIT,
                price=Price.parse("1"),
                dedup_key=dedup_key,
            )
        )

    k = scripted_kernel({1: rest})
    backtest = SqliteJournal(journal_file, background=False)
    first = backtest.begin_run("backtest", kernel=k.kernel)
    k.kernel.start()
    for _ in range(3):
        k.bar("10", "11", "9", "10")
    backtest.end_run()
    backtest.close()
    order = placed[0]
    assert order.status_name() == "ACCEPTED"

    paper = SqliteJournal(journal_file, background=False)
    second = paper.begin_run("paper", kernel=k.kernel)
    k.kernel.cancel_all("S1")
    assert order.status_name() == "CANCELED"
    paper.end_run()
    paper.close()

    db = sqlite3.connect(journal_file)
    rows = db.execute(
        "SELECT run_id, status, dedup_key FROM orders WHERE client_order_id = ? ORDER BY run_id",
        (order.client_order_id,),
    ).fetchall()
    logs = db.execute("SELECT run_id, level, message FROM log_entries ORDER BY id").fetchall()
    events = db.execute(
        "SELECT e.kind FROM order_events e JOIN orders o ON o.id = e.order_id "
        "WHERE e.run_id = ? AND o.client_order_id = ? ORDER BY e.id",
        (second, order.client_order_id),
    ).fetchall()
    db.close()
    key = dedup_key or f"run{first}:{order.client_order_id}"
    carried = (
        f"{dedup_key}#carried:run{second}" if dedup_key else f"run{second}:{order.client_order_id}"
    )
    assert rows == [(first, "ACCEPTED", key), (second, "CANCELED", carried)]
    assert [m for _, level, m in logs if level == "ERROR"] == []
    assert (
        second,
        "INFO",
        f"1 working order(s) carried over from the previous mode: {order.client_order_id}",
    ) in logs
    assert [e[0] for e in events][-1] == "OrderCanceled"
