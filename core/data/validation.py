"""Validation of market data, with errors that name the file, the row and the problem.

Every check is vectorised: it builds a boolean mask over the whole column and reports the first
offending row. When a series breaks several rules, the error names the earliest offending row
(ties go to the check listed first below), so fixing a file top to bottom works.

Rows are counted as **1-based data rows**: the header line, if any, is not a row. Messages add
the physical line number when it differs (``orcl.csv data row 17 (line 18): ...``).

Bars: end times (``ts_event``) strictly increasing (no duplicates), prices positive,
``high >= low``, open and close within ``[low, high]``, volume not negative.
Quotes: timestamps non-decreasing (ticks may share a timestamp), bid and ask positive, not crossed
(``bid <= ask``; locked ``bid == ask`` is legal), sizes not negative.
Trades: timestamps non-decreasing, price positive, size not negative, aggressor a known code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import numpy as np
import numpy.typing as npt

from core.data.display import format_fixed, format_ts_ns
from core.market import Aggressor

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.data.series import BarSeries, QuoteSeries, TradeSeries

_AGGRESSOR_CODES: Final = (Aggressor.UNKNOWN, Aggressor.BUYER, Aggressor.SELLER)


class DataValidationError(ValueError):
    """Market data that cannot be used as it is; the message says where and what is wrong."""

    def __init__(
        self, source: str, problem: str, *, row: int | None = None, line: int | None = None
    ) -> None:
        self.source: Final = source
        self.problem: Final = problem
        self.row: Final = row
        self.line: Final = line
        where = source
        if row is not None:
            where += f" data row {row}"
            if line is not None and line != row:
                where += f" (line {line})"
        elif line is not None:
            where += f" line {line}"
        super().__init__(f"{where}: {problem}")


@final
class RowLocator:
    """Maps positions in parsed arrays back to the rows of the source they came from.

    ``header_lines`` is the number of lines before the first data row in a text file (``None``
    when the source has no lines, e.g. a Parquet file); ``rows`` gives the 1-based data row of
    each position once rows were dropped or merged (``None``: position ``i`` is row ``i + 1``).
    """

    __slots__ = ("header_lines", "rows", "source")

    def __init__(
        self,
        source: str,
        *,
        header_lines: int | None = None,
        rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.source: Final = source
        self.header_lines: Final = header_lines
        self.rows: Final = rows

    def row_of(self, index: int) -> int:
        return int(self.rows[index]) if self.rows is not None else index + 1

    def error(self, index: int, problem: str) -> DataValidationError:
        """The error for a problem at array position ``index``."""
        row = self.row_of(index)
        line = None if self.header_lines is None else row + self.header_lines
        return DataValidationError(self.source, problem, row=row, line=line)

    def file_error(self, problem: str) -> DataValidationError:
        """The error for a problem of the source as a whole (empty file, missing column)."""
        return DataValidationError(self.source, problem)

    def subset(self, positions: npt.NDArray[np.int64]) -> RowLocator:
        """The locator of ``arrays[positions]``."""
        rows = self.rows[positions] if self.rows is not None else positions + 1
        return RowLocator(self.source, header_lines=self.header_lines, rows=rows)


class _FirstProblem:
    """Collects candidate problems and keeps the one at the earliest position."""

    def __init__(self) -> None:
        self.index: int | None = None
        self.problem = ""

    def check(self, mask: npt.NDArray[np.bool_], describe: Callable[[int], str]) -> None:
        if not mask.any():
            return
        index = int(mask.argmax())
        if self.index is None or index < self.index:
            self.index = index
            self.problem = describe(index)

    def raise_if_found(self, locator: RowLocator) -> None:
        if self.index is not None:
            raise locator.error(self.index, self.problem)


def validate_bars(series: BarSeries, locator: RowLocator | None = None) -> None:
    """Raise ``DataValidationError`` at the first bar that breaks a bar invariant."""
    found = _FirstProblem()
    _check_time_order(found, series.ts_event, noun="end time", allow_equal=False)
    o, h, low, c = series.open, series.high, series.low, series.close
    for name, column in (("open", o), ("high", h), ("low", low), ("close", c)):
        _check_positive(found, name, column)
    found.check(h < low, lambda i: f"high {_fixed(h, i)} < low {_fixed(low, i)}")
    _check_within(found, "open", o, low, h)
    _check_within(found, "close", c, low, h)
    _check_not_negative(found, "volume", series.volume)
    found.raise_if_found(locator or RowLocator(f"{series.instrument_id} bars"))


def validate_quotes(series: QuoteSeries, locator: RowLocator | None = None) -> None:
    """Raise ``DataValidationError`` at the first quote that breaks a quote invariant."""
    found = _FirstProblem()
    _check_time_order(found, series.ts_event, noun="timestamp", allow_equal=True)
    bid, ask = series.bid, series.ask
    _check_positive(found, "bid", bid)
    _check_positive(found, "ask", ask)
    found.check(
        bid > ask,
        lambda i: f"crossed quote: bid {_fixed(bid, i)} > ask {_fixed(ask, i)}",
    )
    _check_not_negative(found, "bid size", series.bid_size)
    _check_not_negative(found, "ask size", series.ask_size)
    found.raise_if_found(locator or RowLocator(f"{series.instrument_id} quotes"))


def validate_trades(series: TradeSeries, locator: RowLocator | None = None) -> None:
    """Raise ``DataValidationError`` at the first trade that breaks a trade invariant."""
    found = _FirstProblem()
    _check_time_order(found, series.ts_event, noun="timestamp", allow_equal=True)
    _check_positive(found, "price", series.price)
    _check_not_negative(found, "size", series.size)
    aggressor = series.aggressor
    found.check(
        ~np.isin(aggressor, _AGGRESSOR_CODES),
        lambda i: f"aggressor {aggressor[i]} is not 0 (unknown), 1 (buyer) or 2 (seller)",
    )
    found.raise_if_found(locator or RowLocator(f"{series.instrument_id} trades"))


def _check_time_order(
    found: _FirstProblem, ts: npt.NDArray[np.int64], *, noun: str, allow_equal: bool
) -> None:
    step = np.diff(ts)
    bad = step < 0 if allow_equal else step <= 0

    def describe(i: int) -> str:
        current, previous = format_ts_ns(int(ts[i + 1])), format_ts_ns(int(ts[i]))
        if step[i] == 0:
            return f"duplicate {noun} {current} (same as the previous row)"
        return f"{noun} {current} is before the previous row's {previous}"

    # A problem in step i belongs to row i + 1: shift by one so positions match rows.
    found.check(np.concatenate(([False], bad)), lambda i: describe(i - 1))


def _check_positive(found: _FirstProblem, name: str, column: npt.NDArray[np.int64]) -> None:
    found.check(column <= 0, lambda i: f"{name} {_fixed(column, i)} is not positive")


def _check_not_negative(found: _FirstProblem, name: str, column: npt.NDArray[np.int64]) -> None:
    found.check(column < 0, lambda i: f"negative {name} {_fixed(column, i)}")


def _check_within(
    found: _FirstProblem,
    name: str,
    column: npt.NDArray[np.int64],
    low: npt.NDArray[np.int64],
    high: npt.NDArray[np.int64],
) -> None:
    found.check(
        (column < low) | (column > high),
        lambda i: (
            f"{name} {_fixed(column, i)} is outside [low {_fixed(low, i)}, high {_fixed(high, i)}]"
        ),
    )


def _fixed(column: npt.NDArray[np.int64], index: int) -> str:
    return format_fixed(int(column[index]))
