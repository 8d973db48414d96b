"""``tradebench bench``: throughput and peak memory of the standard workloads, compiled and
pure Python, each workload in a fresh process so peak memory is its own.

A  1,000,000 one-minute bars (seeded geometric random walk, 0.01 grid), SMA(10)/SMA(30) cross,
   long 100 / flat, 1 bp fee, next-open fills.
B  2,000,000 quote ticks, EMA(10)/EMA(30) of the mid, same logic, fills at the touch.
C  the sweep of A over fast 5..50 step 5 x slow 20..200 step 20 (fast < slow: 90 runs) on both
   cores: each core runs 45 strategies side by side in one pass over the bars, sharing the
   engine-maintained SMAs.
AR, BR  A and B with every built-in risk rule on (max quantity, max notional, max position,
   price collar, order rate, duplicate guard, capital allocation), a total and an intraday
   drawdown breaker per strategy and globally (wide enough not to trip: the report must equal
   A's / B's), and the SQLite journal writing every order, fill and round trip (batched, writer
   process). The wall time includes waiting for the journal's last commit.
D  L2 book replay: 10,000,000 book level changes of the synthetic market (``core.data.marketgen``,
   seed 9) and its trades, through the kernel into the order-book venue and the market maker
   (1 lot each side, 2 ticks from the mid, inventory 10 lots, maker rebate 0.2 bp, taker 1 bp);
   events are book rows plus trades.
DB the Binance BTCUSDT sample (``../shared/data/hftbacktest``, or ``TRADEBENCH_SHARED_DATA``):
   its synchronised book and trades end to end with the market maker on the order-book venue
   (parsing is setup, not timed).
G  the synthetic market generator (``core.data.marketgen``): 10,000,000 ticks (quotes and
   trades, regime model, seed 5) with bars and the L2 book; events are ticks (no strategy runs:
   0 round trips); the digest covers every generated column.

Everything goes through the public engine: strategy -> context -> risk -> order state machine ->
simulated venue -> portfolio, and the numbers come from the metrics code the CLI uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import site
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.values import Money

NS_PER_MINUTE = 60_000_000_000
NS_PER_DAY = 86_400_000_000_000
BARS_A = 1_000_000
QUOTES_B = 2_000_000
TICKS_G = 10_000_000
BOOK_ROWS_D = 10_000_000
SWEEP = [(f, s) for f in range(5, 51, 5) for s in range(20, 201, 20) if f < s]
CASH = "1000000"

Row = dict[str, Any]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _bar_session(n_bars: int) -> tuple[Any, Any]:
    from core.data import generate_bars
    from core.instruments import equity
    from core.session import TradingSession
    from venues.simulated import BpsFee, FillConfig, SimulatedVenue

    instrument = equity("SYN", "SIM")
    bars = generate_bars(
        n_bars, seed=1, instrument_id=instrument.id, start_price="100", tick="0.01"
    )
    venue = SimulatedVenue(
        "SIM", instruments=[instrument], fees=BpsFee(1), fill=FillConfig(participation=None)
    )
    return TradingSession(instruments=[instrument], venues=[venue]), bars


def _report_digest(result: Any, strategy: str) -> str:
    from core.reports import build_report, dumps

    report = build_report(result, strategy=strategy, parameters={}, data=[], settings={})
    return hashlib.sha256(dumps(report).encode()).hexdigest()[:16]


def _row(workload: str, events: int, wall: float, result: Any, setup_s: float) -> Row:
    import core

    metrics = result.metrics
    return {
        "workload": workload,
        "compiled": core.COMPILED,
        "events": events,
        "wall_s": round(wall, 3),
        "events_per_s": round(events / wall) if wall > 0 else None,
        "setup_s": round(setup_s, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "trades": metrics.round_trip_count,
        "fills": result.fills,
        "final_pnl": str(metrics.net_profit.as_decimal().normalize()),
        # AR/BR must give exactly A's/B's report: same digest
        "report_sha256": _report_digest(result, workload[0]),
    }


class _Guarded:
    """The risk stack and the journal of the AR/BR workloads, around one backtest."""

    def __init__(self, session: Any) -> None:
        import tempfile

        from core.enums import TradingState
        from core.journal import SqliteJournal
        from core.risk import DrawdownBreaker
        from core.riskrules import (
            CapitalAllocation,
            DuplicateGuard,
            MaxOrderNotional,
            MaxOrderQty,
            MaxPosition,
            OrderRateLimit,
            PriceCollar,
        )
        from core.values import Qty

        kernel = session.kernel
        control = kernel.control
        for rule in (
            MaxOrderQty(Qty.of(1000)),
            MaxOrderNotional(Money.parse("1000000", "USD")),
            MaxPosition(Qty.of(1000)),
            PriceCollar(500),
            OrderRateLimit(1000, 1_000_000_000),
            DuplicateGuard(),
            CapitalAllocation(5_000),
        ):
            control.set_rule(rule, "bench", "risk on")
        halt, reduce = TradingState.HALTED, TradingState.REDUCING
        for record in kernel.records:
            sid = record.strategy_id
            control.set_breaker(
                DrawdownBreaker(f"{sid}-total", sid, action=halt, limit_bps=9_000), "bench", "on"
            )
            control.set_breaker(
                DrawdownBreaker(f"{sid}-day", sid, action=reduce, limit_bps=6_000, intraday=True),
                "bench",
                "on",
            )
        control.set_breaker(
            DrawdownBreaker("all-total", "", action=halt, limit_bps=9_000), "bench", "on"
        )
        self._folder = tempfile.TemporaryDirectory(prefix="tradebench-bench-")
        self.journal = SqliteJournal(Path(self._folder.name) / "journal.sqlite")
        self.journal.begin_run("backtest", kernel=kernel, label="bench")

    def finish(self, result: Any) -> float:
        """End the journal's run; the seconds it took (the last batches and round trips)."""
        t0 = time.perf_counter()
        self.journal.end_run(result)
        self.journal.close()
        spent = time.perf_counter() - t0
        self._folder.cleanup()
        return spent


