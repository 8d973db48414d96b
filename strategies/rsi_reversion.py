"""RSI mean reversion with an optional resting stop-loss.

Rules, evaluated on each bar's close once RSI(period) is ready and no entry or exit order of
ours is still working:

- flat: buy ``qty`` at market when RSI < ``oversold``; with ``allow_short``, sell ``qty`` at
  market when RSI > ``overbought``;
- long: exit at market when RSI > ``exit_level``; short: exit at market when RSI < ``exit_level``.

With ``stop_loss_pct`` > 0, once the entry order has filled completely a reduce-only STOP order
rests ``stop_loss_pct`` percent beyond the average entry price (below it when long). A market
exit cancels the stop first; if the stop fills, the position is flat and the strategy waits for
the next entry signal.

RSI is the engine-maintained ``ctx.rsi`` (updated before ``on_bar``, shared by every strategy
asking for the same period on the same instrument, as in parameter sweeps).

Client order ids are chosen here (``<strategy_id>-entry<n>``, ``-stop<n>``, ``-exit<n>``) and
stored before each submit, because a venue may answer, and the kernel call back, before
``submit_order`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from mypy_extensions import mypyc_attr

from core.enums import OrderSide, OrderType, TimeInForce
from core.events import OrderFilled
from core.indicators import Indicator
from core.market import Bar
from core.orders import Order
from core.portfolio import Position
from core.strategy import Strategy
from core.values import Qty
from strategies.params import check_bounds, check_instrument_id, check_quantity


# users may extend a template's config along with the template
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, kw_only=True)
class RsiReversionConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    period: int = field(default=14, metadata={"min": 2, "max": 1_000, "help": "RSI period (bars)"})
    oversold: float = field(
        default=30.0, metadata={"min": 0.0, "max": 100.0, "help": "buy when RSI is below this"}
    )
    exit_level: float = field(
        default=50.0,
        metadata={"min": 0.0, "max": 100.0, "help": "exit longs above, shorts below this RSI"},
    )
    overbought: float = field(
        default=70.0,
        metadata={"min": 0.0, "max": 100.0, "help": "sell short above this RSI (allow_short)"},
    )
    allow_short: bool = field(default=False, metadata={"help": "also trade the short side"})
    stop_loss_pct: float = field(
        default=0.0,
        metadata={"min": 0.0, "max": 50.0, "help": "resting stop this % from entry (0: none)"},
    )
    qty: int | str = field(
        default=100,
        metadata={"types": (int, str), "help": "order size in units, e.g. 100 or '0.5'"},
    )

    def __post_init__(self) -> None:
        check_instrument_id("instrument_id", self.instrument_id)
        check_bounds(self)
        if not self.oversold < self.exit_level < self.overbought:
            raise ValueError(
                "need oversold < exit_level < overbought, got "
                f"oversold={self.oversold} exit_level={self.exit_level} "
                f"overbought={self.overbought}"
            )
        check_quantity("qty", self.qty)


@mypyc_attr(allow_interpreted_subclasses=True)
class RsiReversion(Strategy):
    """Buy oversold, sell when RSI recovers; optional short side and stop-loss."""

    def __init__(self, config: RsiReversionConfig, strategy_id: str = "rsi_reversion") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config: Final = config
        self.rsi: Indicator | None = None  # the shared RSI, from on_start
        self.entry_id = ""  # client order ids of our orders ("" when none)
        self.exit_id = ""
        self.stop_id = ""
        self.stops_hit = 0
        self._iid: Final = config.instrument_id
        self._seq = 0
        self._qty = Qty(0)
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
        self._position = ctx.position(self._iid)
        self.rsi = ctx.rsi(self._iid, self.config.period)

    def on_bar(self, bar: Bar) -> None:
        rsi = self.rsi
        if rsi is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        if not rsi.ready:
            return
        value = rsi.value
        if self.is_working(self.entry_id) or self.is_working(self.exit_id):
            return
        config = self.config
        pos = self.position().signed_qty_raw
        if pos == 0:
            if self.is_working(self.stop_id):
                # flat by some other way: a stop has nothing left to protect
                self.ctx.cancel_order(self.stop_id)
            if value < config.oversold:
                self.enter(OrderSide.BUY)
            elif config.allow_short and value > config.overbought:
                self.enter(OrderSide.SELL)
        elif (pos > 0 and value > config.exit_level) or (pos < 0 and value < config.exit_level):
            self.exit(pos)

    def on_fill(self, fill: OrderFilled) -> None:
        coid = fill.client_order_id
        if coid == self.stop_id:
            self.stops_hit += 1
            self.ctx.log(f"stop-loss {coid} filled at {fill.last_px}")
        elif coid == self.entry_id and self.config.stop_loss_pct > 0.0:
            entry = self.ctx.order(coid)
            if entry is not None and entry.leaves_qty_raw == 0:
                self.place_stop(entry)

    # actions ----------------------------------------------------------------------------------
    def enter(self, side: int) -> None:
        self.entry_id = self.next_order_id("entry")
        self.ctx.submit_order(self._iid, side, self._qty, client_order_id=self.entry_id)

    def exit(self, pos_raw: int) -> None:
        if self.is_working(self.stop_id):
            self.ctx.cancel_order(self.stop_id)
        size = pos_raw if pos_raw > 0 else -pos_raw
        qty = self._qty if size == self._qty.raw else Qty(size)
        side = OrderSide.SELL if pos_raw > 0 else OrderSide.BUY
        self.exit_id = self.next_order_id("exit")
        self.ctx.submit_order(self._iid, side, qty, reduce_only=True, client_order_id=self.exit_id)

    def place_stop(self, entry: Order) -> None:
        """Rest a reduce-only stop ``stop_loss_pct`` beyond the entry's average price."""
        avg = entry.avg_px()
        pos = self.position().signed_qty_raw
        if avg is None or pos == 0:
            return
        pct = self.config.stop_loss_pct / 100.0
        long = pos > 0
        raw = round(avg.raw * (1.0 - pct if long else 1.0 + pct))
        trigger = self.ctx.instrument(self._iid).round_price(raw)
        if trigger.raw <= 0:
            self.ctx.log(f"no stop-loss: {pct:.2%} below {avg} is not a price", "WARNING")
            return
        size = pos if long else -pos
        self.stop_id = self.next_order_id("stop")
        self.ctx.submit_order(
            self._iid,
            OrderSide.SELL if long else OrderSide.BUY,
            self._qty if size == self._qty.raw else Qty(size),
            order_type=OrderType.STOP,
            trigger_price=trigger,
            time_in_force=TimeInForce.GTC,
            reduce_only=True,
            client_order_id=self.stop_id,
        )

    # queries ----------------------------------------------------------------------------------
    def position(self) -> Position:
        position = self._position
        if position is None:
            raise RuntimeError(f"{self.strategy_id}: on_start must run first (call super)")
        return position

    def is_working(self, client_order_id: str) -> bool:
        if not client_order_id:
            return False
        order = self.ctx.order(client_order_id)
        return order is not None and order.is_open

    def next_order_id(self, tag: str) -> str:
        self._seq += 1
        return f"{self.strategy_id}-{tag}{self._seq}"
