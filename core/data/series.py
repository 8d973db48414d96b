"""Columnar market data: bars, quotes and trades as parallel numpy arrays.

A series holds one instrument's data as equal-length, read-only, one-dimensional numpy arrays
(never one Python object per row): ``ts_event`` in integer nanoseconds UTC, prices and quantities
as raw fixed-point integers (value x ``core.values.SCALE``). A million bars take 48 MB (six int64
columns and nothing else).

Construction checks only the shape of the arrays (cheap, O(1) per column); the data invariants
(time order, OHLC consistency, positive prices, ...) are checked by ``core.data.validation``,
which every loader and the catalog run before handing a series out. ``slice_time`` relies on
``ts_event`` being sorted, which validation guarantees.

``to_table``/``from_table`` convert to and from a pyarrow table whose schema metadata carries
``tradebench_schema`` (the format version), the kind, the instrument id and, for bars, the period.
pyarrow is imported only by those conversions, so building, slicing and joining series (the
synthetic-data and engine paths) never load it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Final, TypeVar, final

import numpy as np
import numpy.typing as npt

from core.data.display import format_period_ns, format_ts_ns
from core.data.validation import DataValidationError
from core.values import SCALE

if TYPE_CHECKING:
    import pyarrow as pa

Int64Array = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

SCHEMA_VERSION: Final = 1
"""Version written to the ``tradebench_schema`` metadata key; bump on incompatible changes."""


@cache
def ts_type() -> pa.DataType:
    """Arrow type of ``ts_event`` in tables and Parquet files (readable as datetimes by other
    tools). A function rather than a constant so that importing this module never loads pyarrow.
    """
    import pyarrow as pa

    return pa.timestamp("ns", tz="UTC")


@final
class BarSeries:
    """OHLCV bars of one instrument; ``ts_event`` is each bar's END (close) time.

    ``period_ns`` is the declared bar length. Bars need not be contiguous (quiet periods have
    no bar), so ``ts_event`` steps by multiples of the period, or by calendar days for daily bars.
    """

    __slots__ = ("close", "high", "instrument_id", "low", "open", "period_ns", "ts_event", "volume")

    def __init__(
        self,
        *,
        instrument_id: str,
        period_ns: int,
        ts_event: npt.ArrayLike,
        open: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike,
    ) -> None:
        if period_ns <= 0:
            raise ValueError(f"period_ns must be positive, got {period_ns}")
        self.instrument_id: Final = instrument_id
        self.period_ns: Final = period_ns
        self.ts_event: Final = _int64_column(ts_event, "ts_event")
        self.open: Final = _int64_column(open, "open")
        self.high: Final = _int64_column(high, "high")
        self.low: Final = _int64_column(low, "low")
        self.close: Final = _int64_column(close, "close")
        self.volume: Final = _int64_column(volume, "volume")
        _check_lengths(
            "BarSeries",
            (self.ts_event, self.open, self.high, self.low, self.close, self.volume),
        )

    def __len__(self) -> int:
        return len(self.ts_event)

    def __repr__(self) -> str:
        period = format_period_ns(self.period_ns)
        return f"BarSeries({self.instrument_id}, {period}, {_span_text(self.ts_event, 'bars')})"

    def slice_time(self, start_ns: int | None = None, end_ns: int | None = None) -> BarSeries:
        """Bars with ``start_ns <= ts_event < end_ns`` (``None``: unbounded); views, no copy."""
        lo, hi = _time_bounds(self.ts_event, start_ns, end_ns)
        return BarSeries(
            instrument_id=self.instrument_id,
            period_ns=self.period_ns,
            ts_event=self.ts_event[lo:hi],
            open=self.open[lo:hi],
            high=self.high[lo:hi],
            low=self.low[lo:hi],
            close=self.close[lo:hi],
            volume=self.volume[lo:hi],
        )

    def to_table(self) -> pa.Table:
        return _to_table(
            "bars",
            self.instrument_id,
            self.period_ns,
            {
                "ts_event": self.ts_event,
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            },
        )

    @staticmethod
    def from_table(table: pa.Table, *, source: str = "table") -> BarSeries:
        """The inverse of ``to_table``; ``source`` names the table in error messages."""
        instrument_id, period_ns = _read_metadata(table, "bars", source)
        if period_ns is None:
            raise DataValidationError(source, "bar table metadata has no period_ns")
        columns = _read_columns(table, _column_types("bars"), source)
        return BarSeries(instrument_id=instrument_id, period_ns=period_ns, **columns)

    @staticmethod
    def concat(parts: Sequence[BarSeries]) -> BarSeries:
        """Join time-ordered series of one instrument and period (each strictly after the last)."""
        first = _check_parts(parts)
        for part in parts:
            if part.period_ns != first.period_ns:
                raise ValueError(
                    f"cannot concatenate {format_period_ns(part.period_ns)} bars with "
                    f"{format_period_ns(first.period_ns)} bars"
                )
        _check_concat_order([part.ts_event for part in parts], allow_equal=False)
        return BarSeries(
            instrument_id=first.instrument_id,
            period_ns=first.period_ns,
            ts_event=np.concatenate([part.ts_event for part in parts]),
            open=np.concatenate([part.open for part in parts]),
            high=np.concatenate([part.high for part in parts]),
            low=np.concatenate([part.low for part in parts]),
            close=np.concatenate([part.close for part in parts]),
            volume=np.concatenate([part.volume for part in parts]),
        )


@final
class QuoteSeries:
    """Top-of-book quotes of one instrument: best bid and ask with their sizes.

    Several quotes may share a timestamp (file order is kept).
    """

    __slots__ = ("ask", "ask_size", "bid", "bid_size", "instrument_id", "ts_event")

    def __init__(
        self,
        *,
        instrument_id: str,
        ts_event: npt.ArrayLike,
        bid: npt.ArrayLike,
        ask: npt.ArrayLike,
        bid_size: npt.ArrayLike,
        ask_size: npt.ArrayLike,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = _int64_column(ts_event, "ts_event")
        self.bid: Final = _int64_column(bid, "bid")
        self.ask: Final = _int64_column(ask, "ask")
        self.bid_size: Final = _int64_column(bid_size, "bid_size")
        self.ask_size: Final = _int64_column(ask_size, "ask_size")
        _check_lengths(
            "QuoteSeries", (self.ts_event, self.bid, self.ask, self.bid_size, self.ask_size)
        )

    def __len__(self) -> int:
        return len(self.ts_event)

    def __repr__(self) -> str:
        return f"QuoteSeries({self.instrument_id}, {_span_text(self.ts_event, 'quotes')})"

    def slice_time(self, start_ns: int | None = None, end_ns: int | None = None) -> QuoteSeries:
        """Quotes with ``start_ns <= ts_event < end_ns`` (``None``: unbounded); views, no copy."""
        lo, hi = _time_bounds(self.ts_event, start_ns, end_ns)
        return QuoteSeries(
            instrument_id=self.instrument_id,
            ts_event=self.ts_event[lo:hi],
            bid=self.bid[lo:hi],
            ask=self.ask[lo:hi],
            bid_size=self.bid_size[lo:hi],
            ask_size=self.ask_size[lo:hi],
        )

    def to_table(self) -> pa.Table:
        return _to_table(
            "quotes",
            self.instrument_id,
            None,
            {
                "ts_event": self.ts_event,
                "bid": self.bid,
                "ask": self.ask,
                "bid_size": self.bid_size,
                "ask_size": self.ask_size,
            },
        )

    @staticmethod
    def from_table(table: pa.Table, *, source: str = "table") -> QuoteSeries:
        """The inverse of ``to_table``; ``source`` names the table in error messages."""
        instrument_id, _ = _read_metadata(table, "quotes", source)
        columns = _read_columns(table, _column_types("quotes"), source)
        return QuoteSeries(instrument_id=instrument_id, **columns)

    @staticmethod
    def concat(parts: Sequence[QuoteSeries]) -> QuoteSeries:
        """Join time-ordered series of one instrument (each starting at or after the last)."""
        first = _check_parts(parts)
        _check_concat_order([part.ts_event for part in parts], allow_equal=True)
        return QuoteSeries(
            instrument_id=first.instrument_id,
            ts_event=np.concatenate([part.ts_event for part in parts]),
            bid=np.concatenate([part.bid for part in parts]),
            ask=np.concatenate([part.ask for part in parts]),
            bid_size=np.concatenate([part.bid_size for part in parts]),
            ask_size=np.concatenate([part.ask_size for part in parts]),
        )


@final
class TradeSeries:
    """Trade prints of one instrument, in file order (several may share a timestamp).

    ``aggressor`` uses the codes of ``core.market.Aggressor``: 0 unknown, 1 buyer-initiated,
    2 seller-initiated.
    """

    __slots__ = ("aggressor", "instrument_id", "price", "size", "ts_event")

    def __init__(
        self,
        *,
        instrument_id: str,
        ts_event: npt.ArrayLike,
        price: npt.ArrayLike,
        size: npt.ArrayLike,
        aggressor: npt.ArrayLike,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = _int64_column(ts_event, "ts_event")
        self.price: Final = _int64_column(price, "price")
        self.size: Final = _int64_column(size, "size")
        self.aggressor: Final = _int8_column(aggressor, "aggressor")
        _check_lengths("TradeSeries", (self.ts_event, self.price, self.size, self.aggressor))

    def __len__(self) -> int:
        return len(self.ts_event)

    def __repr__(self) -> str:
        return f"TradeSeries({self.instrument_id}, {_span_text(self.ts_event, 'trades')})"

    def slice_time(self, start_ns: int | None = None, end_ns: int | None = None) -> TradeSeries:
        """Trades with ``start_ns <= ts_event < end_ns`` (``None``: unbounded); views, no copy."""
        lo, hi = _time_bounds(self.ts_event, start_ns, end_ns)
        return TradeSeries(
            instrument_id=self.instrument_id,
            ts_event=self.ts_event[lo:hi],
            price=self.price[lo:hi],
            size=self.size[lo:hi],
            aggressor=self.aggressor[lo:hi],
        )

    def to_table(self) -> pa.Table:
        return _to_table(
            "trades",
            self.instrument_id,
            None,
            {
                "ts_event": self.ts_event,
                "price": self.price,
                "size": self.size,
                "aggressor": self.aggressor,
            },
        )

    @staticmethod
    def from_table(table: pa.Table, *, source: str = "table") -> TradeSeries:
        """The inverse of ``to_table``; ``source`` names the table in error messages."""
        instrument_id, _ = _read_metadata(table, "trades", source)
        columns = _read_columns(table, _column_types("trades"), source)
        return TradeSeries(instrument_id=instrument_id, **columns)

    @staticmethod
    def concat(parts: Sequence[TradeSeries]) -> TradeSeries:
        """Join time-ordered series of one instrument (each starting at or after the last)."""
        first = _check_parts(parts)
        _check_concat_order([part.ts_event for part in parts], allow_equal=True)
        return TradeSeries(
            instrument_id=first.instrument_id,
            ts_event=np.concatenate([part.ts_event for part in parts]),
            price=np.concatenate([part.price for part in parts]),
            size=np.concatenate([part.size for part in parts]),
            aggressor=np.concatenate([part.aggressor for part in parts]),
        )


@cache
def _column_types(kind: str) -> Mapping[str, pa.DataType]:
    """The Arrow type of every column of a ``kind`` table, in column order."""
    import pyarrow as pa

    int64 = pa.int64()
    if kind == "bars":
        return {
            "ts_event": ts_type(),
            "open": int64,
            "high": int64,
            "low": int64,
            "close": int64,
            "volume": int64,
        }
    if kind == "quotes":
        return {
            "ts_event": ts_type(),
            "bid": int64,
            "ask": int64,
            "bid_size": int64,
            "ask_size": int64,
        }
    if kind == "trades":
        return {"ts_event": ts_type(), "price": int64, "size": int64, "aggressor": pa.int8()}
    raise ValueError(f"unknown series kind {kind!r}")


def _integer_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.integer]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    # An empty list arrives as float64; anything else non-integer would silently truncate.
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integers (raw fixed-point), got {array.dtype}")
    return array


def _int64_column(values: npt.ArrayLike, name: str) -> Int64Array:
    column: Int64Array = _integer_array(values, name).astype(np.int64, copy=False).view()
    column.flags.writeable = False
    return column


def _int8_column(values: npt.ArrayLike, name: str) -> Int8Array:
    array = _integer_array(values, name)
    if array.size and (array.min() < np.iinfo(np.int8).min or array.max() > np.iinfo(np.int8).max):
        raise ValueError(f"{name} values must fit in int8")
    column: Int8Array = array.astype(np.int8, copy=False).view()
    column.flags.writeable = False
    return column


def _check_lengths(kind: str, columns: Sequence[npt.NDArray[np.integer]]) -> None:
    lengths = {len(column) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"{kind} columns differ in length: {sorted(lengths)}")


def _time_bounds(ts: Int64Array, start_ns: int | None, end_ns: int | None) -> tuple[int, int]:
    lo = 0 if start_ns is None else int(np.searchsorted(ts, start_ns, side="left"))
    hi = len(ts) if end_ns is None else int(np.searchsorted(ts, end_ns, side="left"))
    return lo, max(lo, hi)


def _span_text(ts: Int64Array, noun: str) -> str:
    if len(ts) == 0:
        return f"0 {noun}"
    return f"{len(ts)} {noun}, {format_ts_ns(int(ts[0]))} .. {format_ts_ns(int(ts[-1]))}"


_Series = TypeVar("_Series", BarSeries, QuoteSeries, TradeSeries)


def _check_parts(parts: Sequence[_Series]) -> _Series:
    if not parts:
        raise ValueError("concat needs at least one series")
    first = parts[0]
    for part in parts:
        if part.instrument_id != first.instrument_id:
            raise ValueError(f"cannot concatenate {part.instrument_id} with {first.instrument_id}")
    return first


def _check_concat_order(stamps: Sequence[Int64Array], *, allow_equal: bool) -> None:
    previous_last: int | None = None
    previous_index = 0
    for index, ts in enumerate(stamps):
        if len(ts) == 0:
            continue
        first = int(ts[0])
        if previous_last is not None and (
            first < previous_last or (first == previous_last and not allow_equal)
        ):
            relation = "at or after" if allow_equal else "after"
            raise ValueError(
                f"series {index + 1} starts at {format_ts_ns(first)}, not {relation} the end "
                f"of series {previous_index + 1} ({format_ts_ns(previous_last)})"
            )
        previous_last = int(ts[-1])
        previous_index = index


def _to_table(
    kind: str,
    instrument_id: str,
    period_ns: int | None,
    columns: dict[str, npt.NDArray[np.integer]],
) -> pa.Table:
    import pyarrow as pa

    types = _column_types(kind)
    arrays = [pa.array(values, type=types[name]) for name, values in columns.items()]
    metadata = {
        "tradebench_schema": str(SCHEMA_VERSION),
        "kind": kind,
        "instrument_id": instrument_id,
        "fixed_point_scale": str(SCALE),
    }
    if period_ns is not None:
        metadata["period_ns"] = str(period_ns)
    schema = pa.schema([pa.field(name, types[name], nullable=False) for name in columns], metadata)
    return pa.Table.from_arrays(arrays, schema=schema)


def _read_metadata(table: pa.Table, kind: str, source: str) -> tuple[str, int | None]:
    raw = table.schema.metadata or {}
    metadata = {key.decode(): value.decode() for key, value in raw.items()}
    version = metadata.get("tradebench_schema")
    if version is None:
        raise DataValidationError(source, "no tradebench_schema metadata (not a Tradebench table)")
    if version != str(SCHEMA_VERSION):
        raise DataValidationError(
            source,
            f"tradebench_schema version {version} is not supported (expected {SCHEMA_VERSION})",
        )
    if metadata.get("kind") != kind:
        raise DataValidationError(source, f"holds {metadata.get('kind')}, not {kind}")
    if metadata.get("fixed_point_scale", str(SCALE)) != str(SCALE):
        raise DataValidationError(
            source, f"fixed-point scale {metadata['fixed_point_scale']} is not {SCALE}"
        )
    instrument_id = metadata.get("instrument_id")
    if not instrument_id:
        raise DataValidationError(source, "metadata has no instrument_id")
    period = metadata.get("period_ns")
    return instrument_id, None if period is None else int(period)


def _read_columns(
    table: pa.Table, types: Mapping[str, pa.DataType], source: str
) -> dict[str, npt.NDArray[np.integer]]:
    missing = [name for name in types if name not in table.column_names]
    if missing:
        raise DataValidationError(source, f"missing column {', '.join(missing)}")
    columns: dict[str, npt.NDArray[np.integer]] = {}
    for name, arrow_type in types.items():
        column = table.column(name)
        if column.type != arrow_type:
            raise DataValidationError(source, f"column {name} is {column.type}, not {arrow_type}")
        if column.null_count:
            raise DataValidationError(source, f"column {name} has {column.null_count} nulls")
        values = column.to_numpy()
        columns[name] = values.view(np.int64) if name == "ts_event" else values
    return columns
