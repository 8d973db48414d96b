"""OrderBookVenue: our orders matched against the L2 book, with an estimate of queue position.

This page is the contract a trader can check a backtest against; ``tests/orderbook`` tests each
rule with books built by hand. ``OrderBookVenue`` (here) models the trip of each command to the
matching engine; ``venues.orderbook.matching`` matches.

What it matches on
    The instrument's L2 book as the kernel rebuilds it from the feed (snapshots and deltas), read
    after each whole venue update, plus trade ticks for the queue. Quotes and bars match nothing
    here (the simulated venue trades on those). Orders that arrive before the instrument's first
    book wait for it. Our orders never enter the data: they are matched as if they were in the
    book, and the only trace they leave is the memory of the liquidity they took (below).

Orders
    MARKET and LIMIT orders, time in force GTC, IOC or FOK. Stop orders and DAY orders are
    rejected (``OrderRejected`` names what is not supported).

Taking liquidity: market orders, and limits that cross the spread when they arrive
    * The order walks the far side from its best level, level by level (a limit only through its
      limit price). Each level is one ``OrderFilled`` at that level's price, TAKER.
    * Consumption memory: what our orders took from a level is remembered until an update shows
      that level with another size than the one it had when they took from it; until then only
      the rest is available, so two market orders in a row never take the same lots. (An update
      that leaves a level at exactly its old size keeps the memory.)
    * Fills are whole lots, rounded down.
    * What the book cannot fill: a GTC market order keeps working and walks the book again after
      every update; IOC cancels the rest (``OrderCanceled`` "IOC remainder"); FOK fills only when
      the book holds its whole quantity through its limit, else it is canceled whole ("FOK could
      not fill completely"). A crossing GTC limit rests with what is left, as a maker order.

Resting limits: price-time priority and the queue estimate
    * A limit starts resting at the back of its price level: the queue ahead of it is the size
      displayed at its price at that moment (0 when it makes a new best price).
    * Trade ticks: a print at the order's price on its side (a buy rests on the bid: a print whose
      seller was the aggressor, or whose aggressor is unknown) first eats the queue ahead; what it
      has beyond the queue ahead fills the order, partially if it is smaller than the order, as
      MAKER at the limit. Several of our orders at one price share a print in arrival order. A
      print through the price (a sell print below a buy's limit) swept the level: the order fills
      completely.
    * Level decreases no print explains are cancels, split between ahead of and behind the order
      by the ``QueueModel`` (``venues.orderbook.queue``): PROPORTIONAL (default) in proportion to
      the sizes ahead and behind, BEHIND_FIRST (pessimistic) behind first, AHEAD_FIRST
      (optimistic) ahead first. A print at the price is expected to show up as a decrease in a
      later update; it is counted once: the venue lowers the level size it expects by the print,
      and reads only a decrease beyond that as cancels. Size added to the level queues behind the
      order. The queue ahead never exceeds the displayed size.
    * When an update shows the far side at or through the order's limit (best ask <= a buy's
      limit), the orders there would have traded with ours first: ours fills as MAKER at its limit
      for the displayed size through the limit (less the consumption memory), and the rest is
      first in the queue.

Latency (``LatencyModel``, as on the simulated venue, plus ``feed_latency_ns``)
    * A command reaches the matching engine ``feed_latency_ns`` + its latency (order, or cancel and
      modify, with seeded jitter) after it is sent. The feed latency stands for the strategy
      seeing the book late: a strategy that reacts to the book stamped t acts on a market t +
      feed latency old, so its commands land that much later. Replies are not delayed.
    * An order is accepted on arrival (``OrderAccepted.ts_event`` = arrival). Messages travel on
      one ordered session. Arrivals are delivered on the first event (time, book update, trade)
      stamped at or after them, before that event is matched: an order arriving between two book
      updates meets the earlier book. A cancel therefore loses the race against a fill that
      happens before it arrives (``OrderCancelRejected`` "order already filled").

Cancel and modify
    * Cancel: ``OrderCanceled`` "canceled by request"; an order already filled, canceled or
      unknown: ``OrderCancelRejected`` saying which.
    * Modify (``OrderUpdated`` with the full new values): a new limit price meets the market as a
      new arrival (it may cross and take; else it rests at the back of the new price's queue);
      a larger quantity goes to the back of the queue; a smaller one keeps its place. Rejected
      (``OrderModifyRejected``) when the order no longer works, when the new quantity is not
      above the filled quantity, or when it sets a price the order does not have.

Fees come from the ``FeeModel`` by liquidity (``MakerTakerFee`` charges makers and takers apart).
Reduce-only orders never grow or flip the position, as on the simulated venue. Venue order ids
are ``"{venue}-{n}"``, trade ids ``"{venue}-T{n}"``. Same inputs and seed -> the same events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

from core.book import OrderBook
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick
from core.venue import Venue
from venues.orderbook.matching import BookMatcher
from venues.orderbook.queue import QueueModel
from venues.simulated.engine import NEVER
from venues.simulated.fees import FeeModel, NoFee
from venues.simulated.latency import LatencyModel
from venues.simulated.state import PendingMessage


@final
class OrderBookVenue(Venue):
    """Matches orders against each instrument's L2 book (see the module doc for the rules).

    ``name`` is the venue part of the instrument ids it trades (``"BINANCE"`` for
    ``BTCUSDT.BINANCE``).
    """

    def __init__(
        self,
        name: str,
        *,
        fees: FeeModel | None = None,
        latency: LatencyModel | None = None,
        feed_latency_ns: int = 0,
        queue_model: int = QueueModel.PROPORTIONAL,
        instruments: Iterable[Instrument] | None = None,
    ) -> None:
        super().__init__(name)
        if feed_latency_ns < 0:
            raise ValueError(f"feed latency must not be negative, got {feed_latency_ns} ns")
        if queue_model not in QueueModel.NAMES:
            raise ValueError(f"unknown queue model {queue_model}")
        self.fees: Final[FeeModel] = fees if fees is not None else NoFee()
        self.latency: Final[LatencyModel] = latency if latency is not None else LatencyModel()
        self.feed_latency_ns: Final = feed_latency_ns
        self.queue_model: Final = queue_model
        self._matcher: Final = BookMatcher(self, self.fees, queue_model)
        self._inflight: list[PendingMessage] = []
        self._inflight_head = 0
        self._last_arrival_ns = 0
        self._next_due_ns: int = NEVER
        if instruments is not None:
            for instrument in instruments:
                self.add_instrument(instrument)

    # wiring and introspection ----------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        self._matcher.add_instrument(instrument)

    @property
    def instruments(self) -> list[Instrument]:
        return [st.instrument for st in self._matcher.states.values()]

    def position_raw(self, strategy_id: str, instrument_id: str) -> int:
        """The venue's own view of a strategy's signed net position (raw), from its fills."""
        st = self._matcher.states.get(instrument_id)
        pos = st.positions.get(strategy_id) if st is not None else None
        return pos.raw if pos is not None else 0

    def working_order_ids(self, instrument_id: str = "") -> list[str]:
        """Client order ids of the orders working here (of one instrument, or all), by arrival."""
        return [
            o.client_order_id
            for o in self._matcher.working.values()
            if not instrument_id or o.instrument_id == instrument_id
        ]

    def leaves_raw(self, client_order_id: str) -> int:
        """Quantity still to fill of a working order (0 when it does not work here)."""
        o = self._matcher.working.get(client_order_id)
        return 0 if o is None else o.leaves_raw

    def queue_ahead_raw(self, client_order_id: str) -> int:
        """The estimated size ahead of a resting order in its level's queue (-1: not resting)."""
        o = self._matcher.working.get(client_order_id)
        return o.ahead_raw if o is not None and o.resting else -1

    def taken_raw(self, instrument_id: str, side: int, price_raw: int) -> int:
        """What our orders took from a displayed level and the book has not updated since."""
        st = self._matcher.states.get(instrument_id)
        taken = st.taken_on(side).get(price_raw) if st is not None else None
        return taken.taken_raw if taken is not None else 0

    @property
    def in_flight(self) -> int:
        """Commands sent but not yet arrived at the matching engine."""
        return len(self._inflight) - self._inflight_head

    # commands (from the kernel) ----------------------------------------------------------------
    def submit(self, cmd: SubmitOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.feed_latency_ns + self.latency.order_delay_ns()
        if self._arrives_now(delay):
            self._matcher.accept(cmd, now)
        else:
            self._send(now, delay, PendingMessage(0, cmd, None, None))

    def cancel(self, cmd: CancelOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.feed_latency_ns + self.latency.cancel_delay_ns()
        if self._arrives_now(delay):
            self._matcher.cancel(cmd, now)
        else:
            self._send(now, delay, PendingMessage(0, None, cmd, None))

    def modify(self, cmd: ModifyOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.feed_latency_ns + self.latency.cancel_delay_ns()
        if self._arrives_now(delay):
            self._matcher.modify(cmd, now)
        else:
            self._send(now, delay, PendingMessage(0, None, None, cmd))

    # market data (from the kernel, before strategies see it) -----------------------------------
    def on_time(self, ts_ns: int) -> None:
        if ts_ns >= self._next_due_ns:
            self._advance(ts_ns)

    def on_book(self, book: OrderBook) -> None:
        # the kernel delivered what arrived up to this update (on_time) before applying it
        self._matcher.on_book(book)

    def on_trade(self, trade: TradeTick) -> None:
        if trade.ts_event >= self._next_due_ns:
            self._advance(trade.ts_event)
        self._matcher.on_trade(trade)

    def on_quote(self, quote: QuoteTick) -> None:
        if quote.ts_event >= self._next_due_ns:
            self._advance(quote.ts_event)

    def on_bar(self, bar: Bar) -> None:
        if bar.ts_event >= self._next_due_ns:
            self._advance(bar.ts_event)

    # messages in flight ------------------------------------------------------------------------
    def _arrives_now(self, delay: int) -> bool:
        return delay <= 0 and self._inflight_head == len(self._inflight)

    def _send(self, now: int, delay: int, msg: PendingMessage) -> None:
        queue = self._inflight
        arrival = now + delay
        if self._inflight_head < len(queue) and arrival < self._last_arrival_ns:
            arrival = self._last_arrival_ns  # one ordered session: no message overtakes another
        msg.arrival_ns = arrival
        queue.append(msg)
        self._last_arrival_ns = arrival
        self._next_due_ns = queue[self._inflight_head].arrival_ns

    def _advance(self, ts: int) -> None:
        """Deliver every command that has arrived by ``ts``, in arrival order."""
        queue = self._inflight
        matcher = self._matcher
        while self._inflight_head < len(queue) and queue[self._inflight_head].arrival_ns <= ts:
            msg = queue[self._inflight_head]
            self._inflight_head += 1
            if msg.submit is not None:
                matcher.accept(msg.submit, msg.arrival_ns)
            elif msg.cancel is not None:
                matcher.cancel(msg.cancel, msg.arrival_ns)
            elif msg.modify is not None:
                matcher.modify(msg.modify, msg.arrival_ns)
        if self._inflight_head == len(queue):
            queue.clear()
            self._inflight_head = 0
            self._next_due_ns = NEVER
        else:
            self._next_due_ns = queue[self._inflight_head].arrival_ns

    def __repr__(self) -> str:
        return (
            f"OrderBookVenue({self.name}, {len(self._matcher.states)} instruments, "
            f"{len(self._matcher.working)} working, {self.in_flight} in flight)"
        )
