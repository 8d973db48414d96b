"""Synthetic data on the command line: ``tradebench generate`` (a seeded market written to
Parquet), ``backtest --every-tick`` (ticks generated inside the bars) and ``paper --scenario``
(a generated market replayed in real time as the paper feed).

The models live in ``core.data.marketgen`` (market, scenarios), ``core.data.bookgen`` (L2 book)
and ``core.data.tickgen`` (ticks inside bars); this module only turns options into calls.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from app.market_setup import SettingsError, parse_date_ns
from core.data.marketgen import SCENARIOS, MarketModel, SyntheticMarket, generate_market
from core.data.tickgen import every_tick
from core.feeds import Series
from core.session import TradingSession

FILES = {
    "bars": "bars.parquet",
    "quotes": "quotes.parquet",
    "trades": "trades.parquet",
    "book_snapshot": "book_snapshot.parquet",
    "book_deltas": "book_deltas.parquet",
}
"""What ``tradebench generate`` writes into its folder. The bars, quotes and trades files load
like any Tradebench Parquet file (``--data DIR/bars.parquet``); the book files hold the rows of a
``core.replay.BOOK`` chunk (ts_event, side, price, size, sequence), the snapshot as sequence 1."""

PAPER_SCENARIO_AT = 0.25
"""Where the scenario starts in a paper session's market time (a quarter of the way in)."""

_UNITS = {"s": 1.0, "m": 60.0, "h": 3_600.0, "d": 86_400.0}


def parse_duration_s(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``2h`` or ``1d`` in seconds."""
    body = text.strip().lower()
    scale = _UNITS.get(body[-1:], 0.0)
    number = body[:-1] if scale else body
    try:
        value = float(number) * (scale or 1.0)
    except ValueError:
        raise SettingsError(
            f"duration {text!r}: use seconds or a number with s, m, h or d"
        ) from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"duration must be positive, got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gen = sub.add_parser(
        "generate",
        help="write a seeded synthetic market (bars, ticks, L2 book) to Parquet files",
        description="Generate a synthetic market and write "
        + ", ".join(FILES.values())
        + " into a folder.",
    )
    gen.add_argument("--out", required=True, metavar="FOLDER", help="folder to write into")
    gen.add_argument("--scenario", default="normal", choices=SCENARIOS, help="stress scenario")
    gen.add_argument(
        "--at",
        type=float,
        default=0.5,
        help="where the scenario starts, as a share of the duration (default 0.5)",
    )
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--instrument", default="SYN.SIM", help="instrument id (default SYN.SIM)")
    gen.add_argument("--duration", default="1h", help="market time: 3600, 90m, 8h, 2d (1h)")
    gen.add_argument(
        "--start", default="2020-01-01", help="first instant (UTC, default 2020-01-01)"
    )
    gen.add_argument("--start-price", default="100", help="first mid price (default 100)")
    gen.add_argument("--tick", default="0.01", help="price tick (default 0.01)")
    gen.add_argument("--lot", default="1", help="lot size (default 1)")
    gen.add_argument("--bar-seconds", type=float, default=60.0, help="bar length (default 60)")
    gen.add_argument("--no-book", action="store_true", help="skip the L2 book")
    gen.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    model = MarketModel(
        instrument_id=args.instrument,
        start_price=args.start_price,
        tick=args.tick,
        lot=args.lot,
        start_ns=parse_date_ns(args.start, "--start"),
        duration_s=parse_duration_s(args.duration),
        scenario=args.scenario,
        scenario_at=args.at,
        bar_period_s=args.bar_seconds,
        with_book=not args.no_book,
    )
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise SettingsError(f"--out {folder}: is a file, not a folder")
    started = time.perf_counter()
    market = generate_market(model, seed=args.seed)
    wall = time.perf_counter() - started
    written = write_market(market, folder)
    book = f", {len(market.book_events()):,} book rows" if model.with_book else ""
    print(
        f"{args.scenario} market for {model.instrument_id}, seed {args.seed}: "
        f"{len(market.quotes):,} quotes, {len(market.trades):,} trades, {len(market.bars):,} "
        f"bars{book} in {wall:.2f} s"
    )
    for path in written:
        print(f"  {path}")
    return 0


def write_market(market: SyntheticMarket, folder: Path) -> list[Path]:
    """Write the market's Parquet files into ``folder`` (created if missing)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "bars": market.bars.to_table(),
        "quotes": market.quotes.to_table(),
        "trades": market.trades.to_table(),
    }
    if market.model.with_book:
        tables["book_snapshot"] = market.snapshot_table()
        tables["book_deltas"] = market.book_table()
    written = []
    for kind, table in tables.items():
        path = folder / FILES[kind]
        pq.write_table(table, path)
        written.append(path)
    return written


# backtest --every-tick ---------------------------------------------------------------------------


def add_every_tick_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--every-tick",
        action="store_true",
        help="run bar data tick by tick: quotes and trades generated inside each bar "
        "(open, high, low, close and volume honoured exactly), fills at the touch",
    )
    p.add_argument(
        "--ticks-per-bar", type=float, default=50.0, help="mean trades per bar (default 50)"
    )
    p.add_argument("--tick-seed", type=int, default=0, help="seed of the generated ticks")


def backtest_series(
    args: argparse.Namespace, session: TradingSession, series: Sequence[Series]
) -> list[Series]:
    """The series a backtest replays: with ``--every-tick``, each bar series preceded by the
    quotes and trades generated inside its bars on its instrument's grid."""
    if not args.every_tick:
        return list(series)
    if not args.ticks_per_bar > 0:
        raise SettingsError(f"--ticks-per-bar must be positive, got {args.ticks_per_bar:g}")
    grids = {
        inst.id: (inst.tick_size.raw, inst.lot_size.raw) for inst in session.kernel.instruments
    }
    return every_tick(series, grids, seed=args.tick_seed, trades_per_bar=args.ticks_per_bar)


# paper --scenario --------------------------------------------------------------------------------


def add_scenario_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="replay a generated market (quotes, trades, bars) with this scenario in real time, "
        f"at --speed; the scenario starts {PAPER_SCENARIO_AT:.0%} of the way in",
    )


def paper_market(args: argparse.Namespace) -> SyntheticMarket:
    """The market a ``paper --scenario`` session replays: ``--duration`` x ``--speed`` seconds of
    market time (one bar more), bars of ``--bar-seconds`` x ``--speed``."""
    bar_s = args.bar_seconds * args.speed
    market_s = args.duration * args.speed + bar_s
    try:
        model = MarketModel(
            instrument_id=args.instrument,
            tick=args.tick or "0.01",
            lot=args.lot,
            duration_s=market_s,
            scenario=args.scenario,
            scenario_at=PAPER_SCENARIO_AT,
            bar_period_s=bar_s,
            with_book=False,
        )
    except ValueError as exc:
        raise SettingsError(
            f"--scenario {args.scenario} on {market_s:g} s of market time (--duration x "
            f"--speed): {exc}"
        ) from None
    return generate_market(model, seed=args.seed)
