"""EMA crossover on quotes (the mid price) or bars (the close): long above, flat (or short) below.

Same rules as ``sma_cross``: a cross is a change of sign of ``fast - slow`` once the slow EMA is
ready (``slow`` updates; both EMAs start from the first value); equality keeps the previous sign;
market orders. On quote ticks the input is the mid ``(bid + ask) / 2``; on bars it is the close.
Feed it one kind of data per instrument: with both, each would update the averages.

This is the strategy of the quote benchmark (two million quotes through the compiled engine), so
``on_quote`` reads the raw bid and ask (no ``Price`` objects), does two O(1) updates and a
comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.indicators import EMA
from core.market import Bar, QuoteTick
from core.strategy import Strategy
from core.values import SCALE, Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity

# (bid_raw + ask_raw) / _MID_SCALE is the mid as a float: one exact division, no Price objects
_MID_SCALE: Final = 2.0 * SCALE


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class EmaCrossConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    fast: int = field(
        default=10, metadata={"min": 1, "max": 100_000, "help": "fast EMA period (updates)"}
    )
    slow: int = field(
        default=30,
        metadata={"min": 2, "max": 100_000, "help": "slow EMA period (updates), > fast"},
    )
    qty: int | str = field(
        default=100,
        metadata={"types": (int, str), "help": "order size in units, e.g. 100 or '0.5'"},
    )
    allow_short: bool = field(
        default=False, metadata={"help": "go short on a cross below (instead of flat)"}
    )

    def __post_init__(self) -> None:
        check_instrument_id("instrument_id", self.instrument_id)
        check_bounds(self)
        if self.fast >= self.slow:
            raise ValueError(f"fast must be less than slow, got fast={self.fast} slow={self.slow}")
        check_quantity("qty", self.qty)


@mypyc_attr(allow_interpreted_subclasses=True)
class EmaCross(Strategy):
    """Long ``qty`` while the fast EMA of the mid (or close) is above the slow one."""

    def __init__(self, config: EmaCrossConfig, strategy_id: str = "ema_cross") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.fast_ema: Final = EMA(config.fast)
        self.slow_ema: Final = EMA(config.slow)
        self.regime = 0  # +1 fast above slow, -1 below, 0 not known yet
        self._iid: Final = config.instrument_id
        self._allow_short: Final = config.allow_short
        # set in on_start, where the instrument and the account are known
        self._qty = Qty(0)

    def on_start(self) -> None:
        ctx = self.ctx
        instrument = ctx.instrument(self._iid)
        qty = instrument.make_qty(self.config.qty)
        if qty.raw < instrument.min_qty.raw:
            raise ValueError(
                f"qty {self.config.qty} is below the minimum order size {instrument.min_qty} "
                f"of {self._iid}"
            )
        self._qty = qty
        ctx.plot(f"EMA {self.config.fast}", self.fast_ema)
        ctx.plot(f"EMA {self.config.slow}", self.slow_ema)

    def on_quote(self, quote: QuoteTick) -> None:
        self.update((quote.bid_raw + quote.ask_raw) / _MID_SCALE)

    def on_bar(self, bar: Bar) -> None:
        self.update(bar.close_raw / SCALE)

    def update(self, x: float) -> None:
        """One new price: update both averages and trade if their order changed."""
        slow_ema = self.slow_ema
        diff = self.fast_ema.update(x) - slow_ema.update(x)
        if not slow_ema.ready:
            return
        if diff > 0.0:
            regime = 1
        elif diff < 0.0:
            regime = -1
        else:
            return
        previous = self.regime
        if regime == previous:
            return
        self.regime = regime
        if previous != 0:
            self.on_cross(regime)

    def on_cross(self, regime: int) -> None:
        """The fast average crossed the slow one (+1 upwards, -1 downwards): move the position."""
        if regime > 0:
            self.ctx.target_position(self._iid, self._qty.raw)
        else:
            self.ctx.target_position(self._iid, -self._qty.raw if self._allow_short else 0)
