"""AlpacaBroker: the kernel's orders at Alpaca (Trading API v2), its answers back as events.

The Venue methods (``submit``/``cancel``/``modify``) return at once; each command runs as an
asyncio task on the running loop. What the broker says (REST answers, ``trade_updates``
events, the order state read back after a reconnect) becomes our order events, which the
kernel processes at once (``kernel.drain_now``):

=====================================  ============================================
broker                                 event
=====================================  ============================================
``new`` / order accepted by REST        ``OrderAccepted`` (venue order id: Alpaca's id)
``fill`` / ``partial_fill``             ``OrderFilled`` (trade id: ``execution_id``)
``canceled`` / ``expired``              ``OrderCanceled`` / ``OrderExpired``
``rejected``, a 4xx answer to submit    ``OrderRejected`` (with the broker's message)
``replaced`` (or the new order fills)   ``OrderUpdated``
refused cancel / replace                ``OrderCancelRejected`` / ``OrderModifyRejected``
=====================================  ============================================

Identity: the broker's ``client_order_id`` is ``tb-<tag>-<our client order id>`` (Alpaca
wants it unique forever, ours restart at 1 each session); a replacement adds ``~<n>``.

Fills are booked once. Each order remembers how much of it is booked; a fill the stream
repeats (same execution id) is ignored with a warning, and after the trade stream comes back
every working order is read again over REST: what filled meanwhile is booked as one fill
whose trade id is ``<Alpaca order id>:<cumulative filled qty>`` (deterministic, so reading
it twice books nothing twice) at the price that makes the order's average come out as the
broker's. Alpaca does not say who provided liquidity: market and stop fills count as taker,
limit fills as maker, for the fee model (default: none; Alpaca charges no equity commission).
A REST call that fails leaves the order as it was and says so in the log; a submit or a
replace whose answer was lost is looked up by its client order id (a 404 is asked again for
``lookup_s``: the order may not be visible yet) before it counts as not received.

A replace is done when the broker says the old order was ``replaced`` (or the new one
fills), not when the PATCH is answered: if the old order fills first, the broker rejects
the replacement, the modify is refused and the old order goes on.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine, Sequence
from typing import Any

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import Liquidity, OrderType
from core.events import (
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderUpdated,
)
from core.instruments import Instrument
from core.kernel import Kernel
from core.orders import Order
from core.session import BrokerSnapshot
from core.values import Price, Qty, div_round_half_even
from core.venue import Venue
from venues.alpaca.config import BrokerConfig
from venues.alpaca.rest import AlpacaRest, BrokerError
from venues.alpaca.stream import BACKOFF_S, CONNECT_TIMEOUT_S, TradeStream
from venues.alpaca.wire import (
    BrokerOrder,
    TradeUpdate,
    WireError,
    broker_client_order_id,
    order_request,
    parse_trade_update,
    signed_qty_raw,
)
from venues.simulated.fees import FeeModel, NoFee

LOG = logging.getLogger("tradebench.alpaca")
SOURCE = "broker"  # the log source the user sees in the blotter
FILLS = ("fill", "partial_fill")
ACCEPTANCES = ("new", "accepted", "pending_new")
# how a broker order relates to one of our orders
CURRENT, OLD, REPLACEMENT, STALE = range(4)


class _Tracked:
    """One of our orders at the broker, and how much of it is booked."""

    def __init__(self, order_id: str, strategy_id: str, instrument: Instrument, side: int,
                 order_type: int, qty_raw: int, broker_coid: str) -> None:  # fmt: skip
        self.client_order_id = order_id
        self.strategy_id = strategy_id
        self.instrument = instrument
        self.side = side
        self.order_type = order_type
        self.qty_raw = qty_raw
        self.broker_coid = broker_coid
        self.venue_order_id = ""
        self.accepted = False
        self.closed = False
        self.booked_raw = 0  # booked fills of the whole order (every broker order it had)
        self.booked_notional = 0  # sum of qty_raw * px_raw of those (1e-18 units)
        self.base_raw = 0  # filled on broker orders it replaced
        self.base_notional = 0
        self.executions: set[str] = set()
        self.old_ids: set[str] = set()
        self.replacements = 0
        self.pending: ModifyOrder | None = None  # a replace asked for and not decided yet
        self.pending_coid = ""  # the broker client order id of that replacement
        self.pending_id = ""  # its broker order id, once known
        self.lock = asyncio.Lock()


class AlpacaBroker(Venue):
    """A Venue at Alpaca. ``connect`` logs in (REST and trade stream) before any order;
    ``attach_kernel`` lets it log to the user and process its events at once."""

    def __init__(
        self,
        config: BrokerConfig,
        *,
        name: str = "ALPACA",
        fees: FeeModel | None = None,
        order_tag: str | None = None,
        backoff_s: Sequence[float] = BACKOFF_S,
        retry_s: float = 0.5,
        lookup_s: float = 5.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        super().__init__(name)
        self.config = config
        self.fees: FeeModel = fees if fees is not None else NoFee()
        self.tag = order_tag if order_tag is not None else secrets.token_hex(4)
        self.rest = AlpacaRest(config)
        self._stream = TradeStream(
            config.trading_stream_url,
            config.key_id,
            config.secret,
            on_update=self._on_trade_update,
            log=self._log,
            on_connected=self._on_stream_connected,
            backoff_s=backoff_s,
            connect_timeout_s=connect_timeout_s,
        )
        self._retry_s = retry_s
        self._lookup_s = lookup_s
        self._kernel: Kernel | None = None
        self._instruments: dict[str, Instrument] = {}
        self._orders: dict[str, _Tracked] = {}
        self._by_broker_coid: dict[str, _Tracked] = {}
        self._by_venue_id: dict[str, _Tracked] = {}
        self._restorable: dict[str, BrokerOrder] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.account: dict[str, Any] = {}
        self.missed_fills = 0  # fills booked from REST after a reconnect

    # wiring ------------------------------------------------------------------------------
    def attach_kernel(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def add_instrument(self, instrument: Instrument) -> None:
        self._instruments[instrument.id] = instrument

    @property
    def connected(self) -> bool:
        return self._stream.connected

    async def connect(self) -> None:
        """Log in: the account over REST (401/403: ``BrokerAuthError``), then the trade
        stream. Raises ``BrokerError`` with a one-line reason when the broker is unreachable."""
        try:
            self.account = await self.rest.account()
            await self._stream.start()
        except BaseException:
            await self.rest.close()
            raise
        self._log("INFO", f"alpaca connected: account {self.account.get('account_number', '?')}")

    async def disconnect(self) -> None:
        await self._stream.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.rest.close()

    async def snapshot(self) -> BrokerSnapshot:
        """The broker's positions (by symbol, signed raw quantity) and open orders; ours among
        them can be restored into the kernel (``Venue.restore``), found by their broker order
        id: orders of two old sessions may carry the same id of ours."""
        positions: dict[str, int] = {}
        for item in await self.rest.positions():
            try:
                positions[str(item["symbol"])] = signed_qty_raw(item["qty"], "position qty")
            except (KeyError, WireError) as exc:
                raise BrokerError(f"malformed position from the broker: {exc}") from None
        orders = await self.rest.open_orders()
        self._restorable = {o.venue_order_id: o for o in orders if o.client_order_id}
        return BrokerSnapshot(positions=positions, open_orders=orders)

    async def settle(self, timeout_s: float = 5.0) -> None:
        """Wait until every command sent so far has its answer (tests, shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())

    # Venue -------------------------------------------------------------------------------
    def submit(self, cmd: SubmitOrder) -> None:
        instrument = self._instruments.get(cmd.instrument_id)
        if instrument is None:
            raise KeyError(f"{cmd.instrument_id} is not routed to {self.name}")
        tracked = _Tracked(
            cmd.client_order_id,
            cmd.strategy_id,
            instrument,
            cmd.side,
            cmd.order_type,
            cmd.qty.raw,
            broker_client_order_id(self.tag, cmd.client_order_id),
        )
        self._orders[cmd.client_order_id] = tracked
        self._by_broker_coid[tracked.broker_coid] = tracked
        self._spawn(self._submit(tracked, cmd))

    def cancel(self, cmd: CancelOrder) -> None:
        tracked = self._orders.get(cmd.client_order_id)
        if tracked is None:
            self._publish(
                self._reason_event(OrderCancelRejected, cmd, "order is not at the broker")
            )
            return
        self._spawn(self._cancel(tracked))

    def modify(self, cmd: ModifyOrder) -> None:
        tracked = self._orders.get(cmd.client_order_id)
        if tracked is None:
            self._publish(
                self._reason_event(OrderModifyRejected, cmd, "order is not at the broker")
            )
            return
        self._spawn(self._modify(tracked, cmd))

    def restore(self, order: Order, position_raw: int) -> None:
        """Take over one of our orders found open at the broker (``snapshot``)."""
        found = self._restorable.pop(order.venue_order_id, None)
        if found is None or found.client_order_id != order.client_order_id:
            raise KeyError(
                f"order {order.client_order_id} ({order.venue_order_id}) is not open at the broker"
            )
        tracked = _Tracked(
            order.client_order_id,
            order.strategy_id,
            self._instruments[order.instrument_id],
            order.side,
            order.order_type,
            order.qty.raw,
            found.broker_client_order_id,
        )
        tracked.venue_order_id = found.venue_order_id
        tracked.accepted = True
        tracked.booked_raw = order.filled_qty_raw
        self._orders[order.client_order_id] = tracked
        self._by_broker_coid[tracked.broker_coid] = tracked
        self._by_venue_id[found.venue_order_id] = tracked

    # commands ------------------------------------------------------------------------------
    async def _submit(self, tracked: _Tracked, cmd: SubmitOrder) -> None:
        async with tracked.lock:
            body = order_request(cmd, tracked.instrument.symbol, tracked.broker_coid)
            try:
                answer = await self.rest.submit_order(body)
            except BrokerError as exc:
                if exc.reached and exc.status < 500:
                    self._close(tracked, OrderRejected, str(exc))
                    return
                lost = exc
            else:
                self._apply_state(tracked, answer)
                return
        # looked up without the lock: its retries must not hold up the order's other commands
        self._log(
            "ERROR",
            f"alpaca: submit of {tracked.client_order_id} got no answer ({lost}); "
            "asking the broker whether it has the order",
        )
        try:
            found = await self._look_up(tracked.broker_coid, tracked.client_order_id)
        except BrokerError as exc:
            self._log(
                "ERROR",
                f"alpaca: the state of {tracked.client_order_id} is unknown ({exc}): it stays "
                "submitted and is checked again after the next reconnect; check the broker's "
                "order list",
            )
            return
        if found is None:
            self._close(tracked, OrderRejected, f"not received by the broker: {lost}")
        else:
            self._apply_state(tracked, found)

    async def _look_up(self, broker_coid: str, what: str) -> BrokerOrder | None:
        """The broker's order with this client order id, asked again for ``lookup_s`` while
        the broker says it has none (an order whose answer was lost may not be visible yet)
        or cannot be reached. None: still unknown at the end; BrokerError: never reached."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lookup_s
        attempt = 0
        while True:
            attempt += 1
            try:
                found = await self.rest.order_by_client_id(broker_coid)
            except BrokerError as exc:
                if loop.time() >= deadline:
                    raise
                self._log("WARNING", f"alpaca: cannot look up {what} yet ({exc}); retry {attempt}")
            else:
                if found is not None or loop.time() >= deadline:
                    return found
            await asyncio.sleep(self._retry_s)

    async def _cancel(self, tracked: _Tracked) -> None:
        async with tracked.lock:
            if tracked.closed:
                return
            if not tracked.venue_order_id:
                self._reply(tracked, OrderCancelRejected, "order is not at the broker")
                return
            try:
                await self.rest.cancel_order(tracked.venue_order_id)
            except BrokerError as exc:
                if exc.reached:
                    reason = f"the broker refused: {exc}"
                else:
                    reason = f"the broker could not be reached: {exc}"
                    self._log("ERROR", f"alpaca: cancel of {tracked.client_order_id} failed: {exc}")
                if not tracked.closed:
                    self._reply(tracked, OrderCancelRejected, reason)
            # accepted: the stream's "canceled" event (or the next reconcile) closes it

    async def _modify(self, tracked: _Tracked, cmd: ModifyOrder) -> None:
        async with tracked.lock:
            if tracked.closed or not tracked.venue_order_id:
                self._reply(tracked, OrderModifyRejected, "order is not working at the broker")
                return
            if tracked.pending is not None:
                self._reply(tracked, OrderModifyRejected, "a replace is still on its way")
                return
            total = cmd.qty.raw if cmd.qty is not None else tracked.qty_raw
            if total <= tracked.booked_raw:
                self._reply(
                    tracked,
                    OrderModifyRejected,
                    f"new quantity {Qty(total)} is not above the {Qty(tracked.booked_raw)} filled",
                )
                return
            tracked.replacements += 1
            new_coid = broker_client_order_id(
                self.tag, tracked.client_order_id, tracked.replacements
            )
            # the broker's replacement is a new order for what is left
            body: dict[str, Any] = {
                "qty": str(Qty(total - tracked.booked_raw)),
                "client_order_id": new_coid,
            }
            if cmd.price is not None:
                body["limit_price"] = str(cmd.price)
            if cmd.trigger_price is not None:
                body["stop_price"] = str(cmd.trigger_price)
            tracked.pending = cmd
            tracked.pending_coid = new_coid
            tracked.pending_id = ""
            self._by_broker_coid[new_coid] = tracked
            try:
                answer = await self.rest.replace_order(tracked.venue_order_id, body)
            except BrokerError as exc:
                if exc.reached:
                    self._modify_refused(tracked, cmd, f"the broker refused: {exc}")
                    return
                lost = exc
            else:
                self._replacement_seen(tracked, cmd, answer)
                return
        self._log(
            "ERROR",
            f"alpaca: replace of {tracked.client_order_id} got no answer ({lost}); "
            "asking the broker whether it has the replacement",
        )
        try:
            found = await self._look_up(new_coid, f"the replacement of {tracked.client_order_id}")
        except BrokerError as exc:
            self._log(
                "ERROR",
                f"alpaca: whether {tracked.client_order_id} was replaced is unknown ({exc}); "
                "it is checked again after the next reconnect",
            )
            return
        if found is None:
            self._modify_refused(tracked, cmd, f"not received by the broker: {lost}")
        else:
            self._replacement_seen(tracked, cmd, found)

    def _replacement_seen(self, tracked: _Tracked, cmd: ModifyOrder, new: BrokerOrder) -> None:
        """The broker has the replacement order ``new`` (PATCH answer or look-up). Unless it
        already works (fills, ends), the replace waits for the old order's ``replaced``."""
        if tracked.pending is not cmd:
            return  # the stream decided first
        if new.status == "rejected":
            self._modify_refused(tracked, cmd, "the broker rejected the replacement")
            return
        tracked.pending_id = new.venue_order_id
        self._by_venue_id[new.venue_order_id] = tracked
        if new.status in ACCEPTANCES or new.status in ("pending_replace", "accepted_for_bidding"):
            return
        self._replaced(tracked, new.venue_order_id)
        self._apply_state(tracked, new)

    def _modify_refused(self, tracked: _Tracked, cmd: ModifyOrder, reason: str) -> None:
        if tracked.pending is not cmd:
            return
        tracked.pending = None
        tracked.pending_coid = tracked.pending_id = ""
        self._reply(tracked, OrderModifyRejected, reason)

    # broker -> events ----------------------------------------------------------------------
    def _on_trade_update(self, data: object) -> None:
        try:
            update = parse_trade_update(data)
        except WireError as exc:
            self._log("ERROR", f"alpaca trade stream: malformed trade update ignored: {exc}")
            return
        order = update.order
        tracked = self._by_broker_coid.get(order.broker_client_order_id)
        if tracked is None:
            tracked = self._by_venue_id.get(order.venue_order_id)
        if tracked is None:
            LOG.info("trade update for an order of another session: %s", order.venue_order_id)
            return
        event = update.event
        role = self._role(tracked, order)
        if role == STALE:
            if event in FILLS:
                self._log(
                    "ERROR",
                    f"alpaca: a fill on broker order {order.venue_order_id} "
                    f"({order.broker_client_order_id}), which is not the working order of "
                    f"{tracked.client_order_id}, is not booked; check the broker's positions",
                )
            else:
                LOG.info("%s for a refused replacement %s", event, order.venue_order_id)
            return
        pending = tracked.pending
        if role == REPLACEMENT and pending is not None:
            if event == "rejected":
                self._modify_refused(
                    tracked, pending, "the broker rejected the replacement (the order filled "
                    "or changed first)",
                )  # fmt: skip
                return
            if event in ACCEPTANCES:
                tracked.pending_id = order.venue_order_id
                self._by_venue_id[order.venue_order_id] = tracked
                return
            self._replaced(tracked, order.venue_order_id)  # it works: the replace went through
        if event in FILLS:
            self._on_fill(tracked, update, role == OLD)
        elif tracked.closed or role == OLD:
            return
        elif event in ACCEPTANCES:
            self._accept(tracked, order.venue_order_id)
        elif event == "canceled":
            self._close(tracked, OrderCanceled, "canceled at the broker")
        elif event == "expired":
            self._close(tracked, OrderExpired, "expired at the broker")
        elif event == "rejected":
            self._close(tracked, OrderRejected, "rejected by the broker")
        elif event == "replaced":
            if pending is not None and order.replaced_by:
                self._replaced(tracked, order.replaced_by)
        elif event == "order_cancel_rejected":
            self._reply(tracked, OrderCancelRejected, "the broker refused the cancel")
        elif event == "order_replace_rejected" and pending is not None:
            self._modify_refused(tracked, pending, "the broker refused the replace")

    @staticmethod
    def _role(tracked: _Tracked, order: BrokerOrder) -> int:
        venue_id = order.venue_order_id
        if venue_id in tracked.old_ids:
            return OLD
        if tracked.pending is not None and (
            order.broker_client_order_id == tracked.pending_coid
            or (tracked.pending_id != "" and venue_id == tracked.pending_id)
        ):
            return REPLACEMENT
        if not tracked.venue_order_id or venue_id == tracked.venue_order_id:
            return CURRENT
        return STALE

    def _on_fill(self, tracked: _Tracked, update: TradeUpdate, old: bool) -> None:
        execution = update.execution_id
        if execution and execution in tracked.executions:
            self._log(
                "WARNING",
                f"alpaca: duplicate fill ignored: {tracked.client_order_id} execution {execution}",
            )
            return
        if execution:
            tracked.executions.add(execution)
        order = update.order
        if old:  # a late fill of a broker order this one replaced: it belongs to the base
            if update.qty is None or update.price is None or tracked.closed:
                self._unbooked(tracked, update, "a late fill of the order it replaced")
                return
            qty, px = update.qty.raw, update.price.raw
            tracked.base_raw += qty
            tracked.base_notional += qty * px
            self._book(tracked, qty, px, execution or f"{order.venue_order_id}:{order.filled_qty}")
            return
        cumulative = tracked.base_raw + order.filled_qty.raw
        missing = cumulative - tracked.booked_raw
        if missing <= 0:
            LOG.info(
                "fill %s of %s was booked from the order state", execution, order.venue_order_id
            )
            return
        if tracked.closed:
            self._unbooked(tracked, update, "the order was already closed")
            return
        self._accept(tracked, order.venue_order_id)
        qty = update.qty.raw if update.qty is not None else missing
        qty = min(qty, missing)
        if missing > qty:  # earlier fills never came: book them first, from the average
            self._book_missed(tracked, order, cumulative - qty, qty, update.price)
        px = update.price.raw if update.price is not None else self._gap_px(tracked, order, qty)
        self._book(tracked, qty, px, execution or f"{order.venue_order_id}:{order.filled_qty}")

    def _unbooked(self, tracked: _Tracked, update: TradeUpdate, why: str) -> None:
        self._log(
            "ERROR",
            f"alpaca: a fill of {tracked.client_order_id} at the broker is NOT booked ({why}): "
            f"broker order {update.order.venue_order_id}, execution {update.execution_id or '?'}, "
            f"qty {update.qty or '?'} at {update.price or '?'}; check the broker's positions",
        )

    def _apply_state(self, tracked: _Tracked, order: BrokerOrder) -> None:
        """Bring the order in line with the broker's view of it (REST): accepted, fills the
        stream did not deliver, and how it ended."""
        if tracked.closed:
            return
        if order.status == "rejected":
            self._close(tracked, OrderRejected, "rejected by the broker")
            return
        self._accept(tracked, order.venue_order_id)
        cumulative = tracked.base_raw + order.filled_qty.raw
        if cumulative > tracked.booked_raw:
            self._book_missed(tracked, order, cumulative, 0, None)
            self.missed_fills += 1
        if tracked.closed:
            return
        if order.status == "canceled":
            self._close(tracked, OrderCanceled, "canceled at the broker")
        elif order.status == "expired":
            self._close(tracked, OrderExpired, "expired at the broker")

    def _book_missed(
        self, tracked: _Tracked, order: BrokerOrder, upto_raw: int, after_raw: int,
        after_px: Price | None,
    ) -> None:  # fmt: skip
        """Book the fills up to ``upto_raw`` (cumulative, whole order) as one fill priced so
        that, with ``after_raw`` at ``after_px`` still to come, the order's average is the
        broker's ``filled_avg_price``."""
        qty = upto_raw - tracked.booked_raw
        if qty <= 0:
            return
        px = self._gap_px(tracked, order, qty, after_raw, after_px)
        broker_cum = upto_raw - tracked.base_raw
        self._book(tracked, qty, px, f"{order.venue_order_id}:{Qty(broker_cum)}")

    def _gap_px(
        self, tracked: _Tracked, order: BrokerOrder, qty_raw: int, after_raw: int = 0,
        after_px: Price | None = None,
    ) -> int:  # fmt: skip
        avg = order.filled_avg_price
        if avg is None:
            raise WireError(f"order {order.venue_order_id} filled without an average price")
        total = tracked.base_notional + order.filled_qty.raw * avg.raw
        booked = tracked.booked_notional + (after_raw * after_px.raw if after_px else 0)
        px = div_round_half_even(total - booked, qty_raw)
        return px if px > 0 else avg.raw

    def _book(self, tracked: _Tracked, qty_raw: int, px_raw: int, trade_id: str) -> None:
        inst = tracked.instrument
        maker = tracked.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        liquidity = Liquidity.MAKER if maker else Liquidity.TAKER
        tracked.booked_raw += qty_raw
        tracked.booked_notional += qty_raw * px_raw
        if tracked.booked_raw >= tracked.qty_raw:
            tracked.closed = True
        self._publish(
            OrderFilled(
                strategy_id=tracked.strategy_id,
                client_order_id=tracked.client_order_id,
                instrument_id=inst.id,
                ts_event=self.clock.now_ns(),
                trade_id=trade_id,
                side=tracked.side,
                last_qty=Qty(qty_raw),
                last_px=Price(px_raw),
                fee=self.fees.fee(inst, tracked.side, qty_raw, px_raw, liquidity),
                liquidity=liquidity,
            )
        )

    def _accept(self, tracked: _Tracked, venue_order_id: str) -> None:
        if tracked.accepted:
            return
        tracked.accepted = True
        tracked.venue_order_id = venue_order_id
        self._by_venue_id[venue_order_id] = tracked
        self._publish(
            OrderAccepted(
                strategy_id=tracked.strategy_id,
                client_order_id=tracked.client_order_id,
                instrument_id=tracked.instrument.id,
                ts_event=self.clock.now_ns(),
                venue_order_id=venue_order_id,
            )
        )

    def _replaced(self, tracked: _Tracked, new_id: str) -> None:
        cmd = tracked.pending
        if cmd is None:
            return
        tracked.pending = None
        tracked.pending_coid = tracked.pending_id = ""
        tracked.old_ids.add(tracked.venue_order_id)
        tracked.venue_order_id = new_id
        self._by_venue_id[new_id] = tracked
        tracked.base_raw = tracked.booked_raw
        tracked.base_notional = tracked.booked_notional
        if cmd.qty is not None:
            tracked.qty_raw = cmd.qty.raw
        self._publish(
            OrderUpdated(
                strategy_id=tracked.strategy_id,
                client_order_id=tracked.client_order_id,
                instrument_id=tracked.instrument.id,
                ts_event=self.clock.now_ns(),
                qty=Qty(tracked.qty_raw),
                price=cmd.price,
                trigger_price=cmd.trigger_price,
            )
        )

    def _close(self, tracked: _Tracked, kind: type[OrderRejected] | type[OrderCanceled]
               | type[OrderExpired], reason: str) -> None:  # fmt: skip
        if tracked.closed:
            return
        tracked.closed = True
        self._reply(tracked, kind, reason)

    def _reply(self, tracked: _Tracked, kind: Any, reason: str) -> None:
        self._publish(
            kind(
                strategy_id=tracked.strategy_id,
                client_order_id=tracked.client_order_id,
                instrument_id=tracked.instrument.id,
                ts_event=self.clock.now_ns(),
                reason=reason,
            )
        )

    def _reason_event(self, kind: Any, cmd: CancelOrder | ModifyOrder, reason: str) -> Event:
        event: Event = kind(
            strategy_id=cmd.strategy_id,
            client_order_id=cmd.client_order_id,
            instrument_id=cmd.instrument_id,
            ts_event=self.clock.now_ns(),
            reason=reason,
        )
        return event

    # reconnects ----------------------------------------------------------------------------
    async def _on_stream_connected(self, reconnect: bool) -> None:
        if reconnect:  # its own task: trade updates keep flowing while it asks
            self._spawn(self.reconcile_working())

    async def reconcile_working(self) -> None:
        """Read every working order back over REST and book what the stream missed. No lock
        is taken: what it applies is guarded (fills by cumulative quantity, closes once), and
        an order replaced while it asked is read again."""
        before = self.missed_fills
        working = [t for t in self._orders.values() if not t.closed]
        failed = 0
        for tracked in working:
            try:
                await self._reconcile_one(tracked)
            except (BrokerError, WireError) as exc:
                failed += 1
                self._log(
                    "ERROR",
                    f"alpaca: cannot reconcile {tracked.client_order_id} ({exc}); "
                    "it is checked again after the next reconnect",
                )
        booked = self.missed_fills - before
        self._log(
            "WARNING" if booked or failed else "INFO",
            f"alpaca: reconciled {len(working) - failed} working orders after the reconnect, "
            f"{booked} with fills missed while disconnected (booked now)",
        )

    async def _reconcile_one(self, tracked: _Tracked) -> None:
        for _ in range(100):  # bounded: a chain of replacements, or one changing as we ask
            if tracked.closed:
                return
            asked = tracked.venue_order_id
            if not asked:
                found = await self._look_up(tracked.broker_coid, tracked.client_order_id)
                if found is None:
                    self._close(tracked, OrderRejected, "not received by the broker")
                    return
                order = found
            else:
                order = await self.rest.order(asked)
            if asked != tracked.venue_order_id:
                continue  # replaced (or accepted) while we asked: read the current one
            if order.status == "replaced" and order.replaced_by:
                self._apply_state(tracked, order)  # fills of the old order first
                if tracked.pending is None:
                    return  # replaced by someone else: not ours to follow
                self._replaced(tracked, order.replaced_by)
                continue
            self._apply_state(tracked, order)
            pending = tracked.pending
            if pending is not None and not tracked.closed:
                new = await self.rest.order_by_client_id(tracked.pending_coid)
                if new is not None and new.status == "rejected":
                    self._modify_refused(tracked, pending, "the broker rejected the replacement")
            return

    # plumbing ------------------------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self._log("ERROR", f"alpaca: a broker task failed: {type(exc).__name__}: {exc}")

    def _publish(self, event: Event) -> None:
        self.emit(event)
        kernel = self._kernel
        if kernel is not None:
            kernel.drain_now()

    def _log(self, level: str, message: str) -> None:
        LOG.log(logging.getLevelName(level), message)
        kernel = self._kernel
        if kernel is not None:
            kernel.log(SOURCE, level, message)
            kernel.drain_now()
