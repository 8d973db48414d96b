"""The order-book matching engine: our orders against the L2 book, with a queue estimate.

It sees commands once they reach it (``OrderBookVenue`` models the trip) and reports through the
venue's ``emit``. The rules are the contract written in ``venues.orderbook.venue``.
"""

from __future__ import annotations

from typing import Final, final

from core.book import BookSide, OrderBook
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import Liquidity, OrderType, TimeInForce
from core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderUpdated,
)
from core.instruments import Instrument
from core.market import Aggressor, TradeTick
from core.values import Money, Price, Qty
from core.venue import Venue
from venues.orderbook.queue import ahead_after_cancels
from venues.orderbook.state import BookOrder, InstrumentState, Taken
from venues.simulated.engine import (
    CANCELED_BY_REQUEST,
    ENDED_CANCELED,
    ENDED_FILLED,
    ENDED_REJECTED,
    FOK_UNFILLED,
    IOC_REMAINDER,
    REDUCE_ONLY_FLAT,
    REDUCE_ONLY_SAME_SIDE,
)
from venues.simulated.fees import FeeModel

NOT_SUPPORTED: Final = "the order-book venue takes MARKET and LIMIT orders, GTC, IOC or FOK"


@final
class BookMatcher:
    """Instruments, working orders, the venue's own positions, and the matching."""

    def __init__(self, venue: Venue, fees: FeeModel, queue_model: int) -> None:
        self._venue: Final = venue
        self._name: Final[str] = venue.name
        self.fees: Final = fees
        self.queue_model: Final = queue_model
        self.states: Final[dict[str, InstrumentState]] = {}
        self.working: Final[dict[str, BookOrder]] = {}
        self._ended: Final[dict[str, str]] = {}  # client order id -> why a cancel/modify fails
        self._last: InstrumentState | None = None
        self._order_count = 0
        self._trade_count = 0

    def add_instrument(self, instrument: Instrument) -> None:
        existing = self.states.get(instrument.id)
        if existing is not None:
            if existing.instrument is instrument:
                return
            raise ValueError(f"venue {self._name}: instrument {instrument.id} is already added")
        self.states[instrument.id] = InstrumentState(instrument)

    def state_of(self, instrument_id: str) -> InstrumentState | None:
        last = self._last
        if last is not None and last.instrument_id == instrument_id:
            return last
        state = self.states.get(instrument_id)
        if state is not None:
            self._last = state
        return state

    # market data -----------------------------------------------------------------------------
    def on_book(self, book: OrderBook) -> None:
        st = self.state_of(book.instrument_id)
        if st is None:
            return
        st.book = book
        if st.taken_bids:
            _forget_changed(st.taken_bids, book, BookSide.BID)
        if st.taken_asks:
            _forget_changed(st.taken_asks, book, BookSide.ASK)
        if not st.orders:
            return
        ts = book.ts_event
        best_bid = book.best_bid_raw()
        best_ask = book.best_ask_raw()
        for o in st.orders:
            if o.closed:
                continue
            if o.fresh:
                self._arrive(st, book, o, ts)
            elif o.is_market:
                self._take(st, book, o, ts, Liquidity.TAKER)
            elif o.resting:
                if o.is_buy:
                    crossed = best_ask != 0 and best_ask <= o.price_raw
                else:
                    crossed = best_bid != 0 and best_bid >= o.price_raw
                if crossed:
                    # the orders now through our price would have traded with ours first
                    self._take(st, book, o, ts, Liquidity.MAKER)
                    o.ahead_raw = 0
                if not o.closed:
                    self._update_queue(book, o)
        st.compact()

    def on_trade(self, trade: TradeTick) -> None:
        st = self.state_of(trade.instrument_id)
        if st is None or not st.orders:
            return
        price = trade.price_raw
        size = trade.size_raw
        aggressor = trade.aggressor
        ts = trade.ts_event
        given = 0  # what this print already filled of our orders at its price
        for o in st.orders:
            if o.closed or not o.resting:
                continue
            limit = o.price_raw
            if o.is_buy:
                if aggressor == Aggressor.BUYER or price > limit:
                    continue
                through = price < limit
            else:
                if aggressor == Aggressor.SELLER or price < limit:
                    continue
                through = price > limit
            if through:  # the print swept the whole level, our order with it
                want = self._wanted(st, o, ts)
                if want > 0:
                    self._fill(st, o, want, limit, Liquidity.MAKER, ts)
                o.ahead_raw = 0
                continue
            ahead = o.ahead_raw
            seen = o.level_seen_raw
            o.level_seen_raw = seen - size if seen > size else 0
            if size <= ahead:
                o.ahead_raw = ahead - size
                continue
            o.ahead_raw = 0
            beyond = size - ahead - given
            if beyond <= 0:
                continue
            want = self._wanted(st, o, ts)
            if want > beyond:
                want = beyond - beyond % st.lot_raw
            if want > 0:
                self._fill(st, o, want, limit, Liquidity.MAKER, ts)
                given += want
        st.compact()

    # commands arriving at the matching engine --------------------------------------------------
    def accept(self, cmd: SubmitOrder, ts: int) -> None:
        coid = cmd.client_order_id
        st = self.state_of(cmd.instrument_id)
        reason = ""
        if coid in self.working or coid in self._ended:
            reason = f"duplicate client order id {coid}"
        elif st is None:
            reason = f"unknown instrument {cmd.instrument_id} at venue {self._name}"
        elif (
            cmd.order_type != OrderType.MARKET and cmd.order_type != OrderType.LIMIT
        ) or cmd.time_in_force == TimeInForce.DAY:
            reason = (
                f"{NOT_SUPPORTED}, not {OrderType.NAMES[cmd.order_type]} "
                f"{TimeInForce.NAMES[cmd.time_in_force]}"
            )
        if reason or st is None:
            self._venue.emit(
                OrderRejected(
                    strategy_id=cmd.strategy_id,
                    client_order_id=coid,
                    instrument_id=cmd.instrument_id,
                    ts_event=ts,
                    reason=reason,
                )
            )
            if coid not in self.working:
                self._ended[coid] = ENDED_REJECTED
            return
        self._order_count += 1
        o = BookOrder(
            cmd,
            seq=self._order_count,
            venue_order_id=f"{self._name}-{self._order_count}",
            position=st.position_of(cmd.strategy_id),
        )
        self._venue.emit(
            OrderAccepted(
                strategy_id=o.strategy_id,
                client_order_id=coid,
                instrument_id=o.instrument_id,
                ts_event=ts,
                venue_order_id=o.venue_order_id,
            )
        )
        self.working[coid] = o
        st.orders.append(o)
        book = st.book
        if o.reduce_only and _reduce_cap(o) == 0:
            self._cancel_order(st, o, ts, _reduce_only_reason(o))
        elif book is not None:
            self._arrive(st, book, o, ts)
        st.compact()

    def cancel(self, cmd: CancelOrder, ts: int) -> None:
        o = self.working.get(cmd.client_order_id)
        if o is None:
            self._venue.emit(
                OrderCancelRejected(
                    strategy_id=cmd.strategy_id,
                    client_order_id=cmd.client_order_id,
                    instrument_id=cmd.instrument_id,
                    ts_event=ts,
                    reason=self._gone_reason(cmd.client_order_id),
                )
            )
            return
        st = self.states[o.instrument_id]
        self._cancel_order(st, o, ts, CANCELED_BY_REQUEST)
        st.compact()

    def modify(self, cmd: ModifyOrder, ts: int) -> None:
        o = self.working.get(cmd.client_order_id)
        reason = ""
        if o is None:
            reason = self._gone_reason(cmd.client_order_id)
        else:
            new_qty = cmd.qty.raw if cmd.qty is not None else o.qty_raw
            if new_qty <= o.filled_raw:
                reason = (
                    f"new quantity {Qty(new_qty)} is not above the {Qty(o.filled_raw)} "
                    "already filled"
                )
            elif cmd.price is not None and o.is_market:
                reason = "a MARKET order has no limit price"
            elif cmd.trigger_price is not None:
                reason = f"a {'MARKET' if o.is_market else 'LIMIT'} order has no trigger price"
        if o is None or reason:
            self._venue.emit(
                OrderModifyRejected(
                    strategy_id=cmd.strategy_id,
                    client_order_id=cmd.client_order_id,
                    instrument_id=cmd.instrument_id,
                    ts_event=ts,
                    reason=reason,
                )
            )
            return
        st = self.states[o.instrument_id]
        grew = cmd.qty is not None and cmd.qty.raw > o.qty_raw
        if cmd.qty is not None:
            o.qty_raw = cmd.qty.raw
        repriced = cmd.price is not None and cmd.price.raw != o.price_raw
        if cmd.price is not None:
            o.price_raw = cmd.price.raw
        self._venue.emit(
            OrderUpdated(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
                qty=Qty(o.qty_raw),
                price=None if o.is_market else Price(o.price_raw),
                trigger_price=None,
            )
        )
        book = st.book
        if repriced:
            # a new price meets the market as a new arrival, at the back of its new queue
            o.resting = False
            o.fresh = True
            if book is not None:
                self._arrive(st, book, o, ts)
        elif grew and o.resting and book is not None:
            self._join_queue(book, o)  # a larger order loses its place
        st.compact()

    def _gone_reason(self, client_order_id: str) -> str:
        reason = self._ended.get(client_order_id)
        return reason if reason is not None else f"unknown order {client_order_id}"

    # matching ----------------------------------------------------------------------------------
    def _arrive(self, st: InstrumentState, book: OrderBook, o: BookOrder, ts: int) -> None:
        """The order meets the book for the first time: take what crosses, then rest or end."""
        o.fresh = False
        if o.is_market:
            crosses = True
        elif o.is_buy:
            best_ask = book.best_ask_raw()
            crosses = best_ask != 0 and best_ask <= o.price_raw
        else:
            best_bid = book.best_bid_raw()
            crosses = best_bid != 0 and best_bid >= o.price_raw
        fok = o.time_in_force == TimeInForce.FOK
        if fok:
            want = self._wanted(st, o, ts)
            if o.closed:
                return
            if not crosses or want < o.leaves_raw or self._available(st, book, o, want) < want:
                self._cancel_order(st, o, ts, FOK_UNFILLED)
                return
        if crosses:
            self._take(st, book, o, ts, Liquidity.TAKER)
        if o.closed:
            return
        if o.immediate:
            self._cancel_order(st, o, ts, FOK_UNFILLED if fok else IOC_REMAINDER)
        elif not o.is_market:
            self._join_queue(book, o)

    def _join_queue(self, book: OrderBook, o: BookOrder) -> None:
        """Rest at the back of the queue: behind everything displayed at the price now."""
        level = book.size_at(o.own_side, o.price_raw)
        o.resting = True
        o.ahead_raw = level
        o.level_seen_raw = level

    def _update_queue(self, book: OrderBook, o: BookOrder) -> None:
        level = book.size_at(o.own_side, o.price_raw)
        seen = o.level_seen_raw
        if level < seen:
            o.ahead_raw = ahead_after_cancels(self.queue_model, o.ahead_raw, seen, seen - level)
        if o.ahead_raw > level:
            o.ahead_raw = level
        o.level_seen_raw = level

    def _available(self, st: InstrumentState, book: OrderBook, o: BookOrder, want: int) -> int:
        """Lots the far side offers through the limit (counting stops at ``want``)."""
        taken = st.taken_on(o.far_side)
        lot = st.lot_raw
        total = 0
        i = 0
        while total < want:
            level = book.level(o.far_side, i)
            if level is None:
                break
            price, size = level
            if not o.is_market and (price > o.price_raw if o.is_buy else price < o.price_raw):
                break
            mine = taken.get(price)
            if mine is not None:
                size -= mine.taken_raw
            total += size - size % lot
            i += 1
        return total

    def _take(
        self, st: InstrumentState, book: OrderBook, o: BookOrder, ts: int, liquidity: int
    ) -> None:
        """Walk the far side from its best level, through the limit; each level one fill (at
        the level's price for a taker, at the limit for a maker the book crossed)."""
        want = self._wanted(st, o, ts)
        if want <= 0:
            return
        taken = st.taken_on(o.far_side)
        lot = st.lot_raw
        i = 0
        while want > 0:
            level = book.level(o.far_side, i)
            if level is None:
                break
            price, size = level
            i += 1
            if not o.is_market and (price > o.price_raw if o.is_buy else price < o.price_raw):
                break
            mine = taken.get(price)
            available = size if mine is None else size - mine.taken_raw
            available -= available % lot
            if available <= 0:
                continue
            qty = want if want < available else available
            if mine is None:
                taken[price] = Taken(size, qty)
            else:
                mine.taken_raw += qty
            px = price if liquidity == Liquidity.TAKER else o.price_raw
            self._fill(st, o, qty, px, liquidity, ts)
            if o.closed:
                return
            want = self._wanted(st, o, ts)

    def _wanted(self, st: InstrumentState, o: BookOrder, ts: int) -> int:
        """Whole lots the order may still fill (reduce-only: no more than the position)."""
        qty = o.leaves_raw
        if o.reduce_only:
            cap = _reduce_cap(o)
            if cap == 0:
                self._cancel_order(st, o, ts, _reduce_only_reason(o))
                return 0
            if cap < qty:
                qty = cap
        return qty - qty % st.lot_raw

    # fills and endings -------------------------------------------------------------------------
    def _fill(
        self, st: InstrumentState, o: BookOrder, qty: int, px: int, liquidity: int, ts: int
    ) -> None:
        self._trade_count += 1
        instrument = st.instrument
        fee = self.fees.fee_raw(instrument, o.side, qty, px, liquidity)
        o.filled_raw += qty
        o.position.raw += qty if o.is_buy else -qty
        self._venue.emit(
            OrderFilled(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
                trade_id=f"{self._name}-T{self._trade_count}",
                side=o.side,
                last_qty=Qty(qty),
                last_px=Price(px),
                fee=Money(fee, instrument.quote_currency),
                liquidity=liquidity,
            )
        )
        if o.filled_raw >= o.qty_raw:
            self._close(st, o, ENDED_FILLED)
        for other in st.orders:
            if (
                other.reduce_only
                and not other.closed
                and other.strategy_id == o.strategy_id
                and _reduce_cap(other) == 0
            ):
                self._cancel_order(st, other, ts, _reduce_only_reason(other))

    def _cancel_order(self, st: InstrumentState, o: BookOrder, ts: int, reason: str) -> None:
        self._venue.emit(
            OrderCanceled(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
                reason=reason,
            )
        )
        self._close(st, o, ENDED_CANCELED)

    def _close(self, st: InstrumentState, o: BookOrder, ended: str) -> None:
        o.closed = True
        if o.client_order_id in self.working:  # not pop(id, None): a generic call compiled
            del self.working[o.client_order_id]
        self._ended[o.client_order_id] = ended
        st.dirty = True


def _forget_changed(taken: dict[int, Taken], book: OrderBook, side: int) -> None:
    """End the memory of every level the book now shows with another size."""
    stale = [p for p, t in taken.items() if book.size_at(side, p) != t.level_raw]
    for price in stale:
        del taken[price]


def _reduce_cap(o: BookOrder) -> int:
    """How much a reduce-only order may fill without growing or flipping the position."""
    pos = o.position.raw
    if o.is_buy:
        return -pos if pos < 0 else 0
    return pos if pos > 0 else 0


def _reduce_only_reason(o: BookOrder) -> str:
    return REDUCE_ONLY_FLAT if o.position.raw == 0 else REDUCE_ONLY_SAME_SIDE
