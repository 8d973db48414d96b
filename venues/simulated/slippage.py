"""Slippage models: how far against the trader a market or triggered stop fill moves.

A model returns a non-negative adverse amount in raw price units; the venue adds it against the
trader (up for buys, down for sells), rounds the result to the tick against the trader and, on
bars, keeps it inside the bar's [low, high]. Limit fills never slip. All maths is integer: float
parameters are turned into parts per billion once, at construction.
"""

from __future__ import annotations

from typing import Final, final

from mypy_extensions import mypyc_attr

from core.instruments import Instrument
from core.market import Bar
from core.values import SCALE
from venues.simulated.config import DataKind, to_ppb

BPS_DEN: Final = 10_000 * SCALE  # bps parameters are held in 1e-9 bps


def ceil_div(num: int, den: int) -> int:
    """``num / den`` rounded up (den > 0): adverse amounts round against the trader."""
    return -((-num) // den)


@mypyc_attr(allow_interpreted_subclasses=True)
class SlippageModel:
    """Base of the slippage models (interpreted subclasses allowed).

    ``observes_bars``: set it True in a subclass that needs every bar (``observe_bar``); the venue
    only pays for that call when some model asks for it. Bars are observed after the venue has
    matched them, so a model never sees the bar it is slipping a fill on.
    """

    def __init__(self) -> None:
        self.observes_bars: bool = False

    def observe_bar(self, bar: Bar) -> None:
        """Called for every bar once it has been matched (only when ``observes_bars``)."""

    def adverse_raw(self, instrument: Instrument, side: int, px_raw: int, data: int) -> int:
        """How far (raw price units, >= 0) a fill at ``px_raw`` moves against the trader.

        ``data`` is a ``DataKind``: BAR, TRADE or QUOTE.
        """
        return 0


@final
class NoSlippage(SlippageModel):
    def __repr__(self) -> str:
        return "NoSlippage()"


@final
class FixedBpsSlippage(SlippageModel):
    """A fixed share of the price: ``FixedBpsSlippage(2)`` moves a 100.00 fill by 0.02."""

    def __init__(self, bps: float | int | str) -> None:
        super().__init__()
        bps_nano = to_ppb(bps, "slippage bps")
        if bps_nano < 0:
            raise ValueError(f"slippage bps must not be negative, got {bps}")
        self.bps: Final = bps
        self.bps_nano: Final = bps_nano

    def adverse_raw(self, instrument: Instrument, side: int, px_raw: int, data: int) -> int:
        return ceil_div(abs(px_raw) * self.bps_nano, BPS_DEN)

    def __repr__(self) -> str:
        return f"FixedBpsSlippage({self.bps} bps)"


@final
class HalfSpreadSlippage(SlippageModel):
    """Pays half of an assumed bid/ask spread on bar and trade data (which carry no quotes).

    On quote data a market order already trades at the touch, i.e. it already pays the real
    spread, so this model adds nothing there.
    """

    def __init__(self, spread_bps: float | int | str) -> None:
        super().__init__()
        spread_nano = to_ppb(spread_bps, "spread bps")
        if spread_nano < 0:
            raise ValueError(f"spread bps must not be negative, got {spread_bps}")
        self.spread_bps: Final = spread_bps
        self.spread_nano: Final = spread_nano

    def adverse_raw(self, instrument: Instrument, side: int, px_raw: int, data: int) -> int:
        if data == DataKind.QUOTE:
            return 0
        return ceil_div(abs(px_raw) * self.spread_nano, 2 * BPS_DEN)

    def __repr__(self) -> str:
        return f"HalfSpreadSlippage({self.spread_bps} bps spread)"


@final
class RangeWindow:
    """The last ``size`` bar ranges (high - low) of one instrument and their running sum."""

    def __init__(self, size: int) -> None:
        self.size: Final = size
        self.ranges: Final[list[int]] = []
        self.next_slot = 0
        self.total = 0

    def push(self, value: int) -> None:
        ranges = self.ranges
        if len(ranges) < self.size:
            ranges.append(value)
        else:
            self.total -= ranges[self.next_slot]
            ranges[self.next_slot] = value
            self.next_slot = (self.next_slot + 1) % self.size
        self.total += value

    def average(self) -> int:
        """The floor of the mean range (0 before the first bar)."""
        count = len(self.ranges)
        return self.total // count if count else 0


@final
class VolatilitySlippage(SlippageModel):
    """Adverse move = ``multiplier`` x the average (high - low) of the last ``window`` bars.

    Until ``window`` bars have been seen the average is over the bars seen so far; before the
    first bar (or on data without bars) the slippage is 0. The bar being matched is not in the
    window: it is observed after matching.
    """

    def __init__(self, multiplier: float | int | str = 0.1, window: int = 20) -> None:
        super().__init__()
        if window <= 0:
            raise ValueError(f"window must be positive, got {window}")
        multiplier_ppb = to_ppb(multiplier, "volatility multiplier")
        if multiplier_ppb < 0:
            raise ValueError(f"volatility multiplier must not be negative, got {multiplier}")
        self.observes_bars = True
        self.multiplier: Final = multiplier
        self.multiplier_ppb: Final = multiplier_ppb
        self.window: Final = window
        self._windows: Final[dict[str, RangeWindow]] = {}

    def observe_bar(self, bar: Bar) -> None:
        window = self._windows.get(bar.instrument_id)
        if window is None:
            window = RangeWindow(self.window)
            self._windows[bar.instrument_id] = window
        window.push(bar.high_raw - bar.low_raw)

    def average_range_raw(self, instrument_id: str) -> int:
        window = self._windows.get(instrument_id)
        return 0 if window is None else window.average()

    def adverse_raw(self, instrument: Instrument, side: int, px_raw: int, data: int) -> int:
        average = self.average_range_raw(instrument.id)
        return ceil_div(average * self.multiplier_ppb, SCALE)

    def __repr__(self) -> str:
        return f"VolatilitySlippage({self.multiplier} x mean range of {self.window} bars)"
