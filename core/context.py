"""The narrow view a strategy has of the world, the same in backtest, paper and live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.indicators import Indicator
from core.instruments import Instrument
from core.market import Bar
from core.orders import Order
from core.portfolio import Position, StrategyAccount
from core.values import Money, Price, Qty

if TYPE_CHECKING:
    from core.kernel import Kernel
    from core.records import StrategyRecord

StateValue = str | int | float | bool | None


@final
class Context:
    """Clock, data, the strategy's own account, order commands, timers, state and a log."""

    def __init__(self, kernel: Kernel, record: StrategyRecord) -> None:
        self._kernel: Final = kernel
        self._record: Final = record
        self._account: Final[StrategyAccount] = record.account
        self.strategy_id: Final = record.strategy_id
        self.state: dict[str, StateValue] = {}  # persistent key-value state (survives mode switch)

    # time -----------------------------------------------------------------------------------
    def now_ns(self) -> int:
        return self._kernel.clock.now_ns()

    # data -------------------------------------------------------------------------------------
    def instrument(self, instrument_id: str) -> Instrument:
        return self._kernel.instrument(instrument_id)

    def history(self, instrument_id: str, n: int = 0) -> list[Bar]:
        """The last ``n`` bars (all kept ones when n is 0), oldest first."""
        return self._record.history_of(instrument_id, n)

    def last_price(self, instrument_id: str) -> Price | None:
        raw = self._kernel.portfolio.last_price_raw(instrument_id)
        return None if raw is None else Price(raw)

    def sma(self, instrument_id: str, period: int) -> Indicator:
        """Simple moving average of bar closes, kept by the engine (updated before on_bar)."""
        return self._kernel.shared_indicator("sma", instrument_id, period)

    def ema(self, instrument_id: str, period: int) -> Indicator:
        """Exponential moving average of bar closes, kept by the engine."""
        return self._kernel.shared_indicator("ema", instrument_id, period)

    def rsi(self, instrument_id: str, period: int) -> Indicator:
        """Wilder RSI of bar closes, kept by the engine."""
        return self._kernel.shared_indicator("rsi", instrument_id, period)

    def plot(self, name: str, indicator: Indicator, instrument_id: str = "") -> None:
        """Show ``indicator`` on the chart as the line ``name``, over ``instrument_id`` (default:
        the strategy's first instrument). Declare it once, in on_start: the engine samples it
        after each bar while a chart watches, so nothing runs per bar in a headless backtest."""
        iid = instrument_id if instrument_id else self._record.strategy.instrument_ids[0]
        self._kernel.add_plot(self.strategy_id, name, indicator, iid)

    # account ----------------------------------------------------------------------------------
    def position(self, instrument_id: str) -> Position:
        return self._account.position(self._kernel.instrument(instrument_id))

    def cash(self) -> Money:
        return Money(self._account.cash_raw, self._account.currency)

    def equity(self) -> Money:
        marks = self._kernel.portfolio.marks
        return Money(self._account.equity_raw(marks), self._account.currency)

    def realized_pnl(self) -> Money:
        return Money(self._account.realized_raw, self._account.currency)

    def unrealized_pnl(self) -> Money:
        marks = self._kernel.portfolio.marks
        return Money(self._account.unrealized_raw(marks), self._account.currency)

    # orders -----------------------------------------------------------------------------------
    def submit_order(
        self,
        instrument_id: str,
        side: int,
        qty: Qty,
        *,
        order_type: int = OrderType.MARKET,
        price: Price | None = None,
        trigger_price: Price | None = None,
        time_in_force: int = TimeInForce.GTC,
        reduce_only: bool = False,
        client_order_id: str = "",
        dedup_key: str = "",
    ) -> Order:
        """Send an order through risk to the venue. The returned order starts its life here;
        its acceptance and fills arrive later as events."""
        record = self._record
        coid = client_order_id if client_order_id else record.next_client_order_id()
        cmd = SubmitOrder(
            strategy_id=record.strategy_id,
            client_order_id=coid,
            instrument_id=instrument_id,
            side=side,
            order_type=order_type,
            qty=qty,
            price=price,
            trigger_price=trigger_price,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            ts_init=self._kernel.clock.now_ns(),
            dedup_key=dedup_key,
        )
        return self._kernel.submit(cmd)

    def target_position(self, instrument_id: str, target_raw: int) -> Order | None:
        """Send the market order that brings the signed position, counting the orders still
        working, to ``target_raw`` (raw units; negative is short). None when already there."""
        working = 0
        for order in self._kernel.open_orders_of(self.strategy_id, instrument_id):
            leaves = order.leaves_qty_raw
            working += leaves if order.side > 0 else -leaves
        delta = target_raw - self.position(instrument_id).signed_qty_raw - working
        if delta == 0:
            return None
        side = OrderSide.BUY if delta > 0 else OrderSide.SELL
        return self.submit_order(instrument_id, side, Qty(delta if delta > 0 else -delta))

    def cancel_order(self, client_order_id: str) -> bool:
        """Ask the venue to cancel; False if the order is not working any more."""
        order = self._own_order(client_order_id)
        return self._kernel.cancel(
            CancelOrder(
                strategy_id=self.strategy_id,
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_init=self._kernel.clock.now_ns(),
            )
        )

    def modify_order(
        self,
        client_order_id: str,
        *,
        qty: Qty | None = None,
        price: Price | None = None,
        trigger_price: Price | None = None,
    ) -> bool:
        order = self._own_order(client_order_id)
        return self._kernel.modify(
            ModifyOrder(
                strategy_id=self.strategy_id,
                client_order_id=client_order_id,
                instrument_id=order.instrument_id,
                ts_init=self._kernel.clock.now_ns(),
                qty=qty,
                price=price,
                trigger_price=trigger_price,
            )
        )

    def cancel_all_orders(self, instrument_id: str = "") -> int:
        """Cancel every working order (of one instrument, or all); returns how many were asked."""
        count = 0
        for order in self.open_orders(instrument_id):
            if self.cancel_order(order.client_order_id):
                count += 1
        return count

    def open_orders(self, instrument_id: str = "") -> list[Order]:
        return self._kernel.open_orders_of(self.strategy_id, instrument_id)

    def order(self, client_order_id: str) -> Order | None:
        order = self._kernel.order(client_order_id)
        if order is None or order.strategy_id != self.strategy_id:
            return None
        return order

    def _own_order(self, client_order_id: str) -> Order:
        order = self.order(client_order_id)
        if order is None:
            raise KeyError(f"strategy {self.strategy_id} has no order {client_order_id!r}")
        return order

    # timers -----------------------------------------------------------------------------------
    def set_timer(self, name: str, interval_ns: int, start_ns: int = 0, stop_ns: int = 0) -> None:
        self._kernel.clock.set_timer(
            self._record.timer_key(name), self.strategy_id, interval_ns, start_ns, stop_ns
        )

    def set_alert(self, name: str, at_ns: int) -> None:
        self._kernel.clock.set_alert(self._record.timer_key(name), self.strategy_id, at_ns)

    def cancel_timer(self, name: str) -> None:
        self._kernel.clock.cancel_timer(self._record.timer_key(name))

    # log --------------------------------------------------------------------------------------
    def log(self, message: str, level: str = "INFO") -> None:
        self._kernel.log(self.strategy_id, level, message)
