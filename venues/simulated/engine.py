"""The matching engine: working orders per instrument, matched against bars, quotes and trades.

It sees commands only once they have reached it (``SimulatedVenue`` models the trip there) and
tells the world what happened through the venue's ``emit``. The rules it implements are the
contract written in ``venues.simulated.venue``.
"""

from __future__ import annotations

from typing import Final, final

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import Liquidity, OrderType, TimeInForce
from core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
    OrderUpdated,
)
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick
from core.orders import Order
from core.values import SCALE, Money, Price, Qty
from core.venue import Venue
from venues.simulated.config import BarConvention, DataKind, FillConfig
from venues.simulated.fees import FeeModel
from venues.simulated.path import (
    BarPath,
    FillCandidate,
    candidate_key,
    fills_like_market,
    may_trade,
    plan_bar_order,
    plan_market_order,
)
from venues.simulated.slippage import SlippageModel
from venues.simulated.state import (
    LEVEL_BARS,
    LEVEL_NONE,
    LEVEL_QUOTES,
    LEVEL_TRADES,
    NO_CAP,
    InstrumentBook,
    WorkingOrder,
)

# a time after every event; 2**62 - 1 is the largest int mypyc keeps unboxed (year 2116 in ns)
NEVER: Final = (1 << 62) - 1

IOC_REMAINDER: Final = "IOC remainder"
FOK_UNFILLED: Final = "FOK could not fill completely"
CANCELED_BY_REQUEST: Final = "canceled by request"
REDUCE_ONLY_FLAT: Final = "reduce-only: position already flat"
REDUCE_ONLY_SAME_SIDE: Final = "reduce-only: the order would increase the position"
DAY_EXPIRED: Final = "DAY order expired at the session close"
ENDED_FILLED: Final = "order already filled"
ENDED_CANCELED: Final = "order already canceled"
ENDED_EXPIRED: Final = "order already expired"
ENDED_REJECTED: Final = "order was rejected"


