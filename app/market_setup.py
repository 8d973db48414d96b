"""From a trader's settings (text) to engine objects: instruments, venue models, data.

The CLI and the desktop app share this, so ``--fee bps:1`` and the GUI's fee field mean the
same thing. Every parse error is one line that says what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from core.data import (
    BarSeries,
    BookSeries,
    QuoteSeries,
    TradeSeries,
    book_series_from_events,
    book_series_of_market,
    generate_bars,
    load_binance_trades,
    load_series,
    replay_book,
)
from core.data.binance import read_binance_stream
from core.data.marketgen import MarketModel, generate_market
from core.feeds import Series
from core.instruments import Instrument
from core.values import SCALE, Price, Qty
from core.venue import Venue
from venues.orderbook import OrderBookVenue, QueueModel
from venues.simulated import (
    BarConvention,
    BpsFee,
    FeeModel,
    FillConfig,
    FixedBpsSlippage,
    HalfSpreadSlippage,
    LatencyModel,
    MakerTakerFee,
    NoFee,
    NoSlippage,
    PerShareFee,
    SimulatedVenue,
    SlippageModel,
    VolatilitySlippage,
)

FEE_HELP = "none | bps:B | per-share:PER_UNIT[:MINIMUM] | maker-taker:MAKER_BPS:TAKER_BPS"
SLIPPAGE_HELP = "none | bps:B | half-spread:SPREAD_BPS | vol:MULTIPLIER[:WINDOW]"
FILL_HELP = "next-open (default: decided on bar t, filled from bar t+1) | same-close (look-ahead)"
VENUE_HELP = (
    "sim (bars, quotes, trades) | book (L2 order book) for every venue, or per venue "
    "(the part of the instrument id after the dot): BINANCE=book,SIM=sim"
)
QUEUE_HELP = "proportional | behind-first | ahead-first (who cancels at a resting order's level)"
VENUE_KINDS = ("sim", "book")


class SettingsError(ValueError):
    """A setting the user typed cannot be used; the message says why in one line."""


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise SettingsError(f"{what}: {text!r} is not a number") from None
    if not value.is_finite():
        raise SettingsError(f"{what}: {text!r} is not a finite number")
    return value


def parse_fee(text: str) -> FeeModel:
    kind, _, rest = text.strip().lower().partition(":")
    args = [a for a in rest.split(":") if a] if rest else []
    if kind == "none" and not args:
        return NoFee()
    if kind == "bps" and len(args) == 1:
        return BpsFee(str(_number(args[0], "fee bps")))
    if kind == "per-share" and len(args) in (1, 2):
        per_unit = str(_number(args[0], "fee per share"))
        minimum = str(_number(args[1], "fee minimum")) if len(args) == 2 else "0"
        return PerShareFee(per_unit, minimum)
    if kind == "maker-taker" and len(args) == 2:
        maker = str(_number(args[0], "maker bps"))
        taker = str(_number(args[1], "taker bps"))
        return MakerTakerFee(maker, taker)
    raise SettingsError(f"fee {text!r} not understood; use {FEE_HELP}")


def parse_slippage(text: str) -> SlippageModel:
    kind, _, rest = text.strip().lower().partition(":")
    args = [a for a in rest.split(":") if a] if rest else []
    if kind == "none" and not args:
        return NoSlippage()
    if kind == "bps" and len(args) == 1:
        return FixedBpsSlippage(str(_number(args[0], "slippage bps")))
    if kind == "half-spread" and len(args) == 1:
        return HalfSpreadSlippage(str(_number(args[0], "spread bps")))
    if kind == "vol" and len(args) in (1, 2):
        multiplier = float(_number(args[0], "volatility multiplier"))
        window = int(_number(args[1], "volatility window")) if len(args) == 2 else 20
        return VolatilitySlippage(multiplier, window)
    raise SettingsError(f"slippage {text!r} not understood; use {SLIPPAGE_HELP}")


def parse_fill(text: str) -> int:
    value = text.strip().lower()
    if value == "next-open":
        return BarConvention.NEXT_OPEN
    if value == "same-close":
        return BarConvention.SAME_CLOSE
    raise SettingsError(f"fill convention {text!r} not understood; use {FILL_HELP}")


def parse_date_ns(text: str, what: str) -> int:
    """``YYYY-MM-DD`` or an ISO date-time (UTC unless it carries an offset) to ns UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(f"{what}: {text!r} is not a date like 2012-03-31") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def parse_venue_kinds(text: str) -> tuple[str, dict[str, str]]:
    """``sim``, ``book`` or ``NAME=KIND,...`` to the default kind and the kind per venue name."""
    default = "sim"
    named: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        name, eq, kind = part.rpartition("=")
        kind = kind.strip().lower()
        if kind not in VENUE_KINDS or (eq and not name.strip()):
            raise SettingsError(f"venue {text!r} not understood; use {VENUE_HELP}")
        if eq:
            named[name.strip()] = kind
        else:
            default = kind
    return default, named


