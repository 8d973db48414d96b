"""Pairs trading on the z-score of a log-price spread between two instruments.

``spread = log(a) - beta * log(b)``. With ``hedge_ratio`` != 0, beta is that fixed number; with
``hedge_ratio`` = 0, beta is the rolling OLS slope of log(a) on log(b) over the same ``window``,
re-estimated every bar. Either way the z-score is the current spread's distance from the mean
of the spread over the last ``window`` synchronized bars (the current one included), in sample
standard deviations, all computed with the current beta (from rolling sums, O(1) per bar).

Bars arrive one instrument at a time: a bar only counts once both instruments have a bar with
the same ``ts_event``; that bar pair is used once.

Rules, on each synchronized bar, when neither leg has an order still working:

- flat: z > ``entry_z`` sells the spread (sell ``qty`` of a, buy the hedge of b);
  z < -``entry_z`` buys it (buy ``qty`` of a, sell the hedge of b);
- in a position: |z| < ``exit_z`` closes both legs with reduce-only market orders.

The hedge leg's size makes the two legs' notional values proportional to beta:
``qty_b = qty * |beta| * (price_a * multiplier_a) / (price_b * multiplier_b)``, rounded down to
b's lots (a negative beta trades b on the same side as a). All orders are market orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final, final

from mypy_extensions import mypyc_attr

from core.enums import OrderSide
from core.instruments import Instrument
from core.market import Bar
from core.portfolio import Position
from core.strategy import Strategy
from core.values import SCALE, Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class PairsZscoreConfig:
    instrument_a: str = field(metadata={"help": "first leg (the one sized by qty)"})
    instrument_b: str = field(metadata={"help": "second leg (the hedge)"})
    window: int = field(
        default=60, metadata={"min": 3, "max": 100_000, "help": "rolling window (bars)"}
    )
    entry_z: float = field(
        default=2.0, metadata={"min": 0.1, "max": 10.0, "help": "enter when |z| exceeds this"}
    )
    exit_z: float = field(
        default=0.5, metadata={"min": 0.0, "max": 10.0, "help": "exit when |z| falls below this"}
    )
    hedge_ratio: float = field(
        default=1.0,
        metadata={"min": -100.0, "max": 100.0, "help": "beta of log(b); 0: rolling OLS beta"},
    )
    qty: int | str = field(
        default=100,
        metadata={"types": (int, str), "help": "size of leg a in units, e.g. 100 or '0.5'"},
    )

    def __post_init__(self) -> None:
        check_instrument_id("instrument_a", self.instrument_a)
        check_instrument_id("instrument_b", self.instrument_b)
        if self.instrument_a == self.instrument_b:
            raise ValueError(
                f"instrument_a and instrument_b must differ, both are {self.instrument_a!r}"
            )
        check_bounds(self)
        if self.exit_z >= self.entry_z:
            raise ValueError(
                f"exit_z must be less than entry_z, got exit_z={self.exit_z} entry_z={self.entry_z}"
            )
        check_quantity("qty", self.qty)


@final
class RollingPair:
    """Rolling means, variances and covariance of (x, y) over ``period`` points, from sums over
    a ring buffer (recomputed exactly once per ``period`` updates, so rounding cannot drift)."""

    def __init__(self, period: int) -> None:
        if period < 3:
            raise ValueError(f"rolling window must be at least 3, got {period}")
        self.period: Final = period
        self._xs: list[float] = [0.0] * period
        self._ys: list[float] = [0.0] * period
        self._i = 0
        self._count = 0
        self._sx = 0.0
        self._sy = 0.0
        self._sxx = 0.0
        self._syy = 0.0
        self._sxy = 0.0

    @property
    def ready(self) -> bool:
        return self._count >= self.period

    def update(self, x: float, y: float) -> None:
        i = self._i
        ox = self._xs[i]
        oy = self._ys[i]
        self._xs[i] = x
        self._ys[i] = y
        self._sx += x - ox
        self._sy += y - oy
        self._sxx += x * x - ox * ox
        self._syy += y * y - oy * oy
        self._sxy += x * y - ox * oy
        i += 1
        if i == self.period:
            i = 0
            self._recompute()
        self._i = i
        if self._count < self.period:
            self._count += 1

    def _recompute(self) -> None:
        xs = self._xs
        ys = self._ys
        self._sx = math.fsum(xs)
        self._sy = math.fsum(ys)
        self._sxx = math.fsum([v * v for v in xs])
        self._syy = math.fsum([v * v for v in ys])
        self._sxy = math.fsum([xs[k] * ys[k] for k in range(len(xs))])

    def beta(self) -> float:
        """OLS slope of x on y (NaN while y does not vary)."""
        n = self.period
        var_y = self._syy - self._sy * self._sy / n
        if var_y <= 1e-18 * n:
            return math.nan
        return (self._sxy - self._sx * self._sy / n) / var_y

    def zscore(self, beta: float, x: float, y: float) -> float:
        """z-score of ``x - beta * y`` against that spread over the window (NaN if flat)."""
        n = self.period
        mean = (self._sx - beta * self._sy) / n
        var_x = (self._sxx - self._sx * self._sx / n) / (n - 1)
        var_y = (self._syy - self._sy * self._sy / n) / (n - 1)
        cov = (self._sxy - self._sx * self._sy / n) / (n - 1)
        var = var_x - 2.0 * beta * cov + beta * beta * var_y
        if not var > 1e-18:
            return math.nan
        return (x - beta * y - mean) / math.sqrt(var)


@mypyc_attr(allow_interpreted_subclasses=True)
class PairsZscore(Strategy):
    """Sell the spread when it is rich, buy it when cheap, close both legs near the mean."""

    def __init__(self, config: PairsZscoreConfig, strategy_id: str = "pairs_zscore") -> None:
        super().__init__(
            strategy_id=strategy_id, instrument_ids=(config.instrument_a, config.instrument_b)
        )
        self.config: Final = config
        self.window: Final = RollingPair(config.window)
        self.beta = math.nan  # the last beta and z-score used (NaN until known)
        self.zscore = math.nan
        self._a: Final = config.instrument_a
        self._b: Final = config.instrument_b
        self._ts_a = -1  # ts_event and close of each leg's latest bar
        self._ts_b = -2
        self._px_a = 0.0
        self._px_b = 0.0
        self._last_ts = -1  # the synchronized bar pair already used
        self._qty = Qty(0)
        self._inst_a: Instrument | None = None
        self._inst_b: Instrument | None = None
        self._pos_a: Position | None = None
        self._pos_b: Position | None = None

    def on_start(self) -> None:
        ctx = self.ctx
        inst_a = ctx.instrument(self._a)
        qty = inst_a.make_qty(self.config.qty)
        if qty.raw < inst_a.min_qty.raw:
            raise ValueError(
                f"qty {self.config.qty} is below the minimum order size {inst_a.min_qty} "
                f"of {self._a}"
            )
        self._qty = qty
        self._inst_a = inst_a
        self._inst_b = ctx.instrument(self._b)
        self._pos_a = ctx.position(self._a)
        self._pos_b = ctx.position(self._b)

    def on_bar(self, bar: Bar) -> None:
        ts = bar.ts_event
        if bar.instrument_id == self._a:
            self._ts_a = ts
            self._px_a = bar.close_raw / SCALE
        elif bar.instrument_id == self._b:
            self._ts_b = ts
            self._px_b = bar.close_raw / SCALE
        else:
            return
        if self._ts_a != self._ts_b or ts == self._last_ts:
            return
        self._last_ts = ts
        self.on_pair(self._px_a, self._px_b)

    def on_pair(self, px_a: float, px_b: float) -> None:
        """Both legs closed a bar at the same time: update the spread and trade."""
        if px_a <= 0.0 or px_b <= 0.0:
            return
        x = math.log(px_a)
        y = math.log(px_b)
        window = self.window
        window.update(x, y)
        if not window.ready:
            return
        hedge = self.config.hedge_ratio
        beta = hedge if hedge != 0.0 else window.beta()
        self.beta = beta
        z = window.zscore(beta, x, y) if beta == beta else math.nan
        self.zscore = z
        if z != z or self.ctx.open_orders():
            return  # no z-score yet, or a leg is still working
        pos_a = self._pos_a
        pos_b = self._pos_b
        if pos_a is None or pos_b is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        config = self.config
        if pos_a.is_flat and pos_b.is_flat:
            if z > config.entry_z:
                self.enter(-1, beta, px_a, px_b)
            elif z < -config.entry_z:
                self.enter(1, beta, px_a, px_b)
        elif abs(z) < config.exit_z:
            self.close(self._a, pos_a)
            self.close(self._b, pos_b)

    def enter(self, direction: int, beta: float, px_a: float, px_b: float) -> None:
        """Buy (+1) or sell (-1) the spread: ``qty`` of a against beta-weighted b."""
        inst_a = self._inst_a
        inst_b = self._inst_b
        if inst_a is None or inst_b is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        units_b = (
            self._qty.as_float() * abs(beta) * px_a * inst_a.multiplier / (px_b * inst_b.multiplier)
        )
        qty_b = inst_b.make_qty(units_b)
        if qty_b.raw < inst_b.min_qty.raw:
            self.ctx.log(
                f"spread entry skipped: hedge of {units_b:.6g} {self._b} is below its minimum "
                f"order size {inst_b.min_qty}",
                "WARNING",
            )
            return
        side_a = OrderSide.BUY if direction > 0 else OrderSide.SELL
        side_b = -side_a if beta > 0.0 else side_a
        self.ctx.submit_order(self._a, side_a, self._qty)
        self.ctx.submit_order(self._b, side_b, qty_b)

    def close(self, instrument_id: str, position: Position) -> None:
        pos = position.signed_qty_raw
        if pos == 0:
            return
        side = OrderSide.SELL if pos > 0 else OrderSide.BUY
        self.ctx.submit_order(instrument_id, side, position.qty, reduce_only=True)
