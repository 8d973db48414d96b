"""A Parquet catalog of market data on disk, one file per instrument, kind and period.

Layout: ``root/<kind>/<instrument_id>/<period>.parquet`` with kind ``bars``, ``quotes`` or
``trades`` and period the bar length (``1m``, ``5m``, ``1d``) or ``tick`` for quotes and trades.
Each file is a series' ``to_table()`` (its schema metadata carries ``tradebench_schema``, the kind,
the instrument id and the bar period), written in row groups of 65 536 rows so that a time-range
read skips the groups outside the range using the Parquet statistics.

``write`` validates the series and replaces the file atomically (a reader never sees half a
file); ``read_*`` validate what they read, so a file edited by another tool cannot slip bad
data into a backtest.
"""

from __future__ import annotations

import builtins
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

from core.data.display import format_period_ns
from core.data.series import BarSeries, QuoteSeries, TradeSeries, ts_type
from core.data.validation import (
    DataValidationError,
    RowLocator,
    validate_bars,
    validate_quotes,
    validate_trades,
)

if TYPE_CHECKING:
    import pyarrow as pa

KINDS: Final = ("bars", "quotes", "trades")
_TICK: Final = "tick"
_ROW_GROUP_ROWS: Final = 65_536
# Instrument ids become folder names: keep them portable (no separators, no Windows specials).
_SAFE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """One stored file: what it holds and the time span it covers (``None`` when empty)."""

    instrument_id: str
    kind: str
    period_ns: int | None
    rows: int
    first_ts_ns: int | None
    last_ts_ns: int | None
    path: Path


@final
class DataCatalog:
    """Market data stored under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root: Final = root

    def write(self, series: BarSeries | QuoteSeries | TradeSeries) -> Path:
        """Store ``series``, replacing any file for the same instrument, kind and period."""
        import pyarrow.parquet as pq

        if isinstance(series, BarSeries):
            validate_bars(series)
            path = self._path("bars", series.instrument_id, format_period_ns(series.period_ns))
        elif isinstance(series, QuoteSeries):
            validate_quotes(series)
            path = self._path("quotes", series.instrument_id, _TICK)
        else:
            validate_trades(series)
            path = self._path("trades", series.instrument_id, _TICK)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        pq.write_table(
            series.to_table(), partial, row_group_size=_ROW_GROUP_ROWS, compression="zstd"
        )
        os.replace(partial, path)
        return path

    def read_bars(
        self,
        instrument_id: str,
        period_ns: int | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> BarSeries:
        """Bars with ``start_ns <= ts_event < end_ns``; ``period_ns`` may be omitted when only
        one period is stored for the instrument."""
        if period_ns is None:
            path = self._only_bar_file(instrument_id)
        else:
            path = self._path("bars", instrument_id, format_period_ns(period_ns))
        series = BarSeries.from_table(_read(path, start_ns, end_ns), source=_display(path))
        validate_bars(series, RowLocator(_display(path)))
        return series

    def read_quotes(
        self, instrument_id: str, start_ns: int | None = None, end_ns: int | None = None
    ) -> QuoteSeries:
        """Quotes with ``start_ns <= ts_event < end_ns``."""
        path = self._path("quotes", instrument_id, _TICK)
        series = QuoteSeries.from_table(_read(path, start_ns, end_ns), source=_display(path))
        validate_quotes(series, RowLocator(_display(path)))
        return series

    def read_trades(
        self, instrument_id: str, start_ns: int | None = None, end_ns: int | None = None
    ) -> TradeSeries:
        """Trades with ``start_ns <= ts_event < end_ns``."""
        path = self._path("trades", instrument_id, _TICK)
        series = TradeSeries.from_table(_read(path, start_ns, end_ns), source=_display(path))
        validate_trades(series, RowLocator(_display(path)))
        return series

    def list(self) -> builtins.list[CatalogEntry]:
        """Every stored file, by kind, instrument and period; reads only Parquet metadata."""
        entries: builtins.list[CatalogEntry] = []
        for kind in KINDS:
            for path in sorted((self.root / kind).glob("*/*.parquet")):
                entries.append(_entry(path, kind))
        return entries

    def _path(self, kind: str, instrument_id: str, period: str) -> Path:
        if not _SAFE_ID.fullmatch(instrument_id):
            raise ValueError(
                f"instrument id {instrument_id!r} cannot name a catalog folder "
                "(letters, digits, '.', '_' and '-' only)"
            )
        return self.root / kind / instrument_id / f"{period}.parquet"

    def _only_bar_file(self, instrument_id: str) -> Path:
        folder = self._path("bars", instrument_id, _TICK).parent
        files = sorted(folder.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"no bars for {instrument_id} in the catalog at {self.root}")
        if len(files) > 1:
            periods = ", ".join(file.stem for file in files)
            raise ValueError(f"{instrument_id} has bars of several periods ({periods}); pass one")
        return files[0]


def _read(path: Path, start_ns: int | None, end_ns: int | None) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        raise FileNotFoundError(f"{_display(path)} is not in the catalog")
    filters = []
    if start_ns is not None:
        filters.append(("ts_event", ">=", pa.scalar(start_ns, type=ts_type())))
    if end_ns is not None:
        filters.append(("ts_event", "<", pa.scalar(end_ns, type=ts_type())))
    return pq.read_table(path, filters=filters or None)


def _entry(path: Path, kind: str) -> CatalogEntry:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    raw = file.schema_arrow.metadata or {}
    metadata = {key.decode(): value.decode() for key, value in raw.items()}
    if metadata.get("kind") != kind or "instrument_id" not in metadata:
        raise DataValidationError(_display(path), "not a Tradebench catalog file")
    period = metadata.get("period_ns")
    first = last = None
    meta = file.metadata
    if meta.num_rows:
        column = file.schema_arrow.get_field_index("ts_event")
        first_stats = meta.row_group(0).column(column).statistics
        last_stats = meta.row_group(meta.num_row_groups - 1).column(column).statistics
        first, last = int(first_stats.min_raw), int(last_stats.max_raw)
    return CatalogEntry(
        instrument_id=metadata["instrument_id"],
        kind=kind,
        period_ns=None if period is None else int(period),
        rows=meta.num_rows,
        first_ts_ns=first,
        last_ts_ns=last,
        path=path,
    )


def _display(path: Path) -> str:
    """``bars/SPY.SIM/1m.parquet``: enough of the path to tell catalog files apart."""
    return "/".join(path.parts[-3:])
