"""Donchian channel breakout with resting STOP orders, long and short.

After each bar, with the channels over the last ``period`` (entry) and ``exit_period`` (exit)
bars, that bar included (so they are the channels of the previous bars for the orders' next
chance to fill, from bar ``t + 1`` on):

- flat: a GTC BUY STOP for ``qty`` rests at the entry channel's high and (with ``allow_short``)
  a SELL STOP at its low: whichever the price breaks through first enters;
- long: entry orders still working are canceled and a reduce-only SELL STOP for the whole
  position rests at the exit channel's low; short: a reduce-only BUY STOP at its high.

Resting orders follow their channel level with ``modify_order`` when it moves (see
``bollinger_reversion`` for why modify rather than cancel and re-send). If one bar breaks both
the high and the low, both entries can fill: the net position is what the next bar manages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from core.indicators import Donchian
from core.instruments import Instrument
from core.market import Bar
from core.portfolio import Position
from core.strategy import Strategy
from core.values import SCALE, Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class DonchianBreakoutConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    period: int = field(
        default=20, metadata={"min": 1, "max": 10_000, "help": "entry channel window (bars)"}
    )
    exit_period: int = field(
        default=10, metadata={"min": 1, "max": 10_000, "help": "exit channel window (bars)"}
    )
    allow_short: bool = field(
        default=True, metadata={"help": "also enter short below the entry channel"}
    )
    qty: int | str = field(
        default=100,
        metadata={"types": (int, str), "help": "order size in units, e.g. 100 or '0.5'"},
    )

    def __post_init__(self) -> None:
        check_instrument_id("instrument_id", self.instrument_id)
        check_bounds(self)
        check_quantity("qty", self.qty)


@mypyc_attr(allow_interpreted_subclasses=True)
class DonchianBreakout(Strategy):
    """Stop entries at the ``period``-bar channel, stop exits at the ``exit_period`` channel."""

    def __init__(
        self, config: DonchianBreakoutConfig, strategy_id: str = "donchian_breakout"
    ) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.entry_channel: Final = Donchian(config.period)
        self.exit_channel: Final = Donchian(config.exit_period)
        self.long_id = ""  # client order ids of our resting orders ("" when none)
        self.short_id = ""
        self.exit_id = ""
        self._iid: Final = config.instrument_id
        self._seq = 0
        self._qty = Qty(0)
        self._instrument: Instrument | None = None
        self._position: Position | None = None

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
        self._instrument = instrument
        self._position = ctx.position(self._iid)

    def on_bar(self, bar: Bar) -> None:
        entry = self.entry_channel
        exit_ = self.exit_channel
        high = bar.high_raw / SCALE
        low = bar.low_raw / SCALE
        entry.update(high, low)
        exit_.update(high, low)
        if not (entry.ready and exit_.ready):
            return
        position = self._position
        if position is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        pos = position.signed_qty_raw
        if pos == 0:
            self.cancel(self.exit_id)
            self.long_id = self.keep_stop(
                self.long_id, "long", OrderSide.BUY, entry.upper, self._qty
            )
            if self.config.allow_short:
                self.short_id = self.keep_stop(
                    self.short_id, "short", OrderSide.SELL, entry.lower, self._qty
                )
            return
        self.cancel(self.long_id)
        self.cancel(self.short_id)
        if pos > 0:
            self.exit_id = self.keep_stop(
                self.exit_id, "exit", OrderSide.SELL, exit_.lower, Qty(pos), reduce_only=True
            )
        else:
            self.exit_id = self.keep_stop(
                self.exit_id, "exit", OrderSide.BUY, exit_.upper, Qty(-pos), reduce_only=True
            )

    def keep_stop(
        self,
        client_order_id: str,
        tag: str,
        side: int,
        level: float,
        qty: Qty,
        reduce_only: bool = False,
    ) -> str:
        """Make a GTC stop order rest at ``level`` for ``qty`` still to fill: re-price (and
        re-size) the working order ``client_order_id`` or place a new one. Returns its id."""
        ctx = self.ctx
        instrument = self._instrument
        if instrument is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        trigger = instrument.round_price(round(level * SCALE))
        order = ctx.order(client_order_id) if client_order_id else None
        if order is not None and order.is_open:
            if order.side != side:
                # the position flipped since this exit was placed: replace it on a later bar
                self.cancel(client_order_id)
                return client_order_id
            status = order.status
            if status == OrderStatus.ACCEPTED or status == OrderStatus.PARTIALLY_FILLED:
                new_trigger = None if order.trigger_price == trigger else trigger
                new_qty = None
                if order.leaves_qty_raw != qty.raw:
                    new_qty = Qty(order.filled_qty_raw + qty.raw)
                if new_trigger is not None or new_qty is not None:
                    ctx.modify_order(client_order_id, qty=new_qty, trigger_price=new_trigger)
            return client_order_id
        if trigger.raw <= 0:
            return ""
        self._seq += 1
        new_id = f"{self.strategy_id}-{tag}{self._seq}"
        ctx.submit_order(
            self._iid,
            side,
            qty,
            order_type=OrderType.STOP,
            trigger_price=trigger,
            time_in_force=TimeInForce.GTC,
            reduce_only=reduce_only,
            client_order_id=new_id,
        )
        return new_id

    def cancel(self, client_order_id: str) -> None:
        """Cancel one of our orders if it is still working."""
        if not client_order_id:
            return
        order = self.ctx.order(client_order_id)
        if order is not None and order.is_open:
            self.ctx.cancel_order(client_order_id)
