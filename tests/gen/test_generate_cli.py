"""The command line of the generators: ``tradebench generate`` writes readable Parquet,
``backtest --every-tick`` runs bars tick by tick (deterministically), ``paper --scenario``
replays a generated market in real time, and the bench's generator workload runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from app import bench
from core.data import BarSeries, QuoteSeries, TradeSeries, load_series
from core.data.marketgen import MarketModel, generate_market

START_NS = 1_577_836_800_000_000_000  # 2020-01-01


def test_generate_writes_readable_parquet(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "drought"
    run = run_cli(
        "generate", "--out", str(out), "--scenario", "drought", "--seed", "3",
        "--duration", "40m", "--at", "0.3", "--instrument", "DRY.SIM",
    )  # fmt: skip
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("drought market for DRY.SIM, seed 3: ")
    market = generate_market(
        MarketModel(
            instrument_id="DRY.SIM", duration_s=2_400.0, scenario="drought", scenario_at=0.3
        ),
        seed=3,
    )
    assert f"{len(market.quotes):,} quotes, {len(market.trades):,} trades" in run.out
    bars, quotes, trades = (
        load_series(out / f"{kind}.parquet") for kind in ("bars", "quotes", "trades")
    )
    assert isinstance(bars, BarSeries) and isinstance(quotes, QuoteSeries)
    assert isinstance(trades, TradeSeries)
    assert bars.instrument_id == quotes.instrument_id == trades.instrument_id == "DRY.SIM"
    assert bars.period_ns == 60_000_000_000
    for got, want, names in (
        (bars, market.bars, ("ts_event", "open", "high", "low", "close", "volume")),
        (quotes, market.quotes, ("ts_event", "bid", "ask", "bid_size", "ask_size")),
        (trades, market.trades, ("ts_event", "price", "size", "aggressor")),
    ):
        for name in names:
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
    deltas = pq.read_table(out / "book_deltas.parquet")
    meta = {k.decode(): v.decode() for k, v in (deltas.schema.metadata or {}).items()}
    assert meta["kind"] == "book_deltas" and meta["instrument_id"] == "DRY.SIM"
    assert deltas.column_names == ["ts_event", "side", "price", "size", "sequence"]
    book = market.book_events()
    assert np.array_equal(deltas.column("ts_event").to_numpy().view(np.int64), book.ts)
    for name in ("side", "price", "size", "sequence"):
        assert np.array_equal(deltas.column(name).to_numpy(), getattr(book, name)), name
    snapshot = pq.read_table(out / "book_snapshot.parquet").drop(["ts_event"]).to_pydict()
    expected = market.book_snapshot()
    assert set(snapshot["sequence"]) == {1}
    bids = [
        (p, s)
        for side, p, s in zip(snapshot["side"], snapshot["price"], snapshot["size"], strict=True)
        if side == 1
    ]
    assert bids == list(expected.bids)
    assert len(snapshot["side"]) == len(expected.bids) + len(expected.asks)


def test_generate_without_book_and_bad_options(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "plain"
    run = run_cli("generate", "--out", str(out), "--duration", "300", "--no-book")
    assert run.code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "bars.parquet",
        "quotes.parquet",
        "trades.parquet",
    ]
    run = run_cli("generate", "--out", str(out), "--duration", "ten")
    assert run.code == 2
    assert run.err.startswith("tradebench: error: duration 'ten': use seconds")
    run = run_cli("generate", "--out", str(out), "--scenario", "flash-crash", "--duration", "10m")
    assert run.code == 2
    assert "the flash-crash scenario needs 720 s from 300 s" in run.err


def _report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def test_every_tick_backtest_on_real_daily_bars_is_deterministic(
    tmp_path: Path, shared_data: Path, run_cli: Callable[..., Any]
) -> None:
    data = str(shared_data / "backtrader" / "orcl_daily_1995-2014.csv")
    common = (
        "backtest", "sma_cross", "--data", data, "--start", "2000-01-01", "--end", "2004-01-01",
        "--param", "fast=10", "--param", "slow=30", "--no-journal",
    )  # fmt: skip
    runs = []
    for name in ("a.json", "b.json"):
        run = run_cli(*common, "--every-tick", "--tick-seed", "4", "--report", str(tmp_path / name))
        assert (run.code, run.err) == (0, "")
        runs.append(run)
    first, second = (tmp_path / "a.json").read_bytes(), (tmp_path / "b.json").read_bytes()
    assert first == second
    report = _report(tmp_path / "a.json")
    assert report["settings"]["every_tick"] == "50 trades/bar, seed 4"
    bars = run_cli(*common, "--report", str(tmp_path / "bars.json"))
    assert bars.code == 0
    by_bar = _report(tmp_path / "bars.json")
    n_bars = by_bar["data"][0]["rows"]
    # each bar, a quote and a print per generated trade: about 50 of each per bar
    assert by_bar["events"] == n_bars
    assert 90 * n_bars < report["events"] - n_bars < 110 * n_bars
    trips = report["metrics"]["round_trip_count"]
    assert trips == by_bar["metrics"]["round_trip_count"] > 5
    # fills come from the quotes inside the bars, not the bar opens
    assert report["round_trips"] != by_bar["round_trips"]
    other = run_cli(
        *common, "--every-tick", "--tick-seed", "5", "--report", str(tmp_path / "c.json")
    )
    assert other.code == 0 and (tmp_path / "c.json").read_bytes() != first


def test_every_tick_feeds_a_quote_strategy_from_bars(
    shared_data: Path, run_cli: Callable[..., Any]
) -> None:
    data = str(shared_data / "backtrader" / "orcl_daily_1995-2014.csv")
    run = run_cli(
        "backtest", "ema_cross", "--data", data, "--start", "2003-01-01", "--end", "2004-01-01",
        "--every-tick", "--ticks-per-bar", "20", "--no-journal",
    )  # fmt: skip
    assert (run.code, run.err) == (0, "")
    fills = int(run.out.splitlines()[-1].split(" fills")[0].rsplit(", ", 1)[1])
    assert fills > 10


def test_paper_replays_a_scenario_in_real_time(run_cli: Callable[..., Any]) -> None:
    run = run_cli(
        "paper", "sma_cross", "--scenario", "flash-crash", "--duration", "1.5", "--speed", "1000",
        "--bar-seconds", "0.05", "--param", "fast=2", "--param", "slow=4", "--no-journal",
    )  # fmt: skip
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    assert "paper trading sma_cross on SYN.SIM for 1.5 s (Ctrl+C stops)" in lines
    assert any(line.startswith("  fill  OrderFilled sma_cross-") for line in lines)
    assert lines[-1].startswith("equity ")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--replay", "x.csv"), "--replay and --scenario are two different feeds"),
        (("--duration", "0.5", "--speed", "60"), "--scenario flash-crash on 90 s of market time"),
    ],
)
def test_paper_scenario_errors(
    run_cli: Callable[..., Any], extra: tuple[str, ...], message: str
) -> None:
    run = run_cli("paper", "sma_cross", "--scenario", "flash-crash", "--no-journal", *extra)
    assert run.code == 2
    assert message in run.err


def test_bench_generator_workload(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--workloads", "G", "--engine", "pure", "--scale", "0.002", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["results"]
    assert row["workload"] == "G" and row["events"] > 5_000
    assert row["events_per_s"] > 0 and row["trades"] == 0
    assert " quotes + " in row["final_pnl"] and len(row["report_sha256"]) == 16
