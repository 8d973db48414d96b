"""SMA crossover: long when the fast SMA crosses above the slow one, flat (or short) below it.

A cross is a change of sign of ``fast - slow`` from one bar to the next once both averages are
ready; a bar where they are equal keeps the previous sign (touching is not crossing), and the
first ready bar only sets the starting sign. Orders are market orders, so with the simulated
venue a cross seen at bar ``t``'s close fills at bar ``t + 1``'s open.

The averages are the engine-maintained ``ctx.sma`` ones, updated once per bar before any
strategy's ``on_bar`` and shared by every strategy asking for the same (instrument, period): a
parameter sweep of many SmaCross runs in one pass computes each SMA once.

This is the strategy of the engine benchmark (a million bars through the compiled engine), so
``on_bar`` reads two floats and compares them; everything else, including every allocation,
happens only on a cross.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.indicators import Indicator
from core.market import Bar
from core.strategy import Strategy
from core.values import Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class SmaCrossConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    fast: int = field(
        default=10, metadata={"min": 1, "max": 10_000, "help": "fast SMA period (bars)"}
    )
    slow: int = field(
        default=30, metadata={"min": 2, "max": 10_000, "help": "slow SMA period (bars), > fast"}
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
class SmaCross(Strategy):
    """Long ``qty`` above, flat (or short ``qty``) below: trades only on a crossover."""

    def __init__(self, config: SmaCrossConfig, strategy_id: str = "sma_cross") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.fast_sma: Indicator | None = None  # the shared SMAs, from on_start
        self.slow_sma: Indicator | None = None
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
        self.fast_sma = ctx.sma(self._iid, self.config.fast)
        self.slow_sma = ctx.sma(self._iid, self.config.slow)
        ctx.plot(f"SMA {self.config.fast}", self.fast_sma)
        ctx.plot(f"SMA {self.config.slow}", self.slow_sma)

    def on_bar(self, bar: Bar) -> None:
        fast = self.fast_sma
        slow = self.slow_sma
        if fast is None or slow is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        diff = fast.value - slow.value
        # NaN until both averages are ready: neither comparison holds, so no sign and no trade
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