def workload_a(scale: float, guarded: bool = False) -> Row:
    from strategies.sma_cross import SmaCross, SmaCrossConfig

    t0 = time.perf_counter()
    session, bars = _bar_session(max(1000, int(BARS_A * scale)))
    strategy = SmaCross(SmaCrossConfig(instrument_id="SYN.SIM", fast=10, slow=30, qty=100))
    session.add_strategy(strategy, Money.parse(CASH, "USD"))
    guard = _Guarded(session) if guarded else None
    setup = time.perf_counter() - t0
    result = session.run_backtest([bars])
    wall = result.wall_s + (guard.finish(result) if guard is not None else 0.0)
    return _row("AR" if guarded else "A", result.events, wall, result, setup)


def workload_b(scale: float, guarded: bool = False) -> Row:
    from core.data import generate_quotes
    from core.instruments import equity
    from core.session import TradingSession
    from strategies.ema_cross import EmaCross, EmaCrossConfig
    from venues.simulated import BpsFee, FillConfig, SimulatedVenue

    t0 = time.perf_counter()
    instrument = equity("SYN", "SIM")
    quotes = generate_quotes(max(1000, int(QUOTES_B * scale)), seed=2, instrument_id=instrument.id)
    venue = SimulatedVenue(
        "SIM", instruments=[instrument], fees=BpsFee(1), fill=FillConfig(participation=None)
    )
    session = TradingSession(instruments=[instrument], venues=[venue])
    strategy = EmaCross(EmaCrossConfig(instrument_id=instrument.id, fast=10, slow=30, qty=100))
    session.add_strategy(strategy, Money.parse(CASH, "USD"))
    guard = _Guarded(session) if guarded else None
    setup = time.perf_counter() - t0
    # one equity sample per minute of quotes: the curve a report needs, not one per tick
    result = session.run_backtest([quotes], equity_every_ns=NS_PER_MINUTE)
    wall = result.wall_s + (guard.finish(result) if guard is not None else 0.0)
    return _row("BR" if guarded else "B", result.events, wall, result, setup)


@dataclass(frozen=True)
class _SweepPart:
    pairs: list[tuple[int, int]]
    n_bars: int


def _sweep_part(part: _SweepPart) -> Row:
    from strategies.sma_cross import SmaCross, SmaCrossConfig

    session, bars = _bar_session(part.n_bars)
    for fast, slow in part.pairs:
        config = SmaCrossConfig(instrument_id="SYN.SIM", fast=fast, slow=slow, qty=100)
        session.add_strategy(SmaCross(config, f"sma_{fast}_{slow}"), Money.parse(CASH, "USD"))
    result = session.run_backtest([bars], equity_every_ns=NS_PER_DAY, per_strategy=True)
    runs = {
        sid: {
            "trades": m.round_trip_count,
            "net": str(m.net_profit.as_decimal().normalize()),
            "sharpe": m.sharpe,
        }
        for sid, m in result.per_strategy.items()
    }
    return {
        "runs": runs,
        "events": result.events * len(part.pairs),
        "trades": result.metrics.round_trip_count,
        "peak_rss_mb": _peak_rss_mb(),
    }


