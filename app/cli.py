"""``tradebench``: the command line. With no command it opens the workstation where there is a
display, and runs the demo backtest otherwise."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import math
import os
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

import core
from app import generate_cmd, journal_cmd
from app.market_setup import (
    FEE_HELP,
    FILL_HELP,
    QUEUE_HELP,
    SLIPPAGE_HELP,
    VENUE_HELP,
    DataRequest,
    InstrumentSettings,
    SettingsError,
    VenueSettings,
    load,
    load_parts,
    parse_date_ns,
    parse_fee,
)
from core.data import LAYOUTS, BarSeries, BookSeries, DataValidationError, QuoteSeries
from core.data.display import format_ts_ns
from core.events import Event, OrderFilled, StrategyFaulted, StrategyLogged
from core.feeds import Series
from core.journal import JournalError, SqliteJournal, default_journal_path
from core.kernel import Kernel
from core.metrics import iso_utc
from core.reports import build_report, dumps, format_table
from core.riskconfig import apply_risk_config, load_risk_config
from core.session import BacktestResult, TradingSession
from core.values import InvalidValue, Money
from strategies import (
    TemplateSpec,
    build_config,
    build_strategy,
    load_strategy_file,
    parse_param_assignments,
    template,
)
from venues.orderbook import OrderBookVenue

PAPER_QUOTE_INTERVAL_S = 0.05


class CliError(Exception):
    """Reported as one line on stderr with exit status 2."""


def version_text() -> str:
    build = "engine compiled with mypyc" if core.COMPILED else "pure-Python engine"
    return f"tradebench {core.__version__} ({build}, Python {sys.version.split()[0]})"


def _strategy_spec(name: str) -> TemplateSpec:
    if name.endswith(".py") or os.sep in name:
        return load_strategy_file(Path(name))
    return template(name)


def _cash(text: str, currency: str) -> Money:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CliError(f"--cash {text!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise CliError(f"--cash must be a positive amount, got {text}")
    return Money.from_decimal(amount, currency)


def _add_market_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cash", default="100000", help="starting cash (default 100000)")
    p.add_argument("--currency", default="USD", help="account currency (default USD)")
    p.add_argument("--fee", default="bps:1", help=f"fee model: {FEE_HELP} (default bps:1)")
    p.add_argument("--slippage", default="none", help=f"slippage model: {SLIPPAGE_HELP}")
    p.add_argument("--fill", default="next-open", help=f"bar fill convention: {FILL_HELP}")
    p.add_argument(
        "--participation",
        default="0.1",
        help="max share of each bar's volume our orders may take, or 'none' (default 0.1)",
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="order/cancel latency in ms")
    p.add_argument("--venue", default="sim", help=f"venue kind: {VENUE_HELP} (default sim)")
    p.add_argument(
        "--feed-latency-ms",
        type=float,
        default=0.0,
        help="book venue: how late the strategy sees the book, in ms",
    )
    p.add_argument("--queue-model", default="proportional", help=f"book venue: {QUEUE_HELP}")
    p.add_argument("--tick", help="price tick (default: implied by the data)")
    p.add_argument("--lot", default="1", help="lot size (default 1)")
    p.add_argument("--multiplier", type=int, default=1, help="contract multiplier (default 1)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")


def _venue_settings(args: argparse.Namespace) -> VenueSettings:
    participation: float | None
    if str(args.participation).lower() == "none":
        participation = None
    else:
        try:
            participation = float(args.participation)
        except ValueError:
            raise CliError(f"--participation {args.participation!r} is not a number") from None
    return VenueSettings(
        fee=args.fee,
        slippage=args.slippage,
        fill=args.fill,
        participation=participation,
        latency_ms=args.latency_ms,
        venue=args.venue,
        feed_latency_ms=args.feed_latency_ms,
        queue_model=args.queue_model,
    )


def _build_session(
    args: argparse.Namespace, spec: TemplateSpec, series: list[Series]
) -> tuple[TradingSession, list[str], object]:
    """The session, its instrument ids and the strategy's config."""
    settings = InstrumentSettings(
        tick=args.tick, lot=args.lot, multiplier=args.multiplier, currency=args.currency
    )
    instruments = []
    seen: set[str] = set()
    for s in series:
        if s.instrument_id not in seen:
            seen.add(s.instrument_id)
            instruments.append(settings.for_series(s))
    venues = _venue_settings(args).build_all(instruments)
    with_book = {s.instrument_id for s in series if isinstance(s, BookSeries)}
    for inst in instruments:
        if inst.id not in with_book and any(
            v.name == inst.venue and isinstance(v, OrderBookVenue) for v in venues
        ):
            raise CliError(
                f"{inst.id} trades on the book venue but has no L2 book data "
                "(give it with --data binance:FILE[,FILE...])"
            )
    session = TradingSession(instruments=instruments, venues=venues, base_currency=args.currency)
    ids = [inst.id for inst in instruments]
    config = build_config(spec, ids, parse_param_assignments(args.param))
    strategy = build_strategy(spec, config, spec.name)
    session.add_strategy(strategy, _cash(args.cash, args.currency))
    if args.risk:
        load_risk_config(args.risk)  # a bad file is reported before anything runs
    return session, ids, config