def _latency_ns(ms: float, what: str) -> int:
    if not math.isfinite(ms) or ms < 0:
        raise SettingsError(f"{what} must be >= 0 ms, got {ms}")
    return round(ms * 1_000_000)


@dataclass(frozen=True, kw_only=True)
class VenueSettings:
    """How the venues fill: the options of ``tradebench backtest``. ``venue`` chooses the
    simulated venue (bars, quotes, trades) or the order-book venue (L2 books) per venue name;
    the order-book venue uses the fee, latency, feed latency and queue model, not the slippage,
    fill convention or participation (a book shows what can be taken)."""

    fee: str = "bps:1"
    slippage: str = "none"
    fill: str = "next-open"
    participation: float | None = 0.1
    latency_ms: float = 0.0
    session_close: str = "00:00"
    session_tz: str = "UTC"
    seed: int = 0
    venue: str = "sim"
    feed_latency_ms: float = 0.0
    queue_model: str = "proportional"

    def build(self, instruments: list[Instrument], name: str = "SIM") -> SimulatedVenue:
        if self.participation is not None and not 0 < self.participation <= 1:
            raise SettingsError(f"participation must be in (0, 1], got {self.participation}")
        latency_ns = _latency_ns(self.latency_ms, "latency")
        return SimulatedVenue(
            name,
            instruments=instruments,
            fees=parse_fee(self.fee),
            slippage=parse_slippage(self.slippage),
            fill=FillConfig(
                bar_convention=parse_fill(self.fill),
                participation=self.participation,
                session_close=self.session_close,
                session_tz=self.session_tz,
            ),
            latency=LatencyModel(order_ns=latency_ns, cancel_ns=latency_ns, seed=self.seed),
        )

    def build_book(self, instruments: list[Instrument], name: str) -> OrderBookVenue:
        latency_ns = _latency_ns(self.latency_ms, "latency")
        try:
            queue_model = QueueModel.parse(self.queue_model)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        return OrderBookVenue(
            name,
            instruments=instruments,
            fees=parse_fee(self.fee),
            latency=LatencyModel(order_ns=latency_ns, cancel_ns=latency_ns, seed=self.seed),
            feed_latency_ns=_latency_ns(self.feed_latency_ms, "feed latency"),
            queue_model=queue_model,
        )

    def build_all(self, instruments: list[Instrument]) -> list[Venue]:
        """One venue per venue name of ``instruments`` (``SPY.ARCA`` trades on ``ARCA``), of
        the kind ``venue`` chooses for it."""
        default, named = parse_venue_kinds(self.venue)
        groups: dict[str, list[Instrument]] = {}
        for inst in instruments:
            groups.setdefault(inst.venue, []).append(inst)
        unknown = sorted(set(named) - set(groups))
        if unknown:
            raise SettingsError(
                f"venue {', '.join(unknown)} trades none of the instruments "
                f"({', '.join(inst.id for inst in instruments)})"
            )
        venues: list[Venue] = []
        for name, members in groups.items():
            kind = named.get(name, default)
            venues.append(
                self.build_book(members, name) if kind == "book" else self.build(members, name)
            )
        return venues


