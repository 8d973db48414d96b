"""Market making on the L2 book: a bid and an ask around the mid, within inventory limits.

After each book update (``on_book``) the strategy keeps one GTC limit order on each side:

- prices: the mid ``(best bid + best ask) / 2`` minus the inventory skew, then ``half_spread``
  ticks below it for the bid (rounded down to the tick) and above it for the ask (rounded up);
  neither quote may cross the book (a bid stays below the best ask, an ask above the best bid),
  so both rest as maker orders;
- skew: with a position ``p`` and the limit ``max_position``, both quotes move
  ``skew_ticks x p / max_position`` ticks (toward zero) against the inventory: lower when long,
  higher when short;
- inventory limits: no bid while ``position + qty`` would exceed ``max_position``, no ask while
  ``position - qty`` would go below ``-max_position`` (a fill racing a cancel can overshoot by one
  order);
- requotes: when the mid has moved ``requote_ticks`` ticks or more from the mid the quotes were
  placed around, and after each fill. A working quote is re-priced with ``modify_order`` (on the
  order-book venue a new price queues at the back of its level); a quote that is not accepted
  yet, or has a modify or cancel pending, is left alone and retried on the next update;
- on stop, every working order is canceled.

It needs L2 book data and the order-book venue (``--venue book``): on a top-of-book simulation
its resting quotes would fill without any queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.book import BookView
from core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from core.events import OrderFilled
from core.portfolio import Position
from core.strategy import Strategy
from core.values import Price, Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class MarketMakerConfig:
    instrument_id: str = field(metadata={"help": "instrument to quote, SYMBOL.VENUE"})
    half_spread: int = field(
        default=1,
        metadata={"min": 1, "max": 100_000, "help": "ticks from the mid to each quote"},
    )
    qty: int | str = field(
        default=1,
        metadata={"types": (int, str), "help": "size of each quote in units, e.g. 1 or '0.001'"},
    )
    max_position: int | str = field(
        default=5,
        metadata={
            "types": (int, str),
            "help": "inventory limit in units, long or short (>= qty)",
        },
    )
    skew_ticks: int = field(
        default=0,
        metadata={
            "min": 0,
            "max": 100_000,
            "help": "ticks both quotes move against the inventory at the limit",
        },
    )
    requote_ticks: int = field(
        default=1,
        metadata={"min": 1, "max": 100_000, "help": "mid move (ticks) that triggers a requote"},
    )

    def __post_init__(self) -> None:
        check_instrument_id("instrument_id", self.instrument_id)
        check_bounds(self)
        check_quantity("qty", self.qty)
        check_quantity("max_position", self.max_position)


@mypyc_attr(allow_interpreted_subclasses=True)
class MarketMaker(Strategy):
    """Quote both sides of the book around the mid, within inventory limits."""

    def __init__(self, config: MarketMakerConfig, strategy_id: str = "market_maker") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.bid_id = ""  # client order ids of the working quotes ("" when none)
        self.ask_id = ""
        self.quoted_mid = 0  # the mid the quotes were placed around (0: requote now)
        self._iid: Final = config.instrument_id
        # set in on_start, where the instrument and the account are known
        self._tick = 1
        self._qty = Qty(0)
        self._max_raw = 0
        self._half_raw = 0
        self._requote_raw = 0
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
        max_raw = instrument.make_qty(self.config.max_position).raw
        if max_raw < qty.raw:
            raise ValueError(f"max_position {self.config.max_position} is below qty {qty}")
        self._tick = instrument.tick_size.raw
        self._qty = qty
        self._max_raw = max_raw
        self._half_raw = self.config.half_spread * self._tick
        self._requote_raw = self.config.requote_ticks * self._tick
        self._position = ctx.position(self._iid)
        self.quoted_mid = 0

    def on_book(self, book: BookView) -> None:
        best_bid = book.best_bid_raw()
        best_ask = book.best_ask_raw()
        if best_bid == 0 or best_ask == 0:
            return
        mid = (best_bid + best_ask) // 2
        quoted = self.quoted_mid
        if quoted != 0 and -self._requote_raw < mid - quoted < self._requote_raw:
            return
        self.quote(mid, best_bid, best_ask)

    def on_fill(self, fill: OrderFilled) -> None:
        self.quoted_mid = 0  # the inventory changed: requote on the next update

    def on_stop(self) -> None:
        self.ctx.cancel_all_orders(self._iid)

    def quote(self, mid: int, best_bid: int, best_ask: int) -> None:
        """Place or re-price both quotes around ``mid`` for the current inventory."""
        position = self._position
        if position is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        tick = self._tick
        pos = position.signed_qty_raw
        center = mid
        skew = self.config.skew_ticks
        if skew != 0:
            # toward zero on both sides, so a long and a short of one size skew alike
            shift = skew * pos // self._max_raw if pos >= 0 else -(skew * -pos // self._max_raw)
            center -= shift * tick
        bid = (center - self._half_raw) // tick * tick
        ask = -((-center - self._half_raw) // tick) * tick  # rounded up to the tick
        if bid >= best_ask:
            bid = best_ask - tick
        if ask <= best_bid:
            ask = best_bid + tick
        qty = self._qty.raw
        if pos + qty > self._max_raw or bid <= 0:
            bid = 0
        if pos - qty < -self._max_raw:
            ask = 0
        self.bid_id, bid_ok = self.keep_quote(self.bid_id, OrderSide.BUY, bid)
        self.ask_id, ask_ok = self.keep_quote(self.ask_id, OrderSide.SELL, ask)
        self.quoted_mid = mid if bid_ok and ask_ok else 0

    def keep_quote(self, client_order_id: str, side: int, price_raw: int) -> tuple[str, bool]:
        """Make the quote of ``side`` rest at ``price_raw`` (0: no quote on that side). Returns
        its order id and whether it is where it should be (False: retry on the next update)."""
        ctx = self.ctx
        order = ctx.order(client_order_id) if client_order_id else None
        if order is not None and order.is_open:
            status = order.status
            if status != OrderStatus.ACCEPTED and status != OrderStatus.PARTIALLY_FILLED:
                return client_order_id, False  # not accepted yet, or a request is pending
            if price_raw == 0:
                ctx.cancel_order(client_order_id)
                return client_order_id, True
            price = order.price
            if price is None or price.raw != price_raw:
                # a partly filled quote keeps its size: growing it would lose its queue place
                ctx.modify_order(client_order_id, price=Price(price_raw))
            return client_order_id, True
        if price_raw == 0:
            return "", True
        placed = ctx.submit_order(
            self._iid,
            side,
            self._qty,
            order_type=OrderType.LIMIT,
            price=Price(price_raw),
            time_in_force=TimeInForce.GTC,
        )
        return placed.client_order_id, True