def _apply_risk(args: argparse.Namespace, session: TradingSession) -> None:
    """Install ``--risk`` once the journal listens, so it records the settings too."""
    if args.risk:
        config = load_risk_config(args.risk)
        apply_risk_config(session.kernel, config, who="cli", reason=f"--risk {args.risk}")


def _open_journal(args: argparse.Namespace) -> SqliteJournal | None:
    """The run's journal (``--journal``, or the default file), unless ``--no-journal``."""
    if args.no_journal:
        return None
    return SqliteJournal(Path(args.journal).expanduser() if args.journal else None)


def _parameters(config: object) -> dict[str, str]:
    """A config's fields as text. ``dataclasses.fields``, not ``vars``: a compiled template's
    config is a native class without ``__dict__``."""
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"a strategy config must be a dataclass, got {type(config).__name__}")
    return {f.name: str(getattr(config, f.name)) for f in dataclasses.fields(config)}


def _load_all(
    items: Sequence[str], start: str | None, end: str | None, layout: str = "auto"
) -> tuple[list[str], list[Series]]:
    """The series of every data input, each with the input it came from (a Binance
    recording gives two: its book and its trades)."""
    start_ns = parse_date_ns(start, "--start") if start else None
    end_ns = parse_date_ns(end, "--end") if end else None
    sources: list[str] = []
    series: list[Series] = []
    loaded_parts = [
        (item, part)
        for item in items
        for part in load_parts(dataclasses.replace(DataRequest.parse(item), layout=layout))
    ]
    for item, loaded in loaded_parts:
        if start_ns is not None or end_ns is not None:
            # bars carry their END time; --start/--end select by when a bar BEGINS, so
            # "--start 2005-01-01" does not pick up the 2004-12-31 session
            shift = loaded.period_ns if isinstance(loaded, BarSeries) else 0
            loaded = loaded.slice_time(
                None if start_ns is None else start_ns + shift,
                None if end_ns is None else end_ns + shift,
            )
        if len(loaded) == 0:
            raise CliError(f"{item}: no data between {start or 'the start'} and {end or 'the end'}")
        sources.append(item)
        series.append(loaded)
    _check_no_overlap(sources, series)
    return sources, series


def _kind_of(series: Series) -> str:
    if isinstance(series, BarSeries):
        return "bars"
    if isinstance(series, QuoteSeries):
        return "quotes"
    if isinstance(series, BookSeries):
        return "book"
    return "trade ticks"