@dataclass(frozen=True, kw_only=True)
class DataRequest:
    """One data input: a file (optionally with the instrument id to use), synthetic bars, or a
    Binance recording (its files together: the book's snapshot is in the first one only)."""

    path: Path | None = None
    instrument_id: str | None = None
    binance_paths: tuple[Path, ...] = ()
    synthetic_book_s: float = 0.0  # seconds of the synthetic market with its L2 book
    synthetic_bars: int = 0
    seed: int = 42
    layout: str = "auto"
    period_s: int = 86_400

    @staticmethod
    def parse(text: str) -> DataRequest:
        """``FILE`` or ``FILE@SYMBOL.VENUE``, ``synthetic:N[:SEED][@ID]``,
        ``synthetic-book:SECONDS[:SEED][@ID]``, or ``binance:FILE[,FILE...][@ID]``."""
        body, at, iid = text.partition("@")
        instrument_id = iid.strip() or None if at else None
        if body.startswith("synthetic-book"):
            parts = body.split(":")
            try:
                seconds = float(parts[1]) if len(parts) > 1 else 3600.0
                seed = int(parts[2]) if len(parts) > 2 else 42
            except ValueError:
                seconds = math.nan
            if not 1 <= seconds < math.inf:
                raise SettingsError(
                    f"synthetic book {text!r}: use synthetic-book:SECONDS[:SEED][@SYMBOL.VENUE] "
                    "with at least 1 second"
                )
            return DataRequest(synthetic_book_s=seconds, seed=seed, instrument_id=instrument_id)
        if body.startswith("binance:"):
            paths = tuple(Path(p.strip()) for p in body[len("binance:") :].split(",") if p.strip())
            if not paths:
                raise SettingsError(f"{text!r}: use binance:FILE[,FILE...][@SYMBOL.VENUE]")
            return DataRequest(binance_paths=paths, instrument_id=instrument_id)
        if body.startswith("synthetic"):
            parts = body.split(":")
            try:
                n = int(parts[1]) if len(parts) > 1 else 2520
                seed = int(parts[2]) if len(parts) > 2 else 42
            except ValueError:
                raise SettingsError(
                    f"synthetic data {text!r}: use synthetic:BARS[:SEED][@SYMBOL.VENUE]"
                ) from None
            if n < 2:
                raise SettingsError("synthetic data needs at least 2 bars")
            return DataRequest(synthetic_bars=n, seed=seed, instrument_id=instrument_id)
        return DataRequest(path=Path(body), instrument_id=instrument_id)

    def describe(self) -> str:
        if self.synthetic_book_s:
            return f"synthetic-book:{self.synthetic_book_s:g}:{self.seed}"
        if self.binance_paths:
            return "binance:" + ",".join(p.name for p in self.binance_paths)
        if self.path is None:
            return f"synthetic:{self.synthetic_bars}:{self.seed}"
        return self.path.name


def load(request: DataRequest) -> Series:
    if request.binance_paths or request.synthetic_book_s:
        raise SettingsError(
            f"{request.describe()} holds a book and trades: load it with load_parts"
        )
    if request.path is None:
        return generate_bars(
            request.synthetic_bars,
            seed=request.seed,
            instrument_id=request.instrument_id or "SYN.SIM",
            period_ns=request.period_s * 1_000_000_000,
        )
    if not request.path.exists():
        raise SettingsError(f"data file not found: {request.path}")
    return load_series(request.path, instrument_id=request.instrument_id, layout=request.layout)


def load_parts(request: DataRequest) -> list[Series]:
    """Every series one data input holds: its one series, a Binance recording's L2 book
    (synchronised as Binance documents it) and its trades, stamped with the receive time, or
    the synthetic market's book and trades (``core.data.marketgen``, its default model)."""
    if request.synthetic_book_s:
        model = MarketModel(
            instrument_id=request.instrument_id or "SYN.SIM", duration_s=request.synthetic_book_s
        )
        market = generate_market(model, seed=request.seed)
        return [book_series_of_market(market), market.trades]
    if not request.binance_paths:
        return [load(request)]
    missing = [str(p) for p in request.binance_paths if not p.exists()]
    if missing:
        raise SettingsError(f"data file not found: {', '.join(missing)}")
    stream = read_binance_stream(request.binance_paths)
    iid = request.instrument_id or stream.default_instrument_id()
    book = book_series_from_events(replay_book(stream, instrument_id=iid))
    return [book, load_binance_trades(stream, instrument_id=iid)]


@dataclass(frozen=True, kw_only=True)
class InstrumentSettings:
    """Grid of the instruments built for loaded data; ``tick`` None infers it from the data."""

    tick: str | None = None
    lot: str = "1"
    multiplier: int = 1
    currency: str = "USD"

    def for_series(self, series: Series) -> Instrument:
        tick = Price.parse(self.tick) if self.tick else Price(implied_tick_raw(series))
        return Instrument(
            instrument_id=series.instrument_id,
            tick_size=tick,
            lot_size=Qty.parse(self.lot),
            quote_currency=self.currency,
            multiplier=self.multiplier,
        )


def implied_tick_raw(series: Series) -> int:
    """The coarsest grid every price of the data sits on (at most 1.0, at least 1e-9)."""
    if isinstance(series, BarSeries):
        columns = [series.open, series.high, series.low, series.close]
    elif isinstance(series, QuoteSeries):
        columns = [series.bid, series.ask]
    elif isinstance(series, TradeSeries | BookSeries):
        columns = [series.price]
    else:
        raise TypeError(f"not a data series: {type(series).__name__}")
    tick = SCALE
    for column in columns:
        tick = int(np.gcd.reduce(np.append(column, tick)))
        if tick == 1:
            break
    return max(tick, 1)