def workload_c(scale: float) -> Row:
    import core

    n_bars = max(1000, int(BARS_A * scale))
    parts = [_SweepPart(SWEEP[0::2], n_bars), _SweepPart(SWEEP[1::2], n_bars)]
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_sweep_part, parts)
    wall = time.perf_counter() - t0
    runs: dict[str, Any] = {}
    for r in results:
        runs.update(r["runs"])
    best = max(runs.items(), key=lambda kv: (kv[1]["sharpe"] or float("-inf"), kv[0]))
    digest = hashlib.sha256(json.dumps(runs, sort_keys=True).encode()).hexdigest()[:16]
    events = sum(int(r["events"]) for r in results)
    return {
        "workload": "C",
        "compiled": core.COMPILED,
        "events": events,
        "wall_s": round(wall, 3),
        "events_per_s": round(events / wall),
        "setup_s": None,
        "peak_rss_mb": round(_peak_rss_mb() + sum(float(r["peak_rss_mb"]) for r in results), 1),
        "trades": sum(int(r["trades"]) for r in results),
        "fills": None,
        "final_pnl": f"best {best[0]} net {best[1]['net']}",
        "report_sha256": digest,
        "runs": len(runs),
    }


def workload_ar(scale: float) -> Row:
    return workload_a(scale, guarded=True)


def workload_br(scale: float) -> Row:
    return workload_b(scale, guarded=True)


def workload_g(scale: float) -> Row:
    import core
    from core.data.marketgen import MarketModel, generate_market

    ticks = max(10_000, int(TICKS_G * scale))
    # the regime path makes the count vary by a few per cent: aim 5 % above the target
    model = MarketModel(duration_s=1.05 * ticks / MarketModel().ticks_per_s())
    t0 = time.perf_counter()
    market = generate_market(model, seed=5)
    wall = time.perf_counter() - t0
    quotes, trades, book = market.quotes, market.trades, market.book_events()
    digest = hashlib.sha256()
    for column in (
        quotes.ts_event, quotes.bid, quotes.ask, quotes.bid_size, quotes.ask_size,
        trades.ts_event, trades.price, trades.size, trades.aggressor,
        book.ts, book.side, book.price, book.size, book.sequence,
    ):  # fmt: skip
        digest.update(column)
    return {
        "workload": "G",
        "compiled": core.COMPILED,
        "events": market.ticks,
        "wall_s": round(wall, 3),
        "events_per_s": round(market.ticks / wall),
        "setup_s": None,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "trades": 0,  # round trips: no strategy runs
        "fills": None,
        "final_pnl": f"{len(quotes):,} quotes + {len(trades):,} trades, {len(book):,} book rows, "
        f"{len(market.bars):,} bars",
        "report_sha256": digest.hexdigest()[:16],
    }


def _book_session(instrument: Any, params: dict[str, Any]) -> Any:
    from core.session import TradingSession
    from strategies.market_maker import MarketMaker, MarketMakerConfig
    from venues.orderbook import OrderBookVenue
    from venues.simulated import MakerTakerFee

    venue = OrderBookVenue(
        instrument.venue, instruments=[instrument], fees=MakerTakerFee("-0.2", "1")
    )
    session = TradingSession(
        instruments=[instrument], venues=[venue], base_currency=instrument.quote_currency
    )
    config = MarketMakerConfig(instrument_id=instrument.id, **params)
    session.add_strategy(MarketMaker(config), Money.parse(CASH, instrument.quote_currency))
    return session


def _synthetic_book(rows: int) -> tuple[Any, Any]:
    """``rows`` book level changes (whole updates) of the synthetic market as a ``BookSeries``,
    and the market's trades over the same time."""
    from core.data import book_series_of_market
    from core.data.marketgen import MarketModel, generate_market

    base = MarketModel()
    events_per_s = base.ticks_per_s() / (1 + base.trade_probability)
    # about 1.8 book rows per event: aim some 10 % above the target
    market = generate_market(MarketModel(duration_s=0.6 * rows / events_per_s), seed=9)
    book = book_series_of_market(market, rows)
    return book, market.trades.slice_time(None, int(book.ts_event[-1]) + 1)


def workload_d(scale: float) -> Row:
    from core.instruments import equity

    t0 = time.perf_counter()
    book, trades = _synthetic_book(max(10_000, int(BOOK_ROWS_D * scale)))
    session = _book_session(equity("SYN", "SIM"), {"qty": 1, "max_position": 10, "half_spread": 2})
    setup = time.perf_counter() - t0
    result = session.run_backtest([book, trades], equity_every_ns=NS_PER_MINUTE)
    row = _row("D", result.events, result.wall_s, result, setup)
    row["final_pnl"] += f" ({len(book):,} book rows + {len(trades):,} trades)"
    return row


