"""The columnar series: construction, slicing, joining, Arrow tables and memory."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from core.data import (
    SCHEMA_VERSION,
    BarSeries,
    DataValidationError,
    QuoteSeries,
    TradeSeries,
    generate_bars,
    generate_quotes,
)


def _bars(ts: list[int], instrument_id: str = "X.SIM", period_ns: int = 10) -> BarSeries:
    prices = np.full(len(ts), 100, dtype=np.int64)
    return BarSeries(
        instrument_id=instrument_id,
        period_ns=period_ns,
        ts_event=np.array(ts, dtype=np.int64),
        open=prices,
        high=prices,
        low=prices,
        close=prices,
        volume=prices,
    )


def _trades(ts: list[int]) -> TradeSeries:
    values = np.ones(len(ts), dtype=np.int64)
    return TradeSeries(
        instrument_id="X.SIM",
        ts_event=np.array(ts, dtype=np.int64),
        price=values,
        size=values,
        aggressor=np.zeros(len(ts), dtype=np.int8),
    )


def test_a_million_bars_take_48_mb() -> None:
    bars = generate_bars(1_000_000, seed=3)
    columns = (bars.ts_event, bars.open, bars.high, bars.low, bars.close, bars.volume)
    assert sum(column.nbytes for column in columns) == 48_000_000
    assert all(column.dtype == np.int64 for column in columns)


def test_columns_are_read_only() -> None:
    bars = _bars([1, 2])
    with pytest.raises(ValueError, match=r"read-only"):
        bars.close[0] = 5


def test_construction_rejects_floats_and_ragged_columns() -> None:
    with pytest.raises(TypeError, match=r"close must hold integers"):
        BarSeries(
            instrument_id="X.SIM",
            period_ns=10,
            ts_event=[1],
            open=[1],
            high=[1],
            low=[1],
            close=[1.5],
            volume=[1],
        )
    with pytest.raises(ValueError, match=r"columns differ in length"):
        TradeSeries(instrument_id="X.SIM", ts_event=[1, 2], price=[1], size=[1], aggressor=[0])
    with pytest.raises(ValueError, match=r"period_ns must be positive"):
        _bars([1], period_ns=0)


def test_slice_time_is_half_open_and_shares_memory() -> None:
    bars = _bars([10, 20, 30, 40])
    part = bars.slice_time(20, 40)
    assert part.ts_event.tolist() == [20, 30]
    assert np.shares_memory(part.close, bars.close)
    assert bars.slice_time(None, 25).ts_event.tolist() == [10, 20]
    assert bars.slice_time(35, None).ts_event.tolist() == [40]
    assert len(bars.slice_time(50, 10)) == 0


def test_concat_requires_time_order() -> None:
    joined = BarSeries.concat([_bars([1, 2]), _bars([]), _bars([3])])
    assert joined.ts_event.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match=r"series 2 starts at .* not after the end of series 1"):
        BarSeries.concat([_bars([1, 2]), _bars([2, 3])])
    # Ticks may share the boundary timestamp.
    assert len(TradeSeries.concat([_trades([1, 2]), _trades([2, 3])])) == 4
    with pytest.raises(ValueError, match=r"cannot concatenate Y.SIM with X.SIM"):
        BarSeries.concat([_bars([1]), _bars([2], instrument_id="Y.SIM")])
    with pytest.raises(ValueError, match=r"cannot concatenate 1m bars with 10ns bars"):
        BarSeries.concat([_bars([1]), _bars([2], period_ns=60 * 10**9)])
    with pytest.raises(ValueError, match=r"at least one series"):
        QuoteSeries.concat([])


def test_table_round_trip_keeps_every_value() -> None:
    bars = generate_bars(1000, seed=5)
    table = bars.to_table()
    assert table.schema.field("ts_event").type == pa.timestamp("ns", tz="UTC")
    metadata = table.schema.metadata
    assert metadata[b"tradebench_schema"] == str(SCHEMA_VERSION).encode()
    assert metadata[b"period_ns"] == b"60000000000"
    again = BarSeries.from_table(table)
    for name in ("ts_event", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(again, name), getattr(bars, name))
    assert (again.instrument_id, again.period_ns) == (bars.instrument_id, bars.period_ns)

    quotes = generate_quotes(100, seed=5)
    quotes_again = QuoteSeries.from_table(quotes.to_table())
    assert np.array_equal(quotes_again.ask_size, quotes.ask_size)
    trades = _trades([1, 2, 2])
    trades_again = TradeSeries.from_table(trades.to_table())
    assert trades_again.aggressor.dtype == np.int8
    assert trades_again.ts_event.tolist() == [1, 2, 2]


def test_from_table_checks_kind_and_version() -> None:
    table = _bars([1]).to_table()
    with pytest.raises(DataValidationError, match=r"^table: holds bars, not quotes$"):
        QuoteSeries.from_table(table)
    newer = table.replace_schema_metadata({**table.schema.metadata, b"tradebench_schema": b"99"})
    with pytest.raises(DataValidationError, match=r"version 99 is not supported"):
        BarSeries.from_table(newer, source="old.parquet")
    bare = table.replace_schema_metadata(None)
    with pytest.raises(DataValidationError, match=r"not a Tradebench table"):
        BarSeries.from_table(bare)


def test_repr_names_the_span() -> None:
    assert repr(_bars([60 * 10**9], period_ns=60 * 10**9)) == (
        "BarSeries(X.SIM, 1m, 1 bars, 1970-01-01T00:01:00Z .. 1970-01-01T00:01:00Z)"
    )
    assert repr(_trades([])) == "TradeSeries(X.SIM, 0 trades)"
