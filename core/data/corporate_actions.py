"""Split and dividend adjustment of bars with Lean factor files.

A Lean factor file (``Data/equity/usa/factor_files/<symbol>.csv``) is headerless, one row per
corporate-action boundary: ``YYYYMMDD,price_factor,split_factor[,reference_price]``. Lean's rule
(``CorporateFactorProvider``): a bar dated D uses the FIRST row whose date is >= D, and its
adjusted price is ``raw x price_factor x split_factor``. Bars after the last row (Lean ends files
with the sentinel ``20501231,1,1,0``) are left as they are. Volume is divided by the split factor,
so that a bar's traded value is unchanged by a split.

A bar's date is the calendar date, in the factor file's time zone (America/New_York for US
equities), of the instant just before its end: a daily bar ending at midnight belongs to the day
before that midnight, a minute bar to the day it trades in.

Adjusted prices are no longer exact: the factors are decimal fractions applied in float64
(relative error below 1e-15), and the result is rounded half to even on the 1e-9 grid.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, final

import numpy as np
import numpy.typing as npt

from core.data.series import BarSeries
from core.data.text_columns import parse_datetimes, parse_floats
from core.data.text_source import open_text_source
from core.data.timezones import DAY_NS, utc_to_local_ns
from core.data.validation import DataValidationError, validate_bars

LEAN_EQUITY_TZ: Final = "America/New_York"


@final
class FactorFile:
    """The rows of a factor file as arrays: dates (days since 1970-01-01) and both factors."""

    __slots__ = ("days", "price_factor", "source", "split_factor", "tz")

    def __init__(
        self,
        *,
        source: str,
        days: npt.NDArray[np.int64],
        price_factor: npt.NDArray[np.float64],
        split_factor: npt.NDArray[np.float64],
        tz: str,
    ) -> None:
        if not len(days) == len(price_factor) == len(split_factor):
            raise ValueError("factor file columns differ in length")
        if len(days) == 0:
            raise ValueError("a factor file needs at least one row")
        self.source: Final = source
        self.days: Final = days
        self.price_factor: Final = price_factor
        self.split_factor: Final = split_factor
        self.tz: Final = tz

    def __len__(self) -> int:
        return len(self.days)

    def __repr__(self) -> str:
        return f"FactorFile({self.source}, {len(self)} rows, {self.tz})"


def load_factor_file(path: str | os.PathLike[str], *, tz: str = LEAN_EQUITY_TZ) -> FactorFile:
    """A Lean factor file; ``tz`` is the zone whose calendar dates its rows use."""
    source = open_text_source(Path(path))
    head = source.head_lines(1)
    width = len(head[0].split(",")) if head else 4
    if width not in (3, 4):
        raise DataValidationError(
            source.name, f"expected 3 or 4 fields (date,price,split[,ref]), found {width}", row=1
        )
    names = ("date", "price_factor", "split_factor", "reference_price")[:width]
    table, locator = source.read_columns(
        names, header_lines=0, include=("date", "price_factor", "split_factor")
    )
    local = parse_datetimes(
        table.column("date"), label="date", fmt="%Y%m%d", expected="YYYYMMDD", locator=locator
    )
    days = local // DAY_NS
    price_factor = parse_floats(table.column("price_factor"), label="price_factor", locator=locator)
    split_factor = parse_floats(table.column("split_factor"), label="split_factor", locator=locator)
    not_increasing = np.concatenate(([False], np.diff(days) <= 0))
    if not_increasing.any():
        raise locator.error(int(not_increasing.argmax()), "dates are not strictly increasing")
    for name, factor in (("price_factor", price_factor), ("split_factor", split_factor)):
        not_positive = ~(factor > 0)
        if not_positive.any():
            index = int(not_positive.argmax())
            raise locator.error(index, f"{name} {factor[index]} is not positive")
    return FactorFile(
        source=source.name,
        days=days,
        price_factor=price_factor,
        split_factor=split_factor,
        tz=tz,
    )


def adjust_bars(series: BarSeries, factors: FactorFile) -> BarSeries:
    """The bars with splits and dividends applied (Lean's ``Adjusted`` normalisation)."""
    bar_days = utc_to_local_ns(series.ts_event - 1, factors.tz) // DAY_NS
    row = np.searchsorted(factors.days, bar_days, side="left")
    applies = row < len(factors)
    row = np.minimum(row, len(factors) - 1)
    split = np.where(applies, factors.split_factor[row], 1.0)
    price = np.where(applies, factors.price_factor[row], 1.0) * split
    adjusted = BarSeries(
        instrument_id=series.instrument_id,
        period_ns=series.period_ns,
        ts_event=series.ts_event,
        open=_scaled(series.open, price),
        high=_scaled(series.high, price),
        low=_scaled(series.low, price),
        close=_scaled(series.close, price),
        volume=_scaled(series.volume, 1.0 / split),
    )
    validate_bars(adjusted)
    return adjusted


def _scaled(
    raw: npt.NDArray[np.int64], factor: npt.NDArray[np.float64] | float
) -> npt.NDArray[np.int64]:
    scaled: npt.NDArray[np.int64] = np.rint(raw * factor).astype(np.int64)
    return scaled
