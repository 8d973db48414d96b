"""File layouts: what a reader needs to know, and recognising a layout from a file's name and text.

Layout names (the ``layout=`` argument of the loaders):

========================  ======  ==========================================================
name                      kind    file
========================  ======  ==========================================================
backtrader_daily          bars    ``Date,Open,High,Low,Close[,Adj Close],Volume[,OpenInterest]``
backtrader_intraday       bars    ``Date,Time,Open,High,Low,Close,Volume,OpenInterest``
backtrader_ticks          trades  ``Datetime,Open,High,Low,Close,Volume,OpenInterest``
lean_equity_daily_trade   bars    Lean zip, ``YYYYMMDD 00:00,o,h,l,c,volume`` (deci-cents)
lean_equity_minute_trade  bars    Lean zip, ``ms,o,h,l,c,volume`` (deci-cents)
lean_crypto_minute_trade  bars    Lean zip, ``ms,o,h,l,c,volume`` (decimals)
lean_equity_minute_quote  quotes  Lean zip, ``ms,bid o/h/l/c,bid size,ask o/h/l/c,ask size``
lean_forex_daily_quote    quotes  Lean zip, ``YYYYMMDD 00:00,bid o/h/l/c,size,ask o/h/l/c,size``
lean_forex_minute_quote   quotes  Lean zip, as equity minute quotes but decimal prices
lean_crypto_minute_quote  quotes  Lean zip, as forex minute quotes
lean_equity_tick_trade    trades  Lean zip, ``ms,price,size,exchange,sale_condition,suspicious``
lean_equity_tick_quote    quotes  Lean zip, ``ms,bid,bid_size,ask,ask_size,exchange,cond,susp``
lean_forex_tick_quote     quotes  Lean zip, ``ms,bid,ask``
parquet                   any     a table written by ``to_table`` (``tradebench_schema``)
========================  ======  ==========================================================

Detection (``layout="auto"``): a Parquet file by its magic bytes; a zip is Lean, classified by
the asset-class folder in its path (``equity``, ``forex``, ``crypto``; failing that, integer
prices mean equity deci-cents), the inner file name (``20131007_spy_minute_trade.csv``: date,
symbol, resolution, tick type; ``spy.csv``: daily) and its field count; any other text is
backtrader, classified by its header line and first data row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from core.data.text_source import TextSource
from core.data.validation import DataValidationError

_PARQUET_MAGIC: Final = b"PAR1"
_LEAN_ASSETS: Final = ("equity", "forex", "crypto")
_LEAN_LAYOUTS: Final = frozenset(
    {
        "lean_equity_daily_trade",
        "lean_equity_minute_trade",
        "lean_crypto_minute_trade",
        "lean_equity_minute_quote",
        "lean_forex_daily_quote",
        "lean_forex_minute_quote",
        "lean_crypto_minute_quote",
        "lean_equity_tick_trade",
        "lean_equity_tick_quote",
        "lean_forex_tick_quote",
    }
)
_DATE_TOKEN: Final = re.compile(r"\d{8}")
_CLOCK: Final = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_SYMBOL_SPLIT: Final = re.compile(r"[_\-\s]+")


@dataclass(frozen=True, kw_only=True)
class ReadRequest:
    """What the caller asked of a reader (defaults already resolved where they are generic)."""

    instrument_id: str
    tz: str | None
    keep_suspicious: bool
    period_ns: int | None


def is_parquet(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(_PARQUET_MAGIC)) == _PARQUET_MAGIC


def detect_layout(source: TextSource) -> str:
    """The layout name of a text source (see the module docstring for the rules)."""
    if source.member is not None:
        return _detect_lean(source)
    return _detect_backtrader(source)


def default_instrument_id(source: TextSource) -> str:
    """``<SYMBOL>.SIM``, the symbol being the first token of the (inner, for a zip) file name."""
    name = PurePosixPath(source.member).stem if source.member is not None else source.path.stem
    tokens = _SYMBOL_SPLIT.split(name)
    if tokens and _DATE_TOKEN.fullmatch(tokens[0]):  # Lean intraday: 20131007_spy_minute_trade
        tokens = tokens[1:]
    symbol = tokens[0] if tokens else ""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", symbol):
        raise ValueError(
            f"cannot derive an instrument id from the name {source.name!r}; name it "
            "(FILE@SYMBOL.VENUE on the command line, instrument_id= in Python)"
        )
    return f"{symbol.upper()}.SIM"


def _detect_lean(source: TextSource) -> str:
    member = PurePosixPath(source.member or "").stem.lower()
    tokens = member.split("_")
    lines = source.head_lines(1)
    if not lines:
        raise DataValidationError(source.name, "empty file")
    fields = lines[0].split(",")
    if _DATE_TOKEN.fullmatch(tokens[0]):
        resolution = next((t for t in tokens if t in ("tick", "second", "minute", "hour")), None)
        tick_type = next((t for t in tokens if t in ("trade", "quote")), None)
    else:  # daily and hourly files are named after the symbol alone and hold every date
        resolution = "daily"
        tick_type = {6: "trade", 11: "quote"}.get(len(fields))
    asset = _lean_asset(source.path)
    if asset is None:
        decimal = any("." in field for field in fields[1:])
        asset = "equity" if not decimal else "crypto" if tick_type == "trade" else "forex"
    name = f"lean_{asset}_{resolution}_{tick_type}"
    if name not in _LEAN_LAYOUTS:
        raise DataValidationError(
            source.name,
            f"unsupported Lean file ({asset}, {resolution or 'unknown resolution'}, "
            f"{tick_type or 'unknown tick type'}); supported: {', '.join(sorted(_LEAN_LAYOUTS))}",
        )
    return name


def _lean_asset(path: Path) -> str | None:
    for part in reversed(path.parent.parts):
        if part.lower() in _LEAN_ASSETS:
            return part.lower()
    return None


def _detect_backtrader(source: TextSource) -> str:
    lines = source.head_lines(2)
    if not lines:
        raise DataValidationError(source.name, "empty file")
    header = [field.strip().lower() for field in lines[0].split(",")]
    first_row = lines[1].split(",") if len(lines) > 1 else []
    if header[0] == "datetime":
        return "backtrader_ticks"
    if header[0] == "date":
        # backtrader's FESX file names 7 columns but its rows carry a Time field as well.
        has_time = header[1:2] == ["time"] or (
            len(first_row) > 1 and _CLOCK.fullmatch(first_row[1].strip()) is not None
        )
        return "backtrader_intraday" if has_time else "backtrader_daily"
    raise DataValidationError(
        source.name,
        f"cannot detect the layout from the header {lines[0]!r}: a backtrader file starts "
        "with Date (bars) or Datetime (ticks)",
        line=1,
    )
