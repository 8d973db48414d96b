"""Public entry points: load bars, quotes or trades from files in any supported layout.

``path`` is one file or a list of files. A list is for sources split by day (Lean intraday zips):
the files are loaded alike, put in time order and joined; overlapping files are an error.
``layout="auto"`` recognises the layout (see ``core.data.layouts``); naming one skips detection.
Every series returned has passed ``core.data.validation``.

Time zones: ``tz`` names the zone of the file's wall-clock times. Defaults: UTC for backtrader
files (they carry no zone), the asset class's zone for Lean files (America/New_York for US
equity, UTC for forex and crypto). Parquet files already hold UTC and take no ``tz``.

Instrument ids default to ``<SYMBOL>.SIM``, the symbol taken from the file name (Lean's inner
file name, e.g. ``spy.csv``), or the id stored in a Parquet file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Final, TypeVar

from core.data import lean, lean_ticks
from core.data.backtrader import (
    read_backtrader_daily,
    read_backtrader_intraday,
    read_backtrader_ticks,
)
from core.data.display import format_period_ns, format_ts_ns
from core.data.layouts import ReadRequest, default_instrument_id, detect_layout, is_parquet
from core.data.series import BarSeries, QuoteSeries, TradeSeries
from core.data.text_source import TextSource, open_text_source
from core.data.validation import (
    DataValidationError,
    RowLocator,
    validate_bars,
    validate_quotes,
    validate_trades,
)

StrPath = str | os.PathLike[str]
_Series = TypeVar("_Series", BarSeries, QuoteSeries, TradeSeries)
_Reader = Callable[[TextSource, ReadRequest], _Series]

_BAR_READERS: Final[Mapping[str, _Reader[BarSeries]]] = {
    "backtrader_daily": read_backtrader_daily,
    "backtrader_intraday": read_backtrader_intraday,
    "lean_equity_daily_trade": partial(lean.read_trade_bars, market=lean.EQUITY, daily=True),
    "lean_equity_minute_trade": partial(lean.read_trade_bars, market=lean.EQUITY, daily=False),
    "lean_crypto_minute_trade": partial(lean.read_trade_bars, market=lean.CRYPTO, daily=False),
}
_QUOTE_READERS: Final[Mapping[str, _Reader[QuoteSeries]]] = {
    "lean_equity_minute_quote": partial(lean.read_quote_bars, market=lean.EQUITY, daily=False),
    "lean_forex_daily_quote": partial(lean.read_quote_bars, market=lean.FOREX, daily=True),
    "lean_forex_minute_quote": partial(lean.read_quote_bars, market=lean.FOREX, daily=False),
    "lean_crypto_minute_quote": partial(lean.read_quote_bars, market=lean.CRYPTO, daily=False),
    "lean_equity_tick_quote": lean_ticks.read_equity_quote_ticks,
    "lean_forex_tick_quote": lean_ticks.read_forex_quote_ticks,
}
_TRADE_READERS: Final[Mapping[str, _Reader[TradeSeries]]] = {
    "backtrader_ticks": read_backtrader_ticks,
    "lean_equity_tick_trade": lean_ticks.read_equity_trade_ticks,
}

LAYOUTS: Final[Mapping[str, str]] = {
    **{name: "bars" for name in _BAR_READERS},
    **{name: "quotes" for name in _QUOTE_READERS},
    **{name: "trades" for name in _TRADE_READERS},
    "parquet": "any",
}
"""Every layout name accepted by ``layout=``, with the kind of data it holds."""


def load_bars(
    path: StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    layout: str = "auto",
    tz: str | None = None,
    period_ns: int | None = None,
) -> BarSeries:
    """Bars from one file or several; ``ts_event`` is each bar's end time in ns UTC.

    ``period_ns`` is only needed for backtrader intraday files whose period cannot be inferred;
    for other layouts it is checked against the layout's own period.
    """
    options = _Options(instrument_id=instrument_id, layout=layout, tz=tz, period_ns=period_ns)
    parts = [
        (file, _load_file(file, _BAR_READERS, BarSeries.from_table, validate_bars, options))
        for file in _paths(path)
    ]
    for file, series in parts:
        if period_ns is not None and series.period_ns != period_ns:
            raise ValueError(
                f"{file.name} holds {format_period_ns(series.period_ns)} bars, "
                f"not the {format_period_ns(period_ns)} asked for"
            )
    return BarSeries.concat(_in_time_order(parts, allow_equal=False))


def load_quotes(
    path: StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    layout: str = "auto",
    tz: str | None = None,
    keep_suspicious: bool = False,
) -> QuoteSeries:
    """Quotes from tick files, or from quote-bar files (the quote at each bar's end).

    ``keep_suspicious`` keeps Lean equity rows flagged suspicious (dropped by default).
    """
    options = _Options(
        instrument_id=instrument_id, layout=layout, tz=tz, keep_suspicious=keep_suspicious
    )
    parts = [
        (file, _load_file(file, _QUOTE_READERS, QuoteSeries.from_table, validate_quotes, options))
        for file in _paths(path)
    ]
    return QuoteSeries.concat(_in_time_order(parts, allow_equal=True))


def load_trades(
    path: StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    layout: str = "auto",
    tz: str | None = None,
    keep_suspicious: bool = False,
) -> TradeSeries:
    """Trade prints from tick files, in file order.

    ``keep_suspicious`` keeps Lean equity rows flagged suspicious (dropped by default).
    """
    options = _Options(
        instrument_id=instrument_id, layout=layout, tz=tz, keep_suspicious=keep_suspicious
    )
    parts = [
        (file, _load_file(file, _TRADE_READERS, TradeSeries.from_table, validate_trades, options))
        for file in _paths(path)
    ]
    return TradeSeries.concat(_in_time_order(parts, allow_equal=True))


def load_series(
    path: StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    layout: str = "auto",
    tz: str | None = None,
    keep_suspicious: bool = False,
) -> BarSeries | QuoteSeries | TradeSeries:
    """Bars, quotes or trades: whatever the file holds, loaded as ``load_bars``, ``load_quotes``
    or ``load_trades`` would. With several files, the first one decides the kind."""
    kind = _kind_of(_paths(path)[0], layout)
    if kind == "bars":
        return load_bars(path, instrument_id=instrument_id, layout=layout, tz=tz)
    if kind == "quotes":
        return load_quotes(
            path, instrument_id=instrument_id, layout=layout, tz=tz, keep_suspicious=keep_suspicious
        )
    return load_trades(
        path, instrument_id=instrument_id, layout=layout, tz=tz, keep_suspicious=keep_suspicious
    )


@dataclass(frozen=True, kw_only=True)
class _Options:
    """The loader arguments shared by every file of one call."""

    instrument_id: str | None
    layout: str
    tz: str | None
    keep_suspicious: bool = False
    period_ns: int | None = None


def _paths(path: StrPath | Sequence[StrPath]) -> list[Path]:
    if isinstance(path, str | os.PathLike):
        return [Path(path)]
    if not path:
        raise ValueError("no files given")
    return [Path(item) for item in path]


def _kind_of(path: Path, layout: str) -> str:
    if layout == "parquet" or (layout == "auto" and is_parquet(path)):
        import pyarrow.parquet as pq

        metadata = pq.read_schema(path).metadata or {}
        kind: str = metadata.get(b"kind", b"").decode()
        if kind not in ("bars", "quotes", "trades"):
            raise DataValidationError(path.name, "no Tradebench kind in the Parquet metadata")
        return kind
    if layout == "auto":
        layout = detect_layout(open_text_source(path))
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return LAYOUTS[layout]


def _load_file(
    path: Path,
    readers: Mapping[str, _Reader[_Series]],
    from_table: Callable[..., _Series],
    validate: Callable[[_Series, RowLocator], None],
    options: _Options,
) -> _Series:
    if options.layout == "parquet" or (options.layout == "auto" and is_parquet(path)):
        return _load_parquet(path, from_table, validate, options)
    source = open_text_source(path)
    layout = detect_layout(source) if options.layout == "auto" else options.layout
    reader = readers.get(layout)
    if reader is None:
        kind = LAYOUTS.get(layout)
        if kind is None:
            raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
        raise ValueError(f"{path.name} is {layout}, which holds {kind}: use load_{kind}")
    request = ReadRequest(
        instrument_id=options.instrument_id or default_instrument_id(source),
        tz=options.tz,
        keep_suspicious=options.keep_suspicious,
        period_ns=options.period_ns,
    )
    return reader(source, request)


def _load_parquet(
    path: Path,
    from_table: Callable[..., _Series],
    validate: Callable[[_Series, RowLocator], None],
    options: _Options,
) -> _Series:
    if options.tz is not None:
        raise ValueError(f"{path.name}: tz does not apply to Parquet files (they hold UTC)")
    import pyarrow.parquet as pq

    series: _Series = from_table(pq.read_table(path), source=path.name)
    if options.instrument_id is not None and options.instrument_id != series.instrument_id:
        raise ValueError(f"{path.name} holds {series.instrument_id}, not {options.instrument_id}")
    validate(series, RowLocator(path.name))
    return series


def _in_time_order(parts: list[tuple[Path, _Series]], *, allow_equal: bool) -> list[_Series]:
    """The series sorted by start time; ``DataValidationError`` if two files overlap."""
    ordered = sorted(
        (part for part in parts if len(part[1])), key=lambda part: int(part[1].ts_event[0])
    )
    for (previous_path, previous), (path, series) in pairwise(ordered):
        first, last = int(series.ts_event[0]), int(previous.ts_event[-1])
        if first < last or (first == last and not allow_equal):
            relation = "before" if allow_equal else "at or before"
            raise DataValidationError(
                path.name,
                f"starts at {format_ts_ns(first)}, {relation} the end of {previous_path.name} "
                f"({format_ts_ns(last)}); the files overlap",
            )
    # Empty parts (possible when every row was filtered out) add nothing but must not vanish
    # entirely: concat needs at least one series to know the instrument.
    return [series for _, series in ordered] or [parts[0][1]]
