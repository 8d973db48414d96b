"""SimulatedVenue: the matching engine behind every backtest and every paper-trading session.

This page is the contract a trader can check a backtest against. Every rule below is tested in
``tests/venues`` with prices worked out by hand. ``SimulatedVenue`` (here) models the trip of each
command to the matching engine and the DAY-order clock; ``venues.simulated.engine`` matches.

Which data an instrument matches on
    The finest data it has received: quotes if any quote has been seen, else trade ticks, else
    bars. Coarser data for an instrument that has finer data does not match orders (bars built
    from the same ticks would otherwise fill twice). A price is never invented: orders wait for
    data.

Bars (``Bar.ts_event`` is the bar's close time)
    * No look-ahead (``BarConvention.NEXT_OPEN``, the default): an order decided while a strategy
      handles bar t reaches the market at the open of bar t+1 at the earliest. An order that
      arrives after a bar's open instant (the previous bar's ``ts_event``), e.g. because of
      latency, is matched from the bar after that one. (The first bar an instrument receives has
      no known open instant: every order working when it arrives is matched against it.)
    * Market orders fill at the open of the next bar, plus slippage.
    * Resting limit, stop and stop-limit orders are matched along a declared intrabar path:
      open -> the extreme nearer to the open (ties: the high first) -> the other extreme -> close.
      A buy limit fills when the path reaches <= its limit: at the open if the bar opens through
      the limit (price improvement), else at the limit. A buy stop triggers when the path reaches
      >= its trigger and fills at max(trigger, open if the bar gapped through it) plus slippage.
      A stop-limit triggers the same way (``OrderTriggered``), then works as a limit on the rest
      of the same path, so it can fill on the bar that triggered it. Sells are symmetric.
      Fills of one bar are sized in path order (ties: arrival order).
    * ``BarConvention.SAME_CLOSE`` (opt-in, look-ahead-prone: the close is known only once it can
      no longer be traded): a market order fills at once at the close of the bar being handled
      (with latency: at the close of the first bar closing after it arrives); a remainder fills
      at the close of later bars. Other order types are unchanged.
    * Volume participation: per bar, all our fills on one instrument together take at most
      floor(participation x bar volume), rounded down to whole lots (``FillConfig.participation``,
      default 0.1). A bar with volume 0 (unknown, e.g. index data) sets no cap. What does not
      fill keeps working (GTC, DAY) and fills on later bars, each fill its own ``OrderFilled``.

Quote ticks
    * A market order fills at the touch (buy at the ask, sell at the bid) of the latest quote at
      the instant it arrives: immediately with zero latency, using the last quote seen; if no
      quote has been seen yet, at the next quote. Fills are capped by the displayed size still
      left at that quote after our earlier fills (size 0 = unknown, no cap); the rest waits for
      the next quotes (an IOC cancels it).
    * A limit that crosses on arrival (buy limit >= ask) fills at the ask, capped by the ask
      size. Otherwise it rests and fills at its limit price, as maker, on a later quote that
      crosses it (buy limit >= ask), capped by the displayed size.
    * Stops trigger on the touch (buy stop when ask >= trigger) and then fill like a market order
      (a stop-limit: like a limit that arrives at that quote).

Trade ticks
    * A market order fills at the next print's price. A limit that crossed the last print when
      it arrived fills like one on the next print at or through it, at the print's price; a
      resting limit fills only when a print crosses it strictly (buy limit: print < limit), at the
      limit price. Stops trigger on prints (buy stop: print >= trigger) and fill at that print;
      a triggered stop-limit fills at that print if it is within its limit, else rests.
    * Each print caps our fills at floor(participation x print size) in lots (size 0: no cap).

Time in force
    * GTC works until filled or canceled. DAY expires (``OrderExpired``, stamped at the session
      close) at the first session close strictly after its acceptance: ``FillConfig.session_close``
      "HH:MM" in ``session_tz`` (default "00:00" UTC), computed once per order with zoneinfo. It
      works through events stamped at or before that instant, so the bar that closes exactly at
      the session close can still fill it.
    * IOC and FOK meet the market once, the instant they reach it: the open of the next bar, the
      quote current on arrival (or the next quote), the next print. IOC cancels what did not fill
      (``OrderCanceled`` "IOC remainder"); FOK fills completely or is canceled whole ("FOK could
      not fill completely").
    * reduce_only: the venue tracks each strategy's net position per instrument from its own
      fills. A reduce-only fill is capped so it never increases or flips the position, and a
      reduce-only order with nothing left to reduce is canceled ("reduce-only: position already
      flat"): on arrival, or as soon as another fill flattens the position.

Liquidity, fees, slippage
    * Market and stop fills, and limits filled where they started working already through their
      price, are TAKER: a limit marketable on arrival (against the last quote, print or bar
      close) on its first opportunity, a stop-limit at its trigger. Limits filled while resting
      are MAKER. IOC/FOK never rest: always TAKER.
    * Fees come from the ``FeeModel`` (rounded half-even at 1e-9 currency units).
    * Slippage (``SlippageModel``) applies to market and triggered stop fills only, always against
      the trader, rounded to the tick against the trader, and on bars never outside [low, high].

Latency (``LatencyModel``)
    * A command reaches the matching engine at send time + latency (deterministic, seeded
      jitter). An order is accepted only then (``OrderAccepted.ts_event`` = arrival); a cancel or
      modify acts only then, so a cancel can lose the race against a fill (``OrderCancelRejected``
      "order already filled"). Messages travel on one ordered session: none overtakes an earlier
      one. Arrivals are delivered on the first event (time, bar, quote, trade) stamped at or after
      them, before that event is matched.
    * On bars, a cancel or modify that arrives while a bar forms is applied before that bar is
      matched: a bar has no clock inside it, so only a new order obeys the stricter rule above
      (it cannot trade at an open that happened before it existed). A cancel therefore loses the
      race only to bars that closed before it arrived.

Cancel and modify
    * Cancel: ``OrderCanceled`` "canceled by request"; for an order already filled, canceled,
      expired or unknown: ``OrderCancelRejected`` saying which.
    * Modify changes quantity, limit and/or trigger of a working order (``OrderUpdated`` with the
      full new values; filled quantity, arrival and expiry are kept) and applies from the next
      matching event on; a modified limit that now crosses the current quote fills at once.
      Rejected (``OrderModifyRejected``) when the order no longer works, when the new quantity is
      not above the filled quantity, when it sets a price the order type does not have, or a new
      trigger on a stop-limit that has already triggered.

Ids: venue order ids ``"{venue}-{n}"``, trade ids ``"{venue}-T{n}"``, counted per venue.
Same inputs and seed -> the same events, in the same order, to the last digit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick
from core.orders import Order
from core.venue import Venue
from venues.simulated.config import FillConfig
from venues.simulated.engine import NEVER, MatchingEngine
from venues.simulated.fees import FeeModel, NoFee
from venues.simulated.latency import LatencyModel
from venues.simulated.slippage import NoSlippage, SlippageModel
from venues.simulated.state import PendingMessage


@final
class SimulatedVenue(Venue):
    """A deterministic matching engine for bars, quote ticks and trade ticks (see the module doc).

    ``name`` is the venue part of the instrument ids it trades (``"SIM"`` for ``AAPL.SIM``). This
    class models the trip of each command to the matching engine (latency, one ordered session)
    and the DAY-order clock; ``MatchingEngine`` does the matching.
    """

    def __init__(
        self,
        name: str,
        *,
        fill: FillConfig | None = None,
        fees: FeeModel | None = None,
        slippage: SlippageModel | None = None,
        latency: LatencyModel | None = None,
        instruments: Iterable[Instrument] | None = None,
    ) -> None:
        super().__init__(name)
        self.fill_config: Final[FillConfig] = fill if fill is not None else FillConfig()
        self.fees: Final[FeeModel] = fees if fees is not None else NoFee()
        self.slippage: Final[SlippageModel] = slippage if slippage is not None else NoSlippage()
        self.latency: Final[LatencyModel] = latency if latency is not None else LatencyModel()
        self._engine: Final = MatchingEngine(self, self.fill_config, self.fees, self.slippage)
        self._inflight: list[PendingMessage] = []
        self._inflight_head = 0
        self._last_arrival_ns = 0
        self._next_due_ns: int = NEVER  # the one number the per-event fast path compares with
        if instruments is not None:
            for instrument in instruments:
                self.add_instrument(instrument)

    # wiring and introspection ----------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        """Make ``instrument`` tradable here (its tick, lot, multiplier and currency)."""
        self._engine.add_instrument(instrument)

    @property
    def instruments(self) -> list[Instrument]:
        return [book.instrument for book in self._engine.books.values()]

    def position_raw(self, strategy_id: str, instrument_id: str) -> int:
        """The venue's own view of a strategy's signed net position (raw units), from its fills."""
        return self._engine.position_raw(strategy_id, instrument_id)

    def working_order_ids(self, instrument_id: str = "") -> list[str]:
        """Client order ids of the orders working here (of one instrument, or all), by arrival."""
        return [
            o.client_order_id
            for o in self._engine.working.values()
            if not instrument_id or o.instrument_id == instrument_id
        ]

    def leaves_raw(self, client_order_id: str) -> int:
        """Quantity still to fill of a working order (0 when it does not work here)."""
        o = self._engine.working.get(client_order_id)
        return 0 if o is None else o.leaves_raw

    @property
    def in_flight(self) -> int:
        """Commands sent but not yet arrived at the matching engine."""
        return len(self._inflight) - self._inflight_head

    @property
    def is_idle(self) -> bool:
        """Nothing works and nothing travels: market data passes through at almost no cost."""
        return not self._engine.working and self._inflight_head == len(self._inflight)

    # commands (from the kernel) ----------------------------------------------------------------
    # With no latency and nothing in flight a command goes straight to the matching engine,
    # without building the message that would carry it.
    def submit(self, cmd: SubmitOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.latency.order_delay_ns()
        if self._arrives_now(delay):
            self._engine.accept(cmd, now)
            self._refresh_due()
        else:
            self._send(now, delay, PendingMessage(0, cmd, None, None))

    def resume_numbering(self, trade_ids: list[str], venue_order_ids: list[str]) -> None:
        self._engine.resume_numbering(trade_ids, venue_order_ids)

    def restore(self, order: Order, position_raw: int) -> None:
        """A paper session's working order, rebuilt from the journal after a restart: it rests
        here again as it was (remaining quantity, prices, trigger state), without new events."""
        self._engine.restore(order, position_raw, self.clock.now_ns())
        self._refresh_due()

    def cancel(self, cmd: CancelOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.latency.cancel_delay_ns()
        if self._arrives_now(delay):
            self._engine.cancel(cmd, now)
            self._refresh_due()
        else:
            self._send(now, delay, PendingMessage(0, None, cmd, None))

    def modify(self, cmd: ModifyOrder) -> None:
        now = self.clock.now_ns()
        if now >= self._next_due_ns:
            self._advance(now)
        delay = self.latency.cancel_delay_ns()
        if self._arrives_now(delay):
            self._engine.modify(cmd, now)
            self._refresh_due()
        else:
            self._send(now, delay, PendingMessage(0, None, None, cmd))

    # market data (from the kernel, before strategies see it) -----------------------------------
    # With nothing due, each call is one integer comparison plus the engine's own cheap checks.
    def on_time(self, ts_ns: int) -> None:
        if ts_ns >= self._next_due_ns:
            self._advance(ts_ns)

    def on_bar(self, bar: Bar) -> None:
        if bar.ts_event >= self._next_due_ns:
            self._advance(bar.ts_event)
        self._engine.on_bar(bar)

    def on_quote(self, quote: QuoteTick) -> None:
        if quote.ts_event >= self._next_due_ns:
            self._advance(quote.ts_event)
        self._engine.on_quote(quote)

    def on_trade(self, trade: TradeTick) -> None:
        if trade.ts_event >= self._next_due_ns:
            self._advance(trade.ts_event)
        self._engine.on_trade(trade)

    # messages in flight ------------------------------------------------------------------------
    def _arrives_now(self, delay: int) -> bool:
        """A command with this delay reaches the engine at once (no message is in flight)."""
        return delay <= 0 and self._inflight_head == len(self._inflight)

    def _send(self, now: int, delay: int, msg: PendingMessage) -> None:
        """Put a command in flight (it arrives later than now: see ``_arrives_now``)."""
        queue = self._inflight
        waiting = self._inflight_head < len(queue)
        arrival = now + delay
        if waiting and arrival < self._last_arrival_ns:
            arrival = self._last_arrival_ns  # one ordered session: no message overtakes another
        msg.arrival_ns = arrival
        queue.append(msg)
        self._last_arrival_ns = arrival
        self._refresh_due()

    def _refresh_due(self) -> None:
        queue = self._inflight
        due = queue[self._inflight_head].arrival_ns if self._inflight_head < len(queue) else NEVER
        expiry = self._engine.next_expiry_ns
        if expiry != NEVER and expiry + 1 < due:
            due = expiry + 1  # a DAY order expires on the first event stamped after the close
        self._next_due_ns = due

    def _advance(self, ts: int) -> None:
        """Deliver arrivals and expire DAY orders up to ``ts``, in time order."""
        queue = self._inflight
        engine = self._engine
        while True:
            if self._inflight_head < len(queue):
                msg = queue[self._inflight_head]
                if msg.arrival_ns <= ts and msg.arrival_ns <= engine.next_expiry_ns:
                    self._inflight_head += 1
                    if self._inflight_head == len(queue):
                        queue.clear()
                        self._inflight_head = 0
                    self._deliver(msg)
                    continue
            if engine.next_expiry_ns < ts:
                engine.expire(engine.next_expiry_ns)
                continue
            break
        self._refresh_due()

    def _deliver(self, msg: PendingMessage) -> None:
        engine = self._engine
        if msg.submit is not None:
            engine.accept(msg.submit, msg.arrival_ns)
        elif msg.cancel is not None:
            engine.cancel(msg.cancel, msg.arrival_ns)
        elif msg.modify is not None:
            engine.modify(msg.modify, msg.arrival_ns)

    def __repr__(self) -> str:
        return (
            f"SimulatedVenue({self.name}, {len(self._engine.books)} instruments, "
            f"{len(self._engine.working)} working, {self.in_flight} in flight)"
        )