def _check_no_overlap(items: Sequence[str], series: Sequence[Series]) -> None:
    """Files of one instrument and kind (e.g. Lean day files) may come in any order, but must
    not overlap: the same bar twice would be traded twice."""
    groups: dict[tuple[str, str], list[tuple[str, Series]]] = {}
    for item, s in zip(items, series, strict=True):
        groups.setdefault((s.instrument_id, _kind_of(s)), []).append((item, s))
    for (iid, kind), members in groups.items():
        members.sort(key=lambda m: (int(m[1].ts_event[0]), int(m[1].ts_event[-1])))
        for (prev_item, prev), (item, s) in pairwise(members):
            first, last = int(s.ts_event[0]), int(prev.ts_event[-1])
            if first < last or (first == last and kind == "bars"):
                raise CliError(
                    f"{DataRequest.parse(item).describe()} and "
                    f"{DataRequest.parse(prev_item).describe()} overlap: both hold {iid} {kind} "
                    f"at {format_ts_ns(first)}; give each period once (or use FILE@SYMBOL.VENUE)"
                )


def _check_data_kind(spec: TemplateSpec, items: Sequence[str], series: Sequence[Series]) -> None:
    """A bar strategy fed quotes would run without a single trade: say so instead."""
    if spec.data_kind == "any":
        return
    if spec.data_kind == "book":  # trade ticks may come beside the book
        if not any(isinstance(s, BookSeries) for s in series):
            raise CliError(
                f"{spec.name} needs L2 book data (--data binance:FILE[,FILE...]), "
                f"but {', '.join(dict.fromkeys(DataRequest.parse(i).describe() for i in items))} "
                "holds none"
            )
        return
    for item, s in zip(items, series, strict=True):
        kind = _kind_of(s)
        if kind != spec.data_kind:
            raise CliError(
                f"{spec.name} needs {spec.data_kind}, but "
                f"{DataRequest.parse(item).describe()} holds {kind}"
            )


def _report_faults(kernel: Kernel) -> list[StrategyFaulted]:
    """Tell the user which strategy raised, where and why (exit status 1)."""
    faults = [r.fault for r in kernel.records if r.fault is not None]
    for fault in faults:
        print(
            f"tradebench: strategy {fault.strategy_id} faulted at {iso_utc(fault.ts_event)} "
            f"and was halted (its orders canceled, its positions kept): {fault.error}",
            file=sys.stderr,
        )
        print(fault.traceback.rstrip(), file=sys.stderr)
    return faults


def _check_report_path(text: str | None) -> None:
    """Refuse an unwritable report path before the run, not after it."""
    if not text:
        return
    path = Path(text)
    if path.is_dir():
        raise CliError(f"--report {text}: is a folder; name the JSON file to write")
    if not path.parent.is_dir():
        raise CliError(f"--report {text}: folder {path.parent} does not exist")


