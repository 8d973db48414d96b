"""The Parquet catalog: round trips, time-range reads, listing, and loading its files directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from core.data import (
    BarSeries,
    CatalogEntry,
    DataCatalog,
    DataValidationError,
    QuoteSeries,
    TradeSeries,
    generate_bars,
    generate_quotes,
    load_bars,
    load_series,
)

MINUTE_NS = 60 * 10**9


def _same_bars(a: BarSeries, b: BarSeries) -> bool:
    names = ("ts_event", "open", "high", "low", "close", "volume")
    same_columns = all(np.array_equal(getattr(a, name), getattr(b, name)) for name in names)
    return same_columns and (a.instrument_id, a.period_ns) == (b.instrument_id, b.period_ns)


def _trades() -> TradeSeries:
    return TradeSeries(
        instrument_id="SYN.SIM",
        ts_event=np.array([5, 5, 9], dtype=np.int64),
        price=np.array([100, 101, 102], dtype=np.int64) * 10**7,
        size=np.array([1, 2, 3], dtype=np.int64) * 10**9,
        aggressor=np.array([0, 1, 2], dtype=np.int8),
    )


def test_round_trip_of_each_kind(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    bars = generate_bars(200_000, seed=11)
    quotes = generate_quotes(1000, seed=11)
    path = catalog.write(bars)
    assert path == tmp_path / "bars" / "SYN.SIM" / "1m.parquet"
    assert pq.read_schema(path).metadata[b"tradebench_schema"] == b"1"
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    assert catalog.write(quotes) == tmp_path / "quotes" / "SYN.SIM" / "tick.parquet"
    catalog.write(_trades())
    assert _same_bars(catalog.read_bars("SYN.SIM"), bars)
    assert np.array_equal(catalog.read_quotes("SYN.SIM").bid, quotes.bid)
    trades = catalog.read_trades("SYN.SIM")
    assert trades.aggressor.tolist() == [0, 1, 2]
    assert trades.ts_event.tolist() == [5, 5, 9]
    assert not list(tmp_path.rglob("*.partial"))


def test_time_range_read_matches_slice(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    bars = generate_bars(150_000, seed=12)
    catalog.write(bars)
    start, end = int(bars.ts_event[70_000]), int(bars.ts_event[140_000])
    assert _same_bars(
        catalog.read_bars("SYN.SIM", MINUTE_NS, start, end), bars.slice_time(start, end)
    )
    assert len(catalog.read_bars("SYN.SIM", start_ns=int(bars.ts_event[-1]) + 1)) == 0


def test_list_reads_only_metadata(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    bars = generate_bars(100_000, seed=13)
    daily = generate_bars(10, seed=13, period_ns=86_400 * 10**9, instrument_id="SYN.SIM")
    catalog.write(bars)
    catalog.write(daily)
    catalog.write(_trades())
    assert catalog.list() == [
        CatalogEntry(
            instrument_id="SYN.SIM",
            kind="bars",
            period_ns=86_400 * 10**9,
            rows=10,
            first_ts_ns=int(daily.ts_event[0]),
            last_ts_ns=int(daily.ts_event[-1]),
            path=tmp_path / "bars" / "SYN.SIM" / "1d.parquet",
        ),
        CatalogEntry(
            instrument_id="SYN.SIM",
            kind="bars",
            period_ns=MINUTE_NS,
            rows=100_000,
            first_ts_ns=int(bars.ts_event[0]),
            last_ts_ns=int(bars.ts_event[-1]),
            path=tmp_path / "bars" / "SYN.SIM" / "1m.parquet",
        ),
        CatalogEntry(
            instrument_id="SYN.SIM",
            kind="trades",
            period_ns=None,
            rows=3,
            first_ts_ns=5,
            last_ts_ns=9,
            path=tmp_path / "trades" / "SYN.SIM" / "tick.parquet",
        ),
    ]
    with pytest.raises(ValueError, match=r"SYN.SIM has bars of several periods \(1d, 1m\)"):
        catalog.read_bars("SYN.SIM")


def test_write_replaces_and_validates(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    catalog.write(generate_bars(100, seed=1))
    catalog.write(generate_bars(50, seed=2))
    assert len(catalog.read_bars("SYN.SIM")) == 50
    broken = generate_bars(3, seed=1)
    broken = BarSeries(
        instrument_id="SYN.SIM",
        period_ns=broken.period_ns,
        ts_event=broken.ts_event[::-1].copy(),
        open=broken.open,
        high=broken.high,
        low=broken.low,
        close=broken.close,
        volume=broken.volume,
    )
    with pytest.raises(DataValidationError, match=r"SYN.SIM bars data row 2: end time"):
        catalog.write(broken)
    assert len(catalog.read_bars("SYN.SIM")) == 50


def test_missing_data_and_unsafe_ids(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no bars for ABC.SIM"):
        catalog.read_bars("ABC.SIM")
    with pytest.raises(FileNotFoundError, match=r"quotes/ABC.SIM/tick.parquet is not in the"):
        catalog.read_quotes("ABC.SIM")
    with pytest.raises(ValueError, match=r"cannot name a catalog folder"):
        catalog.write(generate_bars(5, seed=1, instrument_id="../EVIL.SIM"))
    assert catalog.list() == []


def test_catalog_files_load_directly(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path)
    bars = generate_bars(500, seed=21)
    path = catalog.write(bars)
    assert _same_bars(load_bars(path), bars)
    quotes_path = catalog.write(generate_quotes(50, seed=21))
    loaded = load_series(quotes_path)
    assert isinstance(loaded, QuoteSeries) and len(loaded) == 50
    with pytest.raises(ValueError, match=r"tz does not apply to Parquet files"):
        load_bars(path, tz="UTC")
    with pytest.raises(ValueError, match=r"holds SYN.SIM, not OTHER.SIM"):
        load_bars(path, instrument_id="OTHER.SIM")