@final
class MatchingEngine:
    """Books, working orders, the venue's own positions, and the matching of each data kind."""

    def __init__(
        self, venue: Venue, fill: FillConfig, fees: FeeModel, slippage: SlippageModel
    ) -> None:
        self._venue: Final = venue
        self._name: Final[str] = venue.name
        self.fill_config: Final = fill
        self.fees: Final = fees
        self.slippage: Final = slippage
        self._same_close: Final = fill.bar_convention == BarConvention.SAME_CLOSE
        self._participation_ppb: Final[int] = fill.participation_ppb
        self._observe_bars: Final[bool] = slippage.observes_bars
        self.books: Final[dict[str, InstrumentBook]] = {}
        self._last_book: InstrumentBook | None = None
        self.working: Final[dict[str, WorkingOrder]] = {}
        self._ended: Final[dict[str, str]] = {}  # client order id -> why a cancel/modify fails
        self.next_expiry_ns: int = NEVER  # the earliest session close of a working DAY order
        self._order_count = 0
        self._trade_count = 0
        self._seq = 0

    def add_instrument(self, instrument: Instrument) -> None:
        existing = self.books.get(instrument.id)
        if existing is not None:
            if existing.instrument is instrument:
                return
            raise ValueError(f"venue {self._name}: instrument {instrument.id} is already added")
        self.books[instrument.id] = InstrumentBook(instrument)

    def position_raw(self, strategy_id: str, instrument_id: str) -> int:
        book = self.books.get(instrument_id)
        pos = book.positions.get(strategy_id) if book is not None else None
        return pos.raw if pos is not None else 0

    def expire(self, close_ns: int) -> None:
        """End every DAY order whose session closed at or before ``close_ns``."""
        next_expiry = NEVER
        for o in list(self.working.values()):
            if o.expiry_ns == 0:
                continue
            if o.expiry_ns <= close_ns:
                book = self.books[o.instrument_id]
                self._venue.emit(
                    OrderExpired(
                        strategy_id=o.strategy_id,
                        client_order_id=o.client_order_id,
                        instrument_id=o.instrument_id,
                        ts_event=o.expiry_ns,
                        reason=DAY_EXPIRED,
                    )
                )
                self._close(book, o, ENDED_EXPIRED)
            elif o.expiry_ns < next_expiry:
                next_expiry = o.expiry_ns
        self.next_expiry_ns = next_expiry
        for book in self.books.values():
            book.compact()

    def book_of(self, instrument_id: str) -> InstrumentBook | None:
        last = self._last_book
        if last is not None and last.instrument_id == instrument_id:
            return last
        book = self.books.get(instrument_id)
        if book is not None:
            self._last_book = book
        return book

    # market data (after the venue has delivered what arrived before it) ------------------------
    def on_bar(self, bar: Bar) -> None:
        book = self.book_of(bar.instrument_id)
        if book is None:
            return
        if book.orders and book.level <= LEVEL_BARS:
            self._match_bar(book, bar)
        book.last_bar = bar
        if book.level == LEVEL_NONE:
            book.level = LEVEL_BARS
        if self._observe_bars:
            self.slippage.observe_bar(bar)

    def on_quote(self, quote: QuoteTick) -> None:
        book = self.book_of(quote.instrument_id)
        if book is None:
            return
        book.last_quote = quote
        book.level = LEVEL_QUOTES
        if book.orders:
            self._match_quote(book, quote)

    def on_trade(self, trade: TradeTick) -> None:
        book = self.book_of(trade.instrument_id)
        if book is None:
            return
        book.last_trade = trade
        if book.level < LEVEL_TRADES:
            book.level = LEVEL_TRADES
        if book.orders and book.level == LEVEL_TRADES:
            self._match_trade(book, trade)

    # commands arriving at the matching engine ------------------------------------------------
    def accept(self, cmd: SubmitOrder, ts: int) -> None:
        """A new order reaches the matching engine at ``ts``."""
        coid = cmd.client_order_id
        book = self.book_of(cmd.instrument_id)
        reason = ""
        if coid in self.working or coid in self._ended:
            reason = f"duplicate client order id {coid}"
        elif book is None:
            reason = f"unknown instrument {cmd.instrument_id} at venue {self._name}"
        if reason or book is None:
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
        self._seq += 1
        expiry = 0
        if cmd.time_in_force == TimeInForce.DAY:
            expiry = self.fill_config.session_close_after(ts)
            if expiry < self.next_expiry_ns:
                self.next_expiry_ns = expiry
        o = WorkingOrder(
            cmd,
            seq=self._seq,
            venue_order_id=f"{self._name}-{self._order_count}",
            arrival_ns=ts,
            expiry_ns=expiry,
            position=book.position_of(cmd.strategy_id),
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
        book.orders.append(o)
        if o.reduce_only and self._reduce_cap(o) == 0:
            self._cancel_order(book, o, ts, self._reduce_only_reason(o))
        else:
            o.marketable = o.immediate or self._is_marketable(book, o)
            self._match_on_arrival(book, o, ts)
        book.compact()

    def resume_numbering(self, trade_ids: list[str], venue_order_ids: list[str]) -> None:
        """After a restart: number new trades and orders after those the journal holds, so no
        id the venue gave before is given again."""
        for text, prefix, is_trade in (
            *((t, f"{self._name}-T", True) for t in trade_ids),
            *((v, f"{self._name}-", False) for v in venue_order_ids),
        ):
            if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
                continue
            n = int(text[len(prefix) :])
            if is_trade and n > self._trade_count:
                self._trade_count = n
            elif not is_trade and n > self._order_count:
                self._order_count = n

    def restore(self, order: Order, position_raw: int, ts: int) -> None:
        """Take a working order back after a restart (see ``SimulatedVenue.restore``)."""
        coid = order.client_order_id
        book = self.book_of(order.instrument_id)
        if book is None:
            raise ValueError(f"unknown instrument {order.instrument_id} at venue {self._name}")
        if coid in self.working:
            raise ValueError(f"order {coid} is already working at venue {self._name}")
        self._seq += 1
        self._order_count += 1
        expiry = 0
        if order.time_in_force == TimeInForce.DAY:
            expiry = self.fill_config.session_close_after(ts)
            if expiry < self.next_expiry_ns:
                self.next_expiry_ns = expiry
        cmd = order.terms()
        position = book.position_of(order.strategy_id)
        position.raw = position_raw
        o = WorkingOrder(
            cmd,
            seq=self._seq,
            venue_order_id=order.venue_order_id or f"{self._name}-{self._order_count}",
            arrival_ns=ts,
            expiry_ns=expiry,
            position=position,
        )
        o.filled_raw = order.filled_qty_raw
        o.triggered = order.triggered
        o.fresh = False
        self.working[coid] = o
        book.orders.append(o)

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
        book = self.books[o.instrument_id]
        self._cancel_order(book, o, ts, CANCELED_BY_REQUEST)
        book.compact()

    def modify(self, cmd: ModifyOrder, ts: int) -> None:
        o = self.working.get(cmd.client_order_id)
        reason = ""
        if o is None:
            reason = self._gone_reason(cmd.client_order_id)
        else:
            new_qty = cmd.qty.raw if cmd.qty is not None else o.qty_raw
            type_name = OrderType.NAMES[o.order_type]
            if new_qty <= o.filled_raw:
                reason = (
                    f"new quantity {Qty(new_qty)} is not above the {Qty(o.filled_raw)} "
                    "already filled"
                )
            elif cmd.price is not None and not o.has_limit:
                reason = f"a {type_name} order has no limit price"
            elif cmd.trigger_price is not None and not o.has_trigger:
                reason = f"a {type_name} order has no trigger price"
            elif cmd.trigger_price is not None and o.triggered:
                reason = "the order has already triggered"
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
        if cmd.qty is not None:
            o.qty_raw = cmd.qty.raw
        if cmd.price is not None:
            o.price_raw = cmd.price.raw
        if cmd.trigger_price is not None:
            o.trigger_raw = cmd.trigger_price.raw
        self._venue.emit(
            OrderUpdated(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
                qty=Qty(o.qty_raw),
                price=Price(o.price_raw) if o.has_limit else None,
                trigger_price=Price(o.trigger_raw) if o.has_trigger else None,
            )
        )
        if cmd.price is not None or cmd.trigger_price is not None:
            # the new prices meet the market as if the order had just arrived
            book = self.books[o.instrument_id]
            o.fresh = True
            o.marketable = o.immediate or self._is_marketable(book, o)
            self._match_on_arrival(book, o, ts)
            book.compact()

    def _gone_reason(self, client_order_id: str) -> str:
        reason = self._ended.get(client_order_id)
        return reason if reason is not None else f"unknown order {client_order_id}"

    def _is_marketable(self, book: InstrumentBook, o: WorkingOrder) -> bool:
        """Does a limit cross the market where it arrives (and so take liquidity)?"""
        if o.order_type != OrderType.LIMIT:
            return False
        ref = 0
        if book.level == LEVEL_QUOTES and book.last_quote is not None:
            ref = book.last_quote.ask_raw if o.is_buy else book.last_quote.bid_raw
        elif book.level == LEVEL_TRADES and book.last_trade is not None:
            ref = book.last_trade.price_raw
        elif book.level == LEVEL_BARS and book.last_bar is not None:
            ref = book.last_bar.close_raw
        else:
            return False
        return o.price_raw >= ref if o.is_buy else o.price_raw <= ref

    def _match_on_arrival(self, book: InstrumentBook, o: WorkingOrder, ts: int) -> None:
        """Quote data: meet the quote current at arrival. SAME_CLOSE: fill at the bar's close."""
        if book.level == LEVEL_QUOTES:
            quote = book.last_quote
            if quote is not None:
                self._size_quote(book, quote)
                self._match_quote_order(book, o, quote, ts)
                self._after_opportunity(book, o, ts)
        elif book.level == LEVEL_BARS and self._same_close and o.order_type == OrderType.MARKET:
            bar = book.last_bar
            if bar is not None and o.arrival_ns <= bar.ts_event:
                budget = self._bar_budget(book, bar)
                qty = self._size_for(book, o, budget, ts)
                if qty > 0:
                    px = self._slipped(
                        book, o.side, bar.close_raw, DataKind.BAR, bar.low_raw, bar.high_raw
                    )
                    self._fill(book, o, qty, px, Liquidity.TAKER, ts)
                    if budget != NO_CAP:
                        book.bar_budget_raw = budget - qty
                self._after_opportunity(book, o, ts)

    # bars --------------------------------------------------------------------------------------
    def _match_bar(self, book: InstrumentBook, bar: Bar) -> None:
        ts = bar.ts_event
        previous = book.last_bar
        # the bar opened when the previous one closed; with no previous bar every order qualifies
        open_ns = previous.ts_event if previous is not None else NEVER
        low = bar.low_raw
        high = bar.high_raw
        path: BarPath | None = None
        candidates: list[FillCandidate] = []
        fresh: list[WorkingOrder] | None = None  # built only when some order is fresh
        same_close = self._same_close
        for o in book.orders:
            if o.closed:
                continue
            if o.arrival_ns > open_ns and not (same_close and o.order_type == OrderType.MARKET):
                continue  # it reached the market after this bar opened
            if o.fresh:
                if fresh is None:
                    fresh = [o]
                else:
                    fresh.append(o)
            if not may_trade(o, low, high):
                continue
            if fills_like_market(o):  # the usual case builds no path
                plan_market_order(o, bar.open_raw, bar.close_raw, same_close, candidates)
                continue
            if path is None:
                path = BarPath(bar.open_raw, high, low, bar.close_raw)
            plan_bar_order(o, path, candidates)
        if candidates:
            if len(candidates) > 1:
                candidates.sort(key=candidate_key)
            budget = self._bar_budget(book, bar)
            for c in candidates:
                o = c.order
                if o.closed:
                    continue
                if c.emits_trigger and not o.triggered:
                    self._emit_triggered(o, ts)
                if c.marks_triggered:
                    o.triggered = True
                if not c.fills:
                    continue
                qty = self._size_for(book, o, budget, ts)
                if qty <= 0:
                    continue
                px = c.price_raw
                if c.slips:
                    px = self._slipped(book, o.side, px, DataKind.BAR, low, high)
                self._fill(book, o, qty, px, c.liquidity, ts)
                if budget != NO_CAP:
                    budget -= qty
            book.bar_budget_raw = budget
        if fresh is not None:
            for o in fresh:
                self._after_opportunity(book, o, ts)
        book.compact()

    def _bar_budget(self, book: InstrumentBook, bar: Bar) -> int:
        """What our fills may still take from ``bar`` (NO_CAP: no limit)."""
        if book.budget_bar is not bar:
            book.budget_bar = bar
            volume = bar.volume_raw
            ppb = self._participation_ppb
            if ppb == 0 or volume == 0:
                book.bar_budget_raw = NO_CAP
            else:
                allowed = volume * ppb // SCALE
                # down to whole lots; not allowed // lot * lot: compiled, that multiply is boxed
                book.bar_budget_raw = allowed - allowed % book.lot_raw
        return book.bar_budget_raw

    # quotes ------------------------------------------------------------------------------------
    def _match_quote(self, book: InstrumentBook, quote: QuoteTick) -> None:
        ts = quote.ts_event
        self._size_quote(book, quote)
        for o in book.orders:
            if o.closed:
                continue
            self._match_quote_order(book, o, quote, ts)
            self._after_opportunity(book, o, ts)
        book.compact()

    def _size_quote(self, book: InstrumentBook, quote: QuoteTick) -> None:
        if book.sized_quote is not quote:
            book.sized_quote = quote
            lot = book.lot_raw
            ask = quote.ask_size_raw
            bid = quote.bid_size_raw
            # down to whole lots, without the boxed multiply of ask // lot * lot
            book.ask_left_raw = ask - ask % lot if ask > 0 else NO_CAP
            book.bid_left_raw = bid - bid % lot if bid > 0 else NO_CAP

    def _match_quote_order(
        self, book: InstrumentBook, o: WorkingOrder, quote: QuoteTick, ts: int
    ) -> None:
        buy = o.is_buy
        touch = quote.ask_raw if buy else quote.bid_raw
        kind = o.order_type
        just_triggered = False
        if (kind == OrderType.STOP or kind == OrderType.STOP_LIMIT) and not o.triggered:
            if not (touch >= o.trigger_raw if buy else touch <= o.trigger_raw):
                return
            o.triggered = True
            just_triggered = True
            if kind == OrderType.STOP_LIMIT:
                self._emit_triggered(o, ts)
        slips = False
        if kind == OrderType.MARKET or kind == OrderType.STOP:
            base = touch
            slips = True
            liquidity = Liquidity.TAKER
        else:
            limit = o.price_raw
            if not (touch <= limit if buy else touch >= limit):
                return
            if o.fresh or just_triggered:
                base = touch
                liquidity = Liquidity.TAKER
            else:
                base = limit
                liquidity = Liquidity.MAKER
        available = book.ask_left_raw if buy else book.bid_left_raw
        qty = self._size_for(book, o, available, ts)
        if qty <= 0:
            return
        px = self._slipped(book, o.side, base, DataKind.QUOTE, 0, 0) if slips else base
        self._fill(book, o, qty, px, liquidity, ts)
        if available != NO_CAP:
            if buy:
                book.ask_left_raw = available - qty
            else:
                book.bid_left_raw = available - qty

    # trade ticks -------------------------------------------------------------------------------
    def _match_trade(self, book: InstrumentBook, trade: TradeTick) -> None:
        ts = trade.ts_event
        size = trade.size_raw
        ppb = self._participation_ppb
        budget = NO_CAP
        if ppb != 0 and size != 0:
            allowed = size * ppb // SCALE
            budget = allowed - allowed % book.lot_raw  # whole lots, no boxed multiply
        price = trade.price_raw
        for o in book.orders:
            if o.closed:
                continue
            budget = self._match_trade_order(book, o, price, budget, ts)
            self._after_opportunity(book, o, ts)
        book.compact()

    def _match_trade_order(
        self, book: InstrumentBook, o: WorkingOrder, print_px: int, budget: int, ts: int
    ) -> int:
        buy = o.is_buy
        kind = o.order_type
        just_triggered = False
        if (kind == OrderType.STOP or kind == OrderType.STOP_LIMIT) and not o.triggered:
            if not (print_px >= o.trigger_raw if buy else print_px <= o.trigger_raw):
                return budget
            o.triggered = True
            just_triggered = True
            if kind == OrderType.STOP_LIMIT:
                self._emit_triggered(o, ts)
        slips = False
        if kind == OrderType.MARKET or kind == OrderType.STOP:
            base = print_px
            slips = True
            liquidity = Liquidity.TAKER
        else:
            limit = o.price_raw
            if (o.fresh and o.marketable) or just_triggered:
                crossed = print_px <= limit if buy else print_px >= limit
                base = print_px
                liquidity = Liquidity.TAKER
            else:
                crossed = print_px < limit if buy else print_px > limit
                base = limit
                liquidity = Liquidity.MAKER
            if not crossed:
                return budget
        qty = self._size_for(book, o, budget, ts)
        if qty <= 0:
            return budget
        px = self._slipped(book, o.side, base, DataKind.TRADE, 0, 0) if slips else base
        self._fill(book, o, qty, px, liquidity, ts)
        return budget if budget == NO_CAP else budget - qty

    # fills and order endings -------------------------------------------------------------------
    def _size_for(self, book: InstrumentBook, o: WorkingOrder, available: int, ts: int) -> int:
        """The quantity ``o`` fills now given what the market offers; ends the order if it must."""
        leaves = o.leaves_raw
        qty = leaves
        if available != NO_CAP and available < qty:
            qty = available
        if o.reduce_only:
            cap = self._reduce_cap(o)
            if cap == 0:
                self._cancel_order(book, o, ts, self._reduce_only_reason(o))
                return 0
            if cap < qty:
                qty = cap
        if o.time_in_force == TimeInForce.FOK and qty < leaves:
            self._cancel_order(book, o, ts, FOK_UNFILLED)
            return 0
        return qty

    def _slipped(
        self, book: InstrumentBook, side: int, base: int, data: int, low: int, high: int
    ) -> int:
        adverse = self.slippage.adverse_raw(book.instrument, side, base, data)
        if adverse <= 0:
            return base
        tick = book.tick_raw
        if side > 0:
            px = -((-(base + adverse)) // tick) * tick  # up to the next tick: against a buyer
            if data == DataKind.BAR and px > high:
                px = high
        else:
            px = ((base - adverse) // tick) * tick
            if data == DataKind.BAR and px < low:
                px = low
        return px

    def _fill(
        self, book: InstrumentBook, o: WorkingOrder, qty: int, px: int, liquidity: int, ts: int
    ) -> None:
        self._trade_count += 1
        instrument = book.instrument
        fee = self.fees.fee_raw(instrument, o.side, qty, px, liquidity)
        o.filled_raw += qty
        o.position.raw += qty if o.is_buy else -qty  # not side * qty: a boxed multiply
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
            self._close(book, o, ENDED_FILLED)
        # reduce-only orders of this strategy with nothing left to reduce end now
        for other in book.orders:
            if (
                other.reduce_only
                and not other.closed
                and other.strategy_id == o.strategy_id
                and self._reduce_cap(other) == 0
            ):
                self._cancel_order(book, other, ts, self._reduce_only_reason(other))

    def _reduce_cap(self, o: WorkingOrder) -> int:
        """How much a reduce-only order may fill without growing or flipping the position."""
        pos = o.position.raw
        if o.is_buy:
            return -pos if pos < 0 else 0
        return pos if pos > 0 else 0

    def _reduce_only_reason(self, o: WorkingOrder) -> str:
        return REDUCE_ONLY_FLAT if o.position.raw == 0 else REDUCE_ONLY_SAME_SIDE

    def _after_opportunity(self, book: InstrumentBook, o: WorkingOrder, ts: int) -> None:
        """The order has met the market once: IOC/FOK end here, a limit stops being a taker."""
        if o.fresh:
            o.fresh = False
            if o.immediate and not o.closed:
                reason = FOK_UNFILLED if o.time_in_force == TimeInForce.FOK else IOC_REMAINDER
                self._cancel_order(book, o, ts, reason)

    def _cancel_order(self, book: InstrumentBook, o: WorkingOrder, ts: int, reason: str) -> None:
        self._venue.emit(
            OrderCanceled(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
                reason=reason,
            )
        )
        self._close(book, o, ENDED_CANCELED)

    def _close(self, book: InstrumentBook, o: WorkingOrder, ended: str) -> None:
        o.closed = True
        if o.client_order_id in self.working:  # not pop(id, None): a generic call compiled
            del self.working[o.client_order_id]
        self._ended[o.client_order_id] = ended
        book.dirty = True

    def _emit_triggered(self, o: WorkingOrder, ts: int) -> None:
        self._venue.emit(
            OrderTriggered(
                strategy_id=o.strategy_id,
                client_order_id=o.client_order_id,
                instrument_id=o.instrument_id,
                ts_event=ts,
            )
        )