def cmd_backtest(args: argparse.Namespace) -> int:
    _check_report_path(args.report)
    spec = _strategy_spec(args.strategy)
    data = args.data or ["synthetic:2520:42"]
    items, series = _load_all(data, args.start, args.end, args.layout)
    if not args.every_tick:  # every tick: the feed holds quotes and trades beside the bars
        _check_data_kind(spec, items, series)
    session, _, config = _build_session(args, spec, series)
    print(f"{version_text()}")
    print(f"backtest {spec.name} on {', '.join(DataRequest.parse(d).describe() for d in data)}")
    sources = [
        {
            "source": DataRequest.parse(d).describe(),
            "instrument": s.instrument_id,
            "rows": len(s),
            "first_ts": int(s.ts_event[0]),
            "last_ts": int(s.ts_event[-1]),
        }
        for d, s in zip(items, series, strict=True)
    ]
    settings = {
        "cash": args.cash,
        "currency": args.currency,
        "fee": args.fee,
        "slippage": args.slippage,
        "fill": args.fill,
        "participation": str(args.participation),
        "latency_ms": args.latency_ms,
    }
    if args.venue != "sim":
        settings |= {
            "venue": args.venue,
            "feed_latency_ms": args.feed_latency_ms,
            "queue_model": args.queue_model,
        }
    if args.risk:
        settings["risk"] = args.risk
    if args.every_tick:
        settings["every_tick"] = f"{args.ticks_per_bar:g} trades/bar, seed {args.tick_seed}"
    journal = _open_journal(args)
    run_id = 0
    try:
        if journal is not None:
            run_id = journal.begin_run(
                "backtest",
                kernel=session.kernel,
                label=spec.name,
                parameters=_parameters(config),
                data=sources,
                settings=settings,
            )
        _apply_risk(args, session)
        result = session.run_backtest(
            generate_cmd.backtest_series(args, session, series),
            periods_per_year=args.periods_per_year,
        )
        if journal is not None:
            journal.end_run(result, equity_points=args.equity_points)
            print(f"journaled as run {run_id} in {journal.path}")
    finally:
        if journal is not None:
            journal.close()
    _print_result(result)
    faults = _report_faults(session.kernel)
    if args.report:
        report = build_report(
            result,
            strategy=spec.name,
            parameters=_parameters(config),
            data=sources,
            settings=settings,
            equity_points=args.equity_points,
            faults=[(f.strategy_id, f.ts_event, f.error) for f in faults],
        )
        try:
            Path(args.report).write_text(dumps(report), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--report {args.report}: cannot write it: {exc.strerror}") from None
        print(f"report written to {args.report}")
    return 1 if faults else 0


def _print_result(result: BacktestResult) -> None:
    print(format_table(result.metrics))
    print(
        f"{result.events:,} events, {result.orders:,} orders, {result.fills:,} fills in "
        f"{result.wall_s:.2f} s ({result.events / max(result.wall_s, 1e-9):,.0f} events/s)"
    )


class _FillPrinter:
    """Prints fills, faults and warnings as they happen (paper mode)."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, OrderFilled):
            print(f"  fill  {event.describe()}", flush=True)
        elif isinstance(event, StrategyFaulted):
            print(f"  FAULT {event.strategy_id}: {event.error}\n{event.traceback}", flush=True)
        elif isinstance(event, StrategyLogged) and event.level in ("WARNING", "ERROR"):
            print(f"  {event.level.lower()} {event.strategy_id}: {event.message}", flush=True)


def cmd_paper(args: argparse.Namespace) -> int:
    from core.live import RecordedFeed, SyntheticLiveFeed

    for option, value in (
        ("--duration", args.duration),
        ("--bar-seconds", args.bar_seconds),
        ("--speed", args.speed),
    ):
        if not math.isfinite(value) or value <= 0:
            raise CliError(f"{option} must be a positive number, got {value:g}")
    spec = _strategy_spec(args.strategy)
    if args.replay and args.scenario:
        raise CliError("--replay and --scenario are two different feeds: choose one")
    if args.replay:
        items, series = _load_all([args.replay], None, None)
        _check_data_kind(spec, items, series)
    elif args.scenario:
        series = generate_cmd.paper_market(args).series()
    else:
        iid = args.instrument
        series = [load(DataRequest(synthetic_bars=2, seed=args.seed, instrument_id=iid))]
    session, instrument_ids, _ = _build_session(args, spec, series)
    instrument = session.kernel.instrument(instrument_ids[0])
    feed = (
        RecordedFeed(series, speed=args.speed)
        if args.replay or args.scenario
        else SyntheticLiveFeed(
            instrument,
            seed=args.seed,
            # a quote every 50 ms, or every bar when bars are shorter than that
            quote_interval_s=min(PAPER_QUOTE_INTERVAL_S, args.bar_seconds),
            bar_interval_s=args.bar_seconds,
        )
    )
    session.kernel.add_listener(_FillPrinter())
    print(version_text())
    print(f"paper trading {spec.name} on {instrument.id} for {args.duration:g} s (Ctrl+C stops)")
    journal = _open_journal(args)
    try:
        if journal is not None:
            if args.resume:
                run_id = _resume_paper(journal, session)
            else:
                run_id = journal.begin_run("paper", kernel=session.kernel, label=spec.name)
            print(f"journal: run {run_id} in {journal.path} (each fill committed before use)")
        elif args.resume:
            raise CliError("--resume needs the journal: drop --no-journal")
        _apply_risk(args, session)
        try:
            asyncio.run(session.run_paper(feed, duration_s=args.duration))
        except KeyboardInterrupt:
            print("stopped")
        session.kernel.stop()
        if journal is not None:
            journal.end_run()
    finally:
        if journal is not None:
            journal.close()
    account = session.kernel.portfolio.accounts[spec.name]
    marks = session.kernel.portfolio.marks
    print(
        f"equity {Money(account.equity_raw(marks), account.currency)}, realized "
        f"{Money(account.realized_raw, account.currency)}, fees "
        f"{Money(account.fees_raw, account.currency)}, {session.kernel.fills_count} fills"
    )
    return 1 if any(r.fault is not None for r in session.kernel.records) else 0


def _resume_paper(journal: SqliteJournal, session: TradingSession) -> int:
    """Continue the newest unfinished paper run of the journal (after a crash): positions,
    cash and working orders come back as the journal proves them."""
    from core.journal import recover, restore_into

    recovered = recover(journal.path, session.kernel.instruments)
    if recovered.mode != "paper":
        raise CliError(
            f"the newest unfinished run in {journal.path} is run {recovered.run_id}, a "
            f"{recovered.mode} run: only paper runs resume here"
        )
    restore_into(session.kernel, recovered)
    journal.resume_run(recovered.run_id, kernel=session.kernel)
    print(
        f"resumed run {recovered.run_id}: {len(recovered.fills)} fills booked again, "
        f"{len(recovered.open_orders)} working orders restored"
    )
    return recovered.run_id


def cmd_live(args: argparse.Namespace) -> int:
    from core.instruments import Instrument
    from core.values import Price, Qty
    from venues.alpaca import (
        AlpacaBroker,
        AlpacaDataFeed,
        BrokerConfigError,
        BrokerError,
        configured_broker,
        load_broker_config,
        no_broker_message,
    )

    if not math.isfinite(args.duration) or args.duration <= 0:
        raise CliError(f"--duration must be a positive number, got {args.duration:g}")
    try:
        config = load_broker_config(args.broker) if args.broker else configured_broker()
    except BrokerConfigError as exc:
        raise CliError(str(exc)) from None
    if config is None:
        raise CliError(no_broker_message())
    spec = _strategy_spec(args.strategy)
    symbol, dot, venue_name = args.instrument.rpartition(".")
    if not dot or not symbol:
        raise CliError(f"--instrument must look like SYMBOL.VENUE, got {args.instrument!r}")
    instrument = Instrument(
        instrument_id=args.instrument,
        tick_size=Price.parse(args.tick or "0.01"),
        lot_size=Qty.parse(args.lot),
        quote_currency=args.currency,
    )
    session = TradingSession(instruments=[instrument], venues=[], base_currency=args.currency)
    strategy_config = build_config(spec, [instrument.id], parse_param_assignments(args.param))
    session.add_strategy(
        build_strategy(spec, strategy_config, spec.name), _cash(args.cash, args.currency)
    )
    if args.risk:
        load_risk_config(args.risk)
    broker = AlpacaBroker(config, name=venue_name, fees=parse_fee(args.fee))
    feed = AlpacaDataFeed(config, [instrument])
    session.kernel.add_listener(_FillPrinter())
    print(version_text())
    print(
        f"live trading {spec.name} on {instrument.id} at {config.trading_url} "
        f"for {args.duration:g} s (Ctrl+C stops)"
    )
    journal = _open_journal(args)

    async def run() -> None:
        try:
            await session.switch_to_live(broker)
            if journal is not None:
                run_id = journal.begin_run(
                    "live",
                    kernel=session.kernel,
                    label=spec.name,
                    parameters=_parameters(strategy_config),
                    settings={"broker": config.trading_url, "feed": config.feed},
                )
                print(f"journal: run {run_id} in {journal.path} (each fill committed before use)")
            _apply_risk(args, session)
            await session.run_live_trading(feed, duration_s=args.duration)
        finally:  # at the end, on an error and on Ctrl+C: on_stop runs, what it sent is
            session.kernel.stop()  # answered, then the session logs out
            await broker.settle()
            await broker.disconnect()

    try:
        try:
            asyncio.run(run())
        except KeyboardInterrupt:
            print("stopped")
        except BrokerError as exc:
            raise CliError(f"broker {config.trading_url}: {exc}") from None
        if journal is not None and journal.run_id is not None:
            journal.end_run()
    finally:
        if journal is not None:
            journal.close()
    account = session.kernel.portfolio.accounts[spec.name]
    print(
        f"equity {Money(account.equity_raw(session.kernel.portfolio.marks), account.currency)}, "
        f"realized {Money(account.realized_raw, account.currency)}, "
        f"{session.kernel.fills_count} fills"
    )
    return 1 if any(r.fault is not None for r in session.kernel.records) else 0


def cmd_broker_sandbox(args: argparse.Namespace) -> int:
    from venues.alpaca import AlpacaSandbox

    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        raise CliError("--symbols needs at least one symbol")
    sandbox = AlpacaSandbox(seed=args.seed, symbols=symbols, port=args.port, host=args.host)

    async def serve() -> None:
        await sandbox.start()
        try:
            print(
                f"Alpaca sandbox at {sandbox.url} (symbols {', '.join(symbols)}, seed "
                f"{args.seed}); Ctrl+C stops",
                flush=True,
            )
            print("broker.toml for it:\n" + sandbox.toml(), flush=True)
            await asyncio.Event().wait()
        finally:
            await sandbox.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("stopped")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    args = build_parser().parse_args(
        [
            "backtest",
            "sma_cross",
            "--data",
            "synthetic:2520:42",
            "--param",
            "fast=20",
            "--param",
            "slow=50",
        ]
    )
    print(
        "No display found: running the demo backtest (SMA 20/50 crossover on 2,520 synthetic"
        " daily bars, seed 42)."
    )
    return cmd_backtest(args)


def cmd_templates(_: argparse.Namespace) -> int:
    from strategies import TEMPLATES

    for name, spec in TEMPLATES.items():
        print(f"{name:<22}{spec.description}")
    return 0


def _add_record_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--risk", metavar="FILE", help="risk rules, breakers and allocations (TOML)")
    p.add_argument(
        "--journal",
        metavar="PATH",
        help=f"journal file (default: $TRADEBENCH_JOURNAL or {default_journal_path()})",
    )
    p.add_argument("--no-journal", action="store_true", help="do not journal this run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradebench", description=__doc__)
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command")

    bt = sub.add_parser("backtest", help="run a strategy on historical or synthetic data")
    bt.add_argument("strategy", help="template name (see `tradebench templates`) or a .py file")
    bt.add_argument(
        "--data",
        action="append",
        metavar="FILE[@SYMBOL.VENUE]",
        help="data file (CSV, Lean zip, Parquet), repeatable; or synthetic:BARS[:SEED]",
    )
    bt.add_argument("--start", help="first date (inclusive), e.g. 2005-01-01")
    bt.add_argument("--end", help="end date (exclusive)")
    bt.add_argument(
        "--layout",
        default="auto",
        choices=["auto", *LAYOUTS],
        metavar="NAME",
        help="file layout when it cannot be detected: " + ", ".join(LAYOUTS),
    )
    bt.add_argument("--report", help="write the JSON report (metrics, round trips, equity) here")
    bt.add_argument(
        "--equity-points", type=int, default=5000, help="equity samples in the report (0: all)"
    )
    bt.add_argument("--periods-per-year", type=int, default=252, help="annualization (252)")
    _add_market_options(bt)
    _add_record_options(bt)
    generate_cmd.add_every_tick_options(bt)
    bt.set_defaults(func=cmd_backtest)

    pp = sub.add_parser("paper", help="paper-trade a strategy on a live (synthetic) feed")
    pp.add_argument("strategy")
    pp.add_argument("--duration", type=float, default=30.0, help="seconds to run (default 30)")
    pp.add_argument("--seed", type=int, default=7, help="synthetic feed seed")
    pp.add_argument("--instrument", default="SYN.SIM", help="synthetic instrument id")
    pp.add_argument("--bar-seconds", type=float, default=1.0, help="bar length of the feed")
    pp.add_argument("--replay", help="replay this data file in real time instead")
    pp.add_argument("--speed", type=float, default=60.0, help="replay speed factor")
    generate_cmd.add_scenario_option(pp)
    pp.add_argument(
        "--resume",
        action="store_true",
        help="continue the newest unfinished paper run of the journal (after a crash)",
    )
    _add_market_options(pp)
    _add_record_options(pp)
    pp.set_defaults(func=cmd_paper)

    lv = sub.add_parser("live", help="trade a strategy live at the broker (Alpaca)")
    lv.add_argument("strategy")
    lv.add_argument(
        "--broker", metavar="FILE", help="broker file (default: the configured broker.toml)"
    )
    lv.add_argument("--duration", type=float, default=60.0, help="seconds to run (default 60)")
    lv.add_argument(
        "--instrument", default="SPY.ALPACA", help="SYMBOL.VENUE to trade (default SPY.ALPACA)"
    )
    lv.add_argument("--cash", default="100000", help="the strategy's allocation (default 100000)")
    lv.add_argument("--currency", default="USD", help="account currency (default USD)")
    lv.add_argument("--fee", default="none", help=f"fee model: {FEE_HELP} (default none)")
    lv.add_argument("--tick", help="price tick (default 0.01)")
    lv.add_argument("--lot", default="1", help="lot size (default 1)")
    lv.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    _add_record_options(lv)
    lv.set_defaults(func=cmd_live)

    sb = sub.add_parser("broker-sandbox", help="a local server speaking Alpaca's API (no account)")
    sb.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    sb.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sb.add_argument("--seed", type=int, default=7, help="price path seed (default 7)")
    sb.add_argument("--symbols", default="SPY,AAPL,MSFT", help="comma-separated symbols")
    sb.set_defaults(func=cmd_broker_sandbox)

    journal_cmd.add_parser(sub)
    generate_cmd.add_parser(sub)
    sub.add_parser("demo", help="the demo backtest").set_defaults(func=cmd_demo)
    sub.add_parser("templates", help="list strategy templates").set_defaults(func=cmd_templates)
    # handled before parsing (its options are its own); listed here for --help
    sub.add_parser("bench", help="engine benchmark (see `tradebench bench --help`)")
    sub.add_parser("gui", help="open the workstation (`tradebench gui --help`)")
    sub.add_parser("bench-gui", help="workstation responsiveness benchmark (offscreen)")
    return parser


def _has_display() -> bool:
    """A screen to open the window on: X11, Wayland, or a Qt platform named explicitly (the
    offscreen and minimal platforms of headless runs do not count)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "").strip().lower()
    return bool(platform) and platform not in ("offscreen", "minimal")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from app import bench

        return bench.main(argv[1:])
    if argv[:1] == ["gui"]:
        from app.gui import run_gui

        return run_gui(argv[1:])
    if argv[:1] == ["bench-gui"]:
        from app.gui.bench import main as bench_gui

        return bench_gui(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if _has_display():
            # imported by name: the GUI (and Qt) is optional, and absent from headless installs
            try:
                gui = importlib.import_module("app.gui.application")
            except ImportError:
                pass
            else:
                return int(gui.run_gui([]))
        return cmd_demo(args)
    try:
        return int(args.func(args))
    except (
        CliError,
        JournalError,
        SettingsError,
        DataValidationError,
        InvalidValue,
        ValueError,
        KeyError,
        FileNotFoundError,
    ) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"tradebench: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