def workload_db(scale: float) -> Row:
    from core.data import book_series_from_events, load_binance_trades, replay_book
    from core.data.binance import read_binance_stream
    from core.instruments import Instrument
    from core.values import Price, Qty

    root = Path(os.environ.get("TRADEBENCH_SHARED_DATA", "../shared/data")) / "hftbacktest"
    paths = sorted(root.glob("binance_spot_btcusdt_*_stream.gz"))
    if not paths:
        raise SystemExit(f"the Binance sample is not in {root} (set TRADEBENCH_SHARED_DATA)")
    t0 = time.perf_counter()
    stream = read_binance_stream(paths)
    book = book_series_from_events(replay_book(stream))
    trades = load_binance_trades(stream)
    instrument = Instrument(
        instrument_id=book.instrument_id,
        tick_size=Price.parse("0.01"),
        lot_size=Qty.parse("0.00001"),
        quote_currency="USDT",
    )
    params = {"qty": "0.001", "max_position": "0.005", "half_spread": 1}
    session = _book_session(instrument, params)
    setup = time.perf_counter() - t0
    result = session.run_backtest([book, trades])
    row = _row("DB", result.events, result.wall_s, result, setup)
    row["final_pnl"] += f" USDT ({len(book):,} book rows + {len(trades):,} trades)"
    return row


WORKLOADS = {
    "A": workload_a,
    "B": workload_b,
    "C": workload_c,
    "AR": workload_ar,
    "BR": workload_br,
    "G": workload_g,
    "D": workload_d,
    "DB": workload_db,
}


def _package_root() -> str:
    """The folder holding the ``app`` package this process runs (site-packages or a checkout)."""
    return str(Path(__file__).resolve().parent.parent)


def _run_worker(workload: str, pure: bool, scale: float) -> Row:
    env = dict(os.environ)
    env.pop("TRADEBENCH_PURE_PYTHON", None)
    # the engine is single-threaded; idle BLAS threads spinning after numpy calls steal a core
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    if pure:
        env["TRADEBENCH_PURE_PYTHON"] = "1"
    # the worker must import the same build as this process: ``-P`` keeps the current folder
    # (a checkout of uncompiled sources, when run from the repository root) off its sys.path
    root = _package_root()
    if root not in site.getsitepackages():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-P", "-m", "app.bench", "--worker", workload, "--scale", str(scale)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"workload {workload} failed:\n{proc.stderr.strip()}")
    row: Row = json.loads(proc.stdout.strip().splitlines()[-1])
    return row


def format_rows(rows: Sequence[Row]) -> str:
    head = f"{'workload':<9}{'engine':<10}{'events':>12}{'wall s':>9}{'events/s':>13}"
    head += f"{'peak MB':>9}{'trades':>9}  final PnL / check"
    lines = [head, "-" * len(head)]
    for r in rows:
        engine = "compiled" if r["compiled"] else "pure"
        rate = f"{r['events_per_s']:,}" if r["events_per_s"] else "-"
        lines.append(
            f"{r['workload']:<9}{engine:<10}{r['events']:>12,}{r['wall_s']:>9.2f}{rate:>13}"
            f"{r['peak_rss_mb']:>9.1f}{r['trades']:>9,}  {r['final_pnl']} "
            f"[{r['report_sha256']}]"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradebench bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--workloads", default="A,B,C,AR,BR", help=f"comma list of {', '.join(WORKLOADS)}"
    )
    parser.add_argument(
        "--engine",
        choices=("both", "compiled", "pure"),
        default="both",
        help="which build to measure (pure runs the installed sources uninterpreted)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="workload size factor")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKLOADS[args.worker](args.scale)))
        return 0
    import core

    engines = {"both": (False, True), "compiled": (False,), "pure": (True,)}[args.engine]
    rows: list[Row] = []
    for workload in [w.strip().upper() for w in args.workloads.split(",") if w.strip()]:
        if workload not in WORKLOADS:
            parser.error(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")
        for pure in engines:
            if not pure and not core.COMPILED:
                continue
            rows.append(_run_worker(workload, pure, args.scale))
            if not args.json:
                print(format_rows(rows[-1:]).splitlines()[-1], flush=True)
    if args.json:
        print(json.dumps({"scale": args.scale, "results": rows}, indent=1))
    else:
        if not core.COMPILED:
            print("(this installation runs pure Python: no compiled engine to measure)")
        print()
        print(format_rows(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
