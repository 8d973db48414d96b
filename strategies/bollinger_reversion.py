"""Bollinger band reversion with resting limit orders.

Bands over the last ``period`` closes (sample standard deviation): middle = mean,
lower/upper = mean -/+ ``num_std`` * std. After each bar, once the bands are ready:

- flat: a GTC BUY LIMIT for ``qty`` rests at the lower band (and, with ``allow_short``, a SELL
  LIMIT at the upper band);
- in a position: entry orders still working are canceled, and a reduce-only GTC LIMIT for the
  whole position rests at the middle band (the exit).

Every resting order follows its band: when the band's price, rounded to the tick, changes, the
order is re-priced with ``modify_order`` (not canceled and re-sent), so each entry or exit keeps
one client order id from placement to fill in the journal. An order that is not yet accepted, or
has a modify or cancel pending, is left alone until a later bar. Orders placed after bar ``t``
can fill from bar ``t + 1`` on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from core.indicators import RollingStats
from core.instruments import Instrument
from core.market import Bar
from core.portfolio import Position
from core.strategy import Strategy
from core.values import SCALE, Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class BollingerReversionConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    period: int = field(
        default=20, metadata={"min": 2, "max": 10_000, "help": "band window (bars)"}
    )
    num_std: float = field(
        default=2.0,
        metadata={"min": 0.1, "max": 10.0, "help": "band half-width in standard deviations"},
    )
    allow_short: bool = field(
        default=False, metadata={"help": "also sell at the upper band, cover at the middle"}
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
class BollingerReversion(Strategy):
    """Buy the lower band with a resting limit, sell at the middle band."""

    def __init__(
        self, config: BollingerReversionConfig, strategy_id: str = "bollinger_reversion"
    ) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.bands: Final = RollingStats(config.period)
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
        bands = self.bands
        bands.update(bar.close_raw / SCALE)
        if not bands.ready:
            return
        mid = bands.mean
        width = self.config.num_std * bands.std
        position = self._position
        if position is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        pos = position.signed_qty_raw
        if pos == 0:
            self.cancel(self.exit_id)
            self.long_id = self.keep_limit(
                self.long_id, "long", OrderSide.BUY, mid - width, self._qty
            )
            if self.config.allow_short:
                self.short_id = self.keep_limit(
                    self.short_id, "short", OrderSide.SELL, mid + width, self._qty
                )
        else:
            self.cancel(self.long_id)
            self.cancel(self.short_id)
            side = OrderSide.SELL if pos > 0 else OrderSide.BUY
            size = Qty(pos if pos > 0 else -pos)
            self.exit_id = self.keep_limit(self.exit_id, "exit", side, mid, size, reduce_only=True)

    def keep_limit(
        self,
        client_order_id: str,
        tag: str,
        side: int,
        level: float,
        qty: Qty,
        reduce_only: bool = False,
    ) -> str:
        """Make a GTC limit order rest at ``level`` for ``qty`` still to fill: re-price (and
        re-size) the working order ``client_order_id`` or place a new one. Returns its id ("" if
        ``level`` is not a positive price)."""
        ctx = self.ctx
        instrument = self._instrument
        if instrument is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        price = instrument.round_price(round(level * SCALE))
        order = ctx.order(client_order_id) if client_order_id else None
        if order is not None and order.is_open:
            if price.raw <= 0 or order.side != side:
                # no price to rest at, or the position flipped since this exit was placed
                self.cancel(client_order_id)
                return client_order_id
            status = order.status
            modifiable = (
                status == OrderStatus.ACCEPTED
                or status == OrderStatus.PARTIALLY_FILLED
                or status == OrderStatus.TRIGGERED
            )
            if modifiable:
                new_price = None if order.price == price else price
                new_qty = None
                if order.leaves_qty_raw != qty.raw:
                    new_qty = Qty(order.filled_qty_raw + qty.raw)
                if new_price is not None or new_qty is not None:
                    ctx.modify_order(client_order_id, qty=new_qty, price=new_price)
            return client_order_id
        if price.raw <= 0:
            return ""
        self._seq += 1
        new_id = f"{self.strategy_id}-{tag}{self._seq}"
        ctx.submit_order(
            self._iid,
            side,
            qty,
            order_type=OrderType.LIMIT,
            price=price,
            time_in_force=TimeInForce.GTC,
            reduce_only=reduce_only,
            client_order_id=new_id,
        )
        return new_id

    def cancel(self, client_order_id: str) -> None:
        """Cancel one of our orders if it is still working and no cancel is pending."""
        if not client_order_id:
            return
        order = self.ctx.order(client_order_id)
        if order is not None and order.is_open:
            self.ctx.cancel_order(client_order_id)
