"""The workstation's market data: a Parquet catalog in the user's data folder.

Everything the trader imports (the CSV and Lean layouts ``core.data`` reads, or Tradebench
Parquet files) or generates (synthetic bars) is validated and written to the catalog, one file
per instrument, kind and period; the data manager lists it and strategies run on it. The
catalog sits beside the journal (``<user data>/catalog``, or beside ``TRADEBENCH_JOURNAL``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.data import BarSeries, DataCatalog, generate_bars, load_series
from core.data.display import format_period_ns
from core.feeds import Series

DEMO_INSTRUMENT = "SYN.SIM"
DEMO_BARS = 20_000  # two weeks of one-minute bars: 100x and 1000x replays are worth watching
DEMO_SEED = 42


def default_catalog_root() -> Path:
    from core.journal import default_journal_path

    configured = os.environ.get("TRADEBENCH_JOURNAL")
    journal = Path(configured) if configured else default_journal_path()
    return journal.parent / "catalog"


@dataclass(frozen=True)
class Dataset:
    """One catalog file: an instrument's bars of one period, or its quotes or trades."""

    instrument_id: str
    kind: str  # "bars", "quotes" or "trades"
    period_ns: int | None
    rows: int
    first_ts: int | None
    last_ts: int | None
    path: Path

    @property
    def first_start(self) -> int | None:
        """When the first bar began (bars carry their end time), or the first tick."""
        return None if self.first_ts is None else self.first_ts - (self.period_ns or 0)

    @property
    def last_start(self) -> int | None:
        return None if self.last_ts is None else self.last_ts - (self.period_ns or 0)

    @property
    def period_text(self) -> str:
        return "tick" if self.period_ns is None else format_period_ns(self.period_ns)

    @property
    def label(self) -> str:
        """``SPY.SIM 1m bars``: how forms and run histories name it."""
        return f"{self.instrument_id} {self.period_text} {self.kind}"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.instrument_id}/{self.period_text}"


class DataStore(QObject):
    """The catalog, what it holds, and loaded series (cached until the file changes)."""

    changed = Signal()

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = DataCatalog(root)
        self._datasets: list[Dataset] = []
        self._cache: dict[Path, tuple[float, Series]] = {}
        self.refresh()

    @property
    def root(self) -> Path:
        return self.catalog.root

    @property
    def datasets(self) -> list[Dataset]:
        return list(self._datasets)

    def find(self, key: str) -> Dataset | None:
        for d in self._datasets:
            if d.key == key:
                return d
        return None

    def refresh(self) -> None:
        self._datasets = [
            Dataset(
                instrument_id=e.instrument_id,
                kind=e.kind,
                period_ns=e.period_ns,
                rows=e.rows,
                first_ts=e.first_ts_ns,
                last_ts=e.last_ts_ns,
                path=e.path,
            )
            for e in self.catalog.list()
        ]
        self.changed.emit()

    def load(self, dataset: Dataset) -> Series:
        """The dataset's series (validated on read)."""
        stamp = dataset.path.stat().st_mtime
        cached = self._cache.get(dataset.path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        series: Series
        if dataset.kind == "bars":
            series = self.catalog.read_bars(dataset.instrument_id, dataset.period_ns)
        elif dataset.kind == "quotes":
            series = self.catalog.read_quotes(dataset.instrument_id)
        else:
            series = self.catalog.read_trades(dataset.instrument_id)
        self._cache[dataset.path] = (stamp, series)
        return series

    # writing (any thread; call refresh on the GUI thread afterwards) -----------------------
    def import_files(
        self, paths: Sequence[Path], *, instrument_id: str | None = None, layout: str = "auto"
    ) -> Series:
        """Load files of one instrument (validated; the layout detected unless given) and store
        them in the catalog. Raises ValueError / DataValidationError with the file and row."""
        if not paths:
            raise ValueError("choose at least one file to import")
        series = load_series(list(paths), instrument_id=instrument_id or None, layout=layout)
        if len(series) == 0:
            raise ValueError(f"{paths[0].name} holds no rows")
        self.catalog.write(series)
        return series

    def generate(
        self,
        *,
        bars: int,
        seed: int,
        instrument_id: str,
        period_s: int,
        start_price: str = "100",
    ) -> BarSeries:
        if bars < 2:
            raise ValueError("generate at least 2 bars")
        if period_s <= 0:
            raise ValueError("the bar period must be positive")
        series = generate_bars(
            bars,
            seed=seed,
            instrument_id=instrument_id,
            period_ns=period_s * 1_000_000_000,
            start_price=start_price,
        )
        self.catalog.write(series)
        return series

    def ensure_demo(self) -> None:
        """A first start finds demo data to try a strategy on at once."""
        if not self._datasets:
            self.generate(
                bars=DEMO_BARS, seed=DEMO_SEED, instrument_id=DEMO_INSTRUMENT, period_s=60
            )
            self.refresh()
