"""The kernel: wires clock, portfolio, risk, venues and strategies. One kernel for every mode."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Final, final

from core.book import BookDeltas, BookSnapshot, BookView, OrderBook
from core.clock import Clock, SimClock
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.context import Context
from core.enums import OrderSide, OrderStatus, StrategyStatus
from core.events import (
    Event,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderRiskDecision,
    OrderSubmitted,
    PositionChanged,
    StrategyFaulted,
    StrategyLogged,
    TimerFired,
)
from core.indicators import EMA, RSI, SMA, Indicator
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick
from core.orders import LEGAL_TRANSITIONS, IllegalOrderTransition, Order
from core.plots import PlotLine
from core.portfolio import Portfolio
from core.records import Route, StrategyRecord
from core.risk import DENIED, MODIFIED, Denial, RiskEngine, RiskResult, RiskView
from core.riskctl import RiskControl, risk_audience
from core.strategy import Strategy
from core.values import SCALE, Money, Qty
from core.venue import Venue

RUNNING: Final = StrategyStatus.RUNNING
ENGINE_ID: Final = "engine"


@final
class Kernel:
    """Market data in, commands out, events back: the same path in backtest, paper and live.

    Venue events are queued and processed after the callback that caused them returns, so a
    strategy never sees its own order's acceptance in the middle of ``on_bar``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        base_currency: str = "USD",
        risk: RiskEngine | None = None,
        keep_closed_orders: int = 10_000,
    ) -> None:
        self.clock: Clock = clock
        self._sim_clock: SimClock | None = clock if isinstance(clock, SimClock) else None
        self.portfolio: Final = Portfolio(base_currency)
        self.risk: Final = risk if risk is not None else RiskEngine()
        self._instruments: dict[str, Instrument] = {}
        self._venues: dict[str, Venue] = {}
        self._venue_list: list[Venue] = []
        self._routes: dict[str, Route] = {}
        self._last_route: Route | None = None
        self._records: dict[str, StrategyRecord] = {}
        self._orders: dict[str, Order] = {}
        self._open_orders: dict[str, Order] = {}
        # closed orders stay in memory up to a bound (the journal keeps them all); their ids
        # stay known forever so a resubmitted id can never become a second order
        self._keep_closed: Final = keep_closed_orders
        # ids of closed orders still in memory, oldest first from _closed_head (a list and an
        # index, not a deque: deque methods are generic calls in compiled code)
        self._closed_ids: list[str] = []
        self._closed_head = 0
        self._known_ids: set[str] = set()
        self.orders_submitted = 0
        self.fills_count = 0
        self._listeners: list[Callable[[Event], None]] = []
        self._indicators: dict[tuple[str, str, int], Indicator] = {}
        self._queue: list[Event] = []
        # per queued event: the order it was already applied to (None: not applied yet, or not
        # an order event), so draining does not look the order up again
        self._queue_orders: list[Order | None] = []
        self._draining = False
        self._in_callback = (
            0  # > 0 while a strategy callback runs: its events wait until it returns
        )
        self._view: Final = RiskView(self.portfolio, self._instruments, self._open_orders)
        self._watch_all = False
        self._watched_ids: set[str] = set()
        # called with each order just before it goes to the venue; a Denial stops it there
        # (the durable journal commits the order and its deduplication key here)
        self.before_send: Callable[[Order], Denial | None] | None = None
        self.control: Final = RiskControl(self)
        # (venue, trade id) of every fill booked, once tracking is on (paper and live): a fill
        # a venue or broker reports twice (a reconnect, a restart) is booked once
        self._trade_ids: set[tuple[str, str]] | None = None
        # sample the strategies' ctx.plot lines after each bar (a chart is watching)
        self.record_plots = False

    # wiring ----------------------------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> None:
        self._instruments[instrument.id] = instrument
        venue = self._venues.get(instrument.venue)
        route = self._routes.get(instrument.id)
        if route is None:
            route = Route(instrument, venue, self.portfolio.mark_cell(instrument.id))
            self._routes[instrument.id] = route
            route.watched = self._watch_all
        else:
            route.instrument = instrument
            route.venue = venue
        if venue is not None:
            venue.add_instrument(instrument)

    def instrument(self, instrument_id: str) -> Instrument:
        inst = self._instruments.get(instrument_id)
        if inst is None:
            raise KeyError(f"unknown instrument {instrument_id!r}; add it to the kernel first")
        return inst

    @property
    def instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    def add_venue(self, venue: Venue) -> None:
        """Attach a venue; instruments whose id ends in ``.<venue.name>`` route to it."""
        if venue.name in self._venues:
            raise ValueError(f"a venue named {venue.name!r} is already attached")
        venue.bind(self._enqueue, self.clock)
        self._venues[venue.name] = venue
        self._venue_list.append(venue)
        for inst in self._instruments.values():
            if inst.venue == venue.name:
                self._routes[inst.id].venue = venue
                venue.add_instrument(inst)

    def venue(self, name: str) -> Venue:
        return self._venues[name]

    def route(self, instrument_id: str, venue_name: str) -> None:
        """From now on send ``instrument_id``'s orders (and its market data) to the attached
        venue ``venue_name`` (paper -> live). Its working orders must be closed first: they
        live on the old venue."""
        route = self._routes.get(instrument_id)
        if route is None:
            raise KeyError(f"unknown instrument {instrument_id!r}; add it to the kernel first")
        venue = self._venues.get(venue_name)
        if venue is None:
            raise KeyError(f"no venue named {venue_name!r} is attached")
        for order in self._open_orders.values():
            if order.instrument_id == instrument_id:
                raise ValueError(
                    f"{instrument_id} still has working order {order.client_order_id} on "
                    f"its venue: cancel it before routing the instrument elsewhere"
                )
        if route.venue is not venue:
            route.venue = venue
            venue.add_instrument(route.instrument)

    def add_strategy(self, strategy: Strategy, allocation: Money) -> Context:
        sid = strategy.strategy_id
        if sid in self._records:
            raise ValueError(f"a strategy with id {sid!r} is already loaded")
        for iid in strategy.instrument_ids:
            self.instrument(iid)
        account = self.portfolio.open_account(sid, allocation)
        record = StrategyRecord(strategy, account)
        ctx = Context(self, record)
        strategy.attach(ctx)
        self._records[sid] = record
        for iid in strategy.instrument_ids:
            self._routes[iid].subs.append(record)
        self.risk.states[sid] = self.risk.states.get(sid, 0)
        self._refresh_watch()
        return ctx

    def set_watched(self, every_instrument: bool, strategy_ids: set[str]) -> None:
        """Which market data feeds the drawdown breakers (``core.riskctl``)."""
        self._watch_all = every_instrument
        self._watched_ids = set(strategy_ids)
        self._refresh_watch()

    def _refresh_watch(self) -> None:
        watched = self._watched_ids
        for route in self._routes.values():
            route.watched = self._watch_all or any(r.strategy_id in watched for r in route.subs)

    def shared_indicator(self, kind: str, instrument_id: str, period: int) -> Indicator:
        """An engine-maintained indicator on an instrument's bar closes, updated once per bar
        before any strategy's on_bar and shared by every strategy that asks for the same one
        (a parameter sweep of 90 SMA pairs computes 20 SMAs, not 180)."""
        self.instrument(instrument_id)
        key = (kind, instrument_id, period)
        indicator = self._indicators.get(key)
        if indicator is None:
            if kind == "sma":
                indicator = SMA(period)
            elif kind == "ema":
                indicator = EMA(period)
            elif kind == "rsi":
                indicator = RSI(period)
            else:
                raise ValueError(f"unknown shared indicator {kind!r}; use sma, ema or rsi")
            self._indicators[key] = indicator
            self._routes[instrument_id].indicators.append(indicator)
        return indicator

    def add_plot(
        self, strategy_id: str, name: str, source: Indicator, instrument_id: str
    ) -> PlotLine:
        """Chart ``source`` as the line ``name`` of the strategy, sampled at each bar of
        ``instrument_id``. Declaring a name again (on_start after a mode switch) keeps the
        samples and takes the new source."""
        record = self.record(strategy_id)
        route = self._routes.get(instrument_id)
        if route is None:
            raise KeyError(f"unknown instrument {instrument_id!r}; add it to the kernel first")
        for line in record.plots:
            if line.name == name and line.instrument_id == instrument_id:
                line.source = source
                return line
        line = PlotLine(strategy_id, name, instrument_id, source)
        record.plots.append(line)
        route.plots.append(line)
        return line

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.remove(listener)

    def record(self, strategy_id: str) -> StrategyRecord:
        record = self._records.get(strategy_id)
        if record is None:
            raise KeyError(f"no strategy {strategy_id!r} is loaded")
        return record

    @property
    def records(self) -> list[StrategyRecord]:
        return list(self._records.values())

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every strategy that is not running yet (faulted ones stay halted)."""
        for record in list(self._records.values()):
            if record.status == StrategyStatus.READY or record.status == StrategyStatus.STOPPED:
                record.status = RUNNING
                try:
                    self._in_callback += 1
                    record.strategy.on_start()
                except Exception as exc:
                    self._fault(record, exc)
                finally:
                    self._in_callback -= 1
        self._drain()

    def stop(self) -> None:
        for record in list(self._records.values()):
            if record.status == RUNNING:
                try:
                    self._in_callback += 1
                    record.strategy.on_stop()
                except Exception as exc:
                    self._fault(record, exc)
                finally:
                    self._in_callback -= 1
                if record.status == RUNNING:
                    record.status = StrategyStatus.STOPPED
        self._drain()

    def switch_clock(self, clock: Clock) -> None:
        """Move to another clock (backtest -> paper): venues rebind; repeating strategy timers
        carry over with their interval, next due one interval after the new clock's now;
        one-shot alerts belonged to the old timeline and are dropped."""
        old = self.clock
        self.clock = clock
        self._sim_clock = clock if isinstance(clock, SimClock) else None
        for name, owner, interval_ns in old.export_timers():
            clock.set_timer(name, owner, interval_ns)
        for venue in self._venues.values():
            venue.bind(self._enqueue, clock)

    # market data -----------------------------------------------------------------------------
    def advance_time(self, ts_ns: int) -> None:
        """Fire due timers and let venues deliver delayed messages up to ``ts_ns``."""
        self._enter(ts_ns, None)

    def _enter(self, ts_ns: int, data_venue: Venue | None) -> None:
        """Move to ``ts_ns``: timers first, then every venue but the one about to receive
        market data (which catches up on its own when it gets the data)."""
        clock = self.clock
        sim = self._sim_clock
        due = clock.next_timer_ns
        if due != 0 and due <= ts_ns:
            self._fire_timers(ts_ns)
        if sim is not None:
            sim.set_time(ts_ns)
        venues = self._venue_list
        if len(venues) != 1 or venues[0] is not data_venue:  # the common case needs no loop
            for venue in venues:
                if venue is not data_venue:
                    venue.on_time(ts_ns)
        if self._queue:
            self._drain()

    def _fire_timers(self, ts_ns: int) -> None:
        clock = self.clock
        sim = self._sim_clock
        while clock.next_timer_ns != 0 and clock.next_timer_ns <= ts_ns:
            fired = clock.pop_next(ts_ns)  # one at a time: callbacks may cancel or add timers
            if fired is None:
                break
            if sim is not None and fired.ts_event > sim.now_ns():
                sim.set_time(fired.ts_event)  # a late alert must not move the clock back
            self._dispatch_timer(fired)

    def on_bar(self, bar: Bar) -> None:
        route = self._last_route  # inlined _route_of: bars come in runs of one instrument
        if route is None or route.instrument.id != bar.instrument_id:
            route = self._route_of(bar.instrument_id)
        venue = route.venue
        self.portfolio.seq += 1
        self._enter(bar.ts_event, venue)
        if venue is not None:
            venue.on_bar(bar)
        mark = route.mark
        mark.raw = bar.close_raw
        mark.known = True
        if self._queue:
            self._drain()
        if route.watched:
            self.control.watch(route.subs, bar.ts_event)
        if route.indicators:
            close = bar.close_raw / SCALE
            for indicator in route.indicators:
                indicator.update(close)
        # one callback guard around the loop, not per strategy (a sweep runs dozens per bar)
        self._in_callback += 1
        try:
            for record in route.subs:
                if record.status != RUNNING:
                    continue
                if record.history_len > 0:
                    record.append_bar(bar)
                try:
                    record.strategy.on_bar(bar)
                except Exception as exc:
                    self._fault(record, exc)
                if self._queue:
                    self._drain()
        finally:
            self._in_callback -= 1
        if self.record_plots and route.plots:
            for line in route.plots:
                line.sample(bar.ts_event)

    def on_quote(self, quote: QuoteTick) -> None:
        route = self._route_of(quote.instrument_id)
        venue = route.venue
        self.portfolio.seq += 1
        self._enter(quote.ts_event, venue)
        if venue is not None:
            venue.on_quote(quote)
        mark = route.mark
        mark.raw = (quote.bid_raw + quote.ask_raw) // 2
        mark.known = True
        if self._queue:
            self._drain()
        if route.watched:
            self.control.watch(route.subs, quote.ts_event)
        self._in_callback += 1
        try:
            for record in route.subs:
                if record.status != RUNNING:
                    continue
                try:
                    record.strategy.on_quote(quote)
                except Exception as exc:
                    self._fault(record, exc)
                if self._queue:
                    self._drain()
        finally:
            self._in_callback -= 1

    def on_trade(self, tick: TradeTick) -> None:
        route = self._route_of(tick.instrument_id)
        venue = route.venue
        self.portfolio.seq += 1
        self._enter(tick.ts_event, venue)
        if venue is not None:
            venue.on_trade(tick)
        mark = route.mark
        mark.raw = tick.price_raw
        mark.known = True
        if self._queue:
            self._drain()
        if route.watched:
            self.control.watch(route.subs, tick.ts_event)
        self._in_callback += 1
        try:
            for record in route.subs:
                if record.status != RUNNING:
                    continue
                try:
                    record.strategy.on_trade_tick(tick)
                except Exception as exc:
                    self._fault(record, exc)
                if self._queue:
                    self._drain()
        finally:
            self._in_callback -= 1

    def on_book_rows(
        self,
        instrument_id: str,
        ts: int,
        sequence: int,
        sides: list[int],
        prices: list[int],
        sizes: list[int],
        start: int,
        end: int,
    ) -> None:
        """One venue update of an L2 book as rows ``start..end`` of columns (the replay's BOOK
        chunks): each row is one market event; the venue and the strategies see the book once,
        after the whole update."""
        route = self._route_of(instrument_id)
        book = route.book
        if book is None:
            book = self._make_book(route)
        self.portfolio.seq += end - start
        # arrivals due by now meet the book as it was before this update
        self._enter(ts, None)
        book.apply_rows(sides, prices, sizes, start, end, sequence, ts)
        self._book_updated(route, book, ts)

    def on_book(self, update: BookDeltas | BookSnapshot) -> None:
        """One L2 update as an object (live feeds, tests): a batch of deltas or a snapshot."""
        route = self._route_of(update.instrument_id)
        book = route.book
        if book is None:
            book = self._make_book(route)
        ts = update.ts_event
        if isinstance(update, BookSnapshot):
            self.portfolio.seq += max(1, len(update.bids) + len(update.asks))
            self._enter(ts, None)
            book.apply_snapshot(update)
        else:
            self.portfolio.seq += max(1, len(update.deltas))
            self._enter(ts, None)
            book.apply_deltas(update)
        self._book_updated(route, book, ts)

    def book_view(self, instrument_id: str) -> BookView | None:
        """The kernel's L2 book of an instrument, read-only (None before any book data)."""
        return self._route_of(instrument_id).book_view

    def _make_book(self, route: Route) -> OrderBook:
        book = OrderBook(route.instrument.id)
        route.book = book
        route.book_view = BookView(book)
        return book

    def _book_updated(self, route: Route, book: OrderBook, ts: int) -> None:
        venue = route.venue
        if venue is not None:
            venue.on_book(book)
        bid = book.best_bid_raw()
        ask = book.best_ask_raw()
        if bid != 0 and ask != 0:
            mark = route.mark
            mark.raw = (bid + ask) // 2
            mark.known = True
        if self._queue:
            self._drain()
        if route.watched:
            self.control.watch(route.subs, ts)
        view = route.book_view
        if view is None:
            return
        self._in_callback += 1
        try:
            for record in route.subs:
                if record.status != RUNNING:
                    continue
                try:
                    record.strategy.on_book(view)
                except Exception as exc:
                    self._fault(record, exc)
                if self._queue:
                    self._drain()
        finally:
            self._in_callback -= 1

    def on_data(self, data: Bar | QuoteTick | TradeTick | BookDeltas | BookSnapshot) -> None:
        """Any market-data object (live feeds); backtests call the typed entry points."""
        if isinstance(data, Bar):
            self.on_bar(data)
        elif isinstance(data, QuoteTick):
            self.on_quote(data)
        elif isinstance(data, TradeTick):
            self.on_trade(data)
        else:
            self.on_book(data)

    def _route_of(self, instrument_id: str) -> Route:
        last = self._last_route
        if last is not None and last.instrument.id == instrument_id:
            return last  # feeds come in runs of one instrument: skip the dict lookup
        route = self._routes.get(instrument_id)
        if route is None:
            raise KeyError(f"market data for unknown instrument {instrument_id!r}")
        self._last_route = route
        return route

    # commands --------------------------------------------------------------------------------
    def submit(self, cmd: SubmitOrder) -> Order:
        """Risk step, then the venue. Resubmitting a known client order id returns that order
        and sends nothing."""
        return self._submit(cmd, False)

    def submit_flatten(self, cmd: SubmitOrder) -> Order:
        """The kill switch's closing orders (reduce-only, market): they pass the trading state
        and the rules, which exist to stop risk growing; the order checks of the instrument
        (lots, reduce-only) and the journal's pre-send record still apply."""
        return self._submit(cmd, True)

    def _submit(self, cmd: SubmitOrder, flatten: bool) -> Order:
        coid = cmd.client_order_id
        if coid in self._known_ids:
            existing = self._orders.get(coid)
            if existing is not None and existing.strategy_id != cmd.strategy_id:
                raise ValueError(
                    f"client order id {coid} belongs to strategy {existing.strategy_id}"
                )
            state = existing.status_name() if existing is not None else "closed"
            self.log(cmd.strategy_id, "WARNING", f"duplicate submit of {coid} ignored ({state})")
            if existing is not None:
                return existing
            raise ValueError(f"order {coid} was already submitted and is closed")
        record = self.record(cmd.strategy_id)
        route = self._routes.get(cmd.instrument_id)  # one lookup: instrument and venue
        denial = self._pre_trade_denial(cmd, record, route)
        result: RiskResult | None = None
        if denial is None and not flatten:
            result = self.risk.check_submit(cmd, self._view)
            if result is not None:
                adjusted = result.cmd
                if adjusted is None:
                    denial = Denial(result.rule, result.reason)
                else:
                    cmd = adjusted
        order = Order(cmd)
        self._orders[coid] = order
        self._known_ids.add(coid)
        self.orders_submitted += 1
        before_send = self.before_send
        if denial is None and before_send is not None:
            denial = before_send(order)
        ts = self.clock.now_ns()
        if record.wants_risk or self._listeners:
            if denial is not None:
                self._decision(cmd, ts, "submit", DENIED, denial.rule, denial.reason)
            elif result is not None:
                self._decision(cmd, ts, "submit", MODIFIED, result.rule, result.reason)
            elif flatten:
                self._decision(cmd, ts, "submit", "approved", "kill_switch", "flatten on kill")
            else:
                self._decision(cmd, ts, "submit", "approved", "", "")
        if denial is not None:
            self._apply_now(
                order,
                OrderDenied(
                    strategy_id=cmd.strategy_id,
                    client_order_id=cmd.client_order_id,
                    instrument_id=cmd.instrument_id,
                    ts_event=ts,
                    rule=denial.rule,
                    reason=denial.reason,
                ),
            )
        else:
            self._apply_now(
                order,
                OrderSubmitted(
                    strategy_id=cmd.strategy_id,
                    client_order_id=cmd.client_order_id,
                    instrument_id=cmd.instrument_id,
                    ts_event=ts,
                ),
            )
            self._open_orders[cmd.client_order_id] = order
            try:
                self._venue_on(route, cmd.instrument_id).submit(cmd)
            except Exception as venue_error:  # the venue's fault, not the strategy's
                self._apply_now(
                    order,
                    OrderRejected(
                        strategy_id=cmd.strategy_id,
                        client_order_id=coid,
                        instrument_id=cmd.instrument_id,
                        ts_event=ts,
                        reason=f"venue error: {type(venue_error).__name__}: {venue_error}",
                    ),
                )
        if not self._draining and self._in_callback == 0:
            self._drain()
        return order

    def _decision(
        self, cmd: SubmitOrder, ts: int, action: str, decision: str, rule: str, reason: str
    ) -> None:
        self._queue.append(
            OrderRiskDecision(
                strategy_id=cmd.strategy_id,
                client_order_id=cmd.client_order_id,
                instrument_id=cmd.instrument_id,
                ts_event=ts,
                action=action,
                decision=decision,
                rule=rule,
                reason=reason,
                qty=cmd.qty,
            )
        )
        self._queue_orders.append(None)

    def cancel(self, cmd: CancelOrder) -> bool:
        order = self._orders.get(cmd.client_order_id)
        if order is None:
            raise KeyError(f"unknown order {cmd.client_order_id!r}")
        if not order.is_open or order.status == OrderStatus.PENDING_CANCEL:
            return False
        self._apply_now(
            order,
            OrderPendingCancel(
                strategy_id=order.strategy_id,
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=self.clock.now_ns(),
            ),
        )
        self._venue_of(order.instrument_id).cancel(cmd)
        if not self._draining and self._in_callback == 0:
            self._drain()
        return True

    def modify(self, cmd: ModifyOrder) -> bool:
        order = self._orders.get(cmd.client_order_id)
        if order is None:
            raise KeyError(f"unknown order {cmd.client_order_id!r}")
        if OrderStatus.PENDING_UPDATE not in LEGAL_TRANSITIONS[order.status]:
            return False  # not accepted yet, already being modified, canceling or closed
        inst = self.instrument(order.instrument_id)
        for px in (cmd.price, cmd.trigger_price):
            if px is not None and not inst.is_on_tick(px):
                raise ValueError(f"{px} is not on the {inst.tick_size} tick grid of {inst.id}")
        if cmd.qty is not None and not inst.is_on_lot(cmd.qty):
            raise ValueError(f"{cmd.qty} is not a whole number of {inst.lot_size} lots")
        cmd_checked = self._risk_check_modify(order, cmd)
        if cmd_checked is None:
            if not self._draining and self._in_callback == 0:
                self._drain()
            return False
        cmd = cmd_checked
        self._apply_now(
            order,
            OrderPendingUpdate(
                strategy_id=order.strategy_id,
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_event=self.clock.now_ns(),
            ),
        )
        self._venue_of(order.instrument_id).modify(cmd)
        if not self._draining and self._in_callback == 0:
            self._drain()
        return True

    def _risk_check_modify(self, order: Order, cmd: ModifyOrder) -> ModifyOrder | None:
        """The risk step for a modify: checked as the order it would leave working (its
        remaining quantity at the new terms). None: denied (the decision event says why)."""
        total_raw = cmd.qty.raw if cmd.qty is not None else order.qty.raw
        leaves = total_raw - order.filled_qty_raw
        if leaves <= 0:
            return cmd  # the venue refuses a quantity below what already filled
        after = SubmitOrder(
            strategy_id=order.strategy_id,
            client_order_id=order.client_order_id,
            instrument_id=order.instrument_id,
            side=order.side,
            order_type=order.order_type,
            qty=Qty(leaves),
            price=cmd.price if cmd.price is not None else order.price,
            trigger_price=cmd.trigger_price
            if cmd.trigger_price is not None
            else order.trigger_price,
            time_in_force=order.time_in_force,
            reduce_only=order.reduce_only,
            ts_init=cmd.ts_init,
            dedup_key=order.dedup_key,
        )
        record = self._records[order.strategy_id]
        result = self.risk.check_modify(order, after, self._view)
        ts = self.clock.now_ns()
        tell = record.wants_risk or len(self._listeners) > 0
        if result is None:
            if tell:
                self._decision(after, ts, "modify", "approved", "", "")
            return cmd
        adjusted = result.cmd
        if adjusted is None:
            if tell:
                self._decision(after, ts, "modify", DENIED, result.rule, result.reason)
            return None
        if tell:
            self._decision(adjusted, ts, "modify", MODIFIED, result.rule, result.reason)
        return ModifyOrder(
            strategy_id=cmd.strategy_id,
            client_order_id=cmd.client_order_id,
            instrument_id=cmd.instrument_id,
            ts_init=cmd.ts_init,
            qty=Qty(adjusted.qty.raw + order.filled_qty_raw),
            price=cmd.price,
            trigger_price=cmd.trigger_price,
        )

    def cancel_all(self, strategy_id: str) -> int:
        count = 0
        for order in self.open_orders_of(strategy_id, ""):
            if self.cancel(
                CancelOrder(
                    strategy_id=strategy_id,
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    ts_init=self.clock.now_ns(),
                )
            ):
                count += 1
        return count

    def restore_order(self, order: Order) -> None:
        """After a restart: take over a working order rebuilt from the journal. Its venue gets
        it back (``Venue.restore``); its strategy's client order ids go on after its number."""
        coid = order.client_order_id
        if coid in self._orders:
            raise ValueError(f"order {coid} is already in this kernel")
        if not order.is_open:
            raise ValueError(f"order {coid} is {order.status_name()}: only working orders return")
        record = self.record(order.strategy_id)
        self.remember_order_ids(order.strategy_id, [coid])
        self._orders[coid] = order
        self._open_orders[coid] = order
        pos = record.account.positions.get(order.instrument_id)
        self._venue_of(order.instrument_id).restore(order, 0 if pos is None else pos.signed_qty_raw)

    def remember_order_ids(self, strategy_id: str, client_order_ids: list[str]) -> None:
        """After a restart: ids the journal holds are never used again, and the strategy's own
        numbering goes on after the highest of them."""
        record = self.record(strategy_id)
        prefix = strategy_id + "-"
        for coid in client_order_ids:
            self._known_ids.add(coid)
            if coid.startswith(prefix) and coid[len(prefix) :].isdigit():
                record.continue_numbering(int(coid[len(prefix) :]))

    def order(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    @property
    def orders(self) -> list[Order]:
        """Working orders and the most recent closed ones (see ``keep_closed_orders``)."""
        return list(self._orders.values())

    def open_orders_of(self, strategy_id: str, instrument_id: str) -> list[Order]:
        return [
            o
            for o in self._open_orders.values()
            if o.strategy_id == strategy_id
            and (not instrument_id or o.instrument_id == instrument_id)
        ]

    def emit(self, event: Event) -> None:
        """Queue an engine event (risk controls) and process it unless a callback is running."""
        self._queue.append(event)
        self._queue_orders.append(None)
        self.drain_now()

    def drain_now(self) -> None:
        if not self._draining and self._in_callback == 0:
            self._drain()

    def log(self, source: str, level: str, message: str) -> None:
        if self._listeners:
            self._publish(
                StrategyLogged(
                    strategy_id=source, ts_event=self.clock.now_ns(), level=level, message=message
                )
            )

    # internals -------------------------------------------------------------------------------
    def _venue_of(self, instrument_id: str) -> Venue:
        return self._venue_on(self._routes.get(instrument_id), instrument_id)

    @staticmethod
    def _venue_on(route: Route | None, instrument_id: str) -> Venue:
        venue = route.venue if route is not None else None
        if venue is None:
            raise KeyError(f"no venue is attached for {instrument_id}")
        return venue

    def _pre_trade_denial(
        self, cmd: SubmitOrder, record: StrategyRecord, route: Route | None
    ) -> Denial | None:
        if record.status != RUNNING:
            return Denial(
                "strategy_state", f"strategy {record.strategy_id} is {record.status_name}"
            )
        if route is None:  # every known instrument has a route
            return Denial("instrument", f"unknown instrument {cmd.instrument_id}")
        if route.venue is None:
            return Denial("instrument", f"no venue is attached for {cmd.instrument_id}")
        inst = route.instrument
        if not inst.is_on_lot(cmd.qty) or cmd.qty.raw < inst.min_qty.raw:
            return Denial(
                "instrument",
                f"quantity {cmd.qty} is not a whole number of {inst.lot_size} lots "
                f"(minimum {inst.min_qty})",
            )
        if cmd.price is not None or cmd.trigger_price is not None:  # no tuple for market orders
            for px in (cmd.price, cmd.trigger_price):
                if px is not None and not inst.is_on_tick(px):
                    return Denial(
                        "instrument", f"price {px} is not on the {inst.tick_size} tick grid"
                    )
        if cmd.reduce_only:
            pos = record.account.position(inst).signed_qty_raw
            if pos == 0 or (pos > 0) == (cmd.side == OrderSide.BUY):
                return Denial("reduce_only", "a reduce-only order must shrink an open position")
            if cmd.qty.raw > abs(pos):
                return Denial("reduce_only", f"{cmd.qty} is more than the {Qty(abs(pos))} held")
        return None

    def _closed(self, order: Order) -> None:
        coid = order.client_order_id
        if coid in self._open_orders:  # not pop(coid, None): a generic method call compiled
            del self._open_orders[coid]
        closed = self._closed_ids
        closed.append(coid)
        head = self._closed_head
        if len(closed) - head > self._keep_closed:
            del self._orders[closed[head]]  # only this removes orders, each closes once
            head += 1
            if head >= 1024 and head * 2 >= len(closed):
                del closed[:head]  # forget evicted ids in batches, not one at a time
                head = 0
            self._closed_head = head

    def track_trade_ids(self, known: list[tuple[str, str]]) -> None:
        """Book each (venue, trade id) once from now on; ``known`` were booked before."""
        if self._trade_ids is None:
            self._trade_ids = set()
        self._trade_ids.update(known)

    def _enqueue(self, event: Event) -> None:
        """Venue events move their order on arrival, so the event stream is in applied order."""
        seen = self._trade_ids
        if seen is not None and isinstance(event, OrderFilled):
            key = (event.instrument_id.rpartition(".")[2], event.trade_id)
            if key in seen:
                self.log(ENGINE_ID, "WARNING", f"duplicate fill ignored: {event.describe()}")
                return
            seen.add(key)
        if isinstance(event, OrderEvent):
            order = self._orders.get(event.client_order_id)
            if order is not None:
                was_closed = order.is_closed
                try:
                    order.apply(event)
                except IllegalOrderTransition as illegal:
                    self.log(ENGINE_ID, "ERROR", f"venue event refused: {illegal}")
                    return
                if order.is_closed and not was_closed:
                    self._closed(order)
                self._queue.append(event)
                self._queue_orders.append(order)
                return
        self._queue.append(event)
        self._queue_orders.append(None)

    def _apply_now(self, order: Order, event: OrderEvent) -> None:
        """Kernel-made events change the order at once; the strategy hears of them in order."""
        order.apply(event)
        if order.is_closed:
            self._closed(order)
        self._queue.append(event)
        self._queue_orders.append(order)

    def _drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        queue = self._queue
        orders = self._queue_orders
        i = 0
        try:
            while i < len(queue):
                event = queue[i]
                applied_to = orders[i]
                i += 1
                if isinstance(event, OrderEvent):
                    self._process_order_event(event, applied_to)
                else:
                    self._publish(event)
                    self._deliver_risk(event)
        finally:
            if i == len(queue):  # the usual case: clear() builds no slice object
                queue.clear()
                orders.clear()
            else:  # a listener raised: what was not processed stays queued
                del queue[:i]
                del orders[:i]
            self._draining = False

    def _process_order_event(self, event: OrderEvent, applied_to: Order | None) -> None:
        order = applied_to
        if order is None or order.is_closed:
            # not applied yet, or closed and maybe evicted (keep_closed_orders) since: then the
            # event is dropped like one for an unknown order
            order = self._orders.get(event.client_order_id)
        if order is None:
            self.log(ENGINE_ID, "ERROR", f"event for unknown order ignored: {event.describe()}")
            return
        if applied_to is None:
            was_closed = order.is_closed
            try:
                order.apply(event)
            except IllegalOrderTransition as illegal:
                self.log(ENGINE_ID, "ERROR", f"venue event refused: {illegal}")
                return
            if order.is_closed and not was_closed:
                self._closed(order)
        record = self._records[order.strategy_id]
        if isinstance(event, OrderFilled):
            self.fills_count += 1
            inst = self._instruments[order.instrument_id]
            mark = self.portfolio.mark_cell(inst.id)
            if not mark.known:  # a fill before any market data: its price is the first mark
                mark.raw = event.last_px.raw
                mark.known = True
            fee_raw = event.fee.raw
            if fee_raw != 0 and event.fee.currency != record.account.currency:
                self.log(
                    ENGINE_ID,
                    "ERROR",
                    f"fee {event.fee} of {event.trade_id} is not in "
                    f"{record.account.currency}: the adapter must convert it; not booked",
                )
                fee_raw = 0
            pos, _ = record.account.apply_fill(
                inst,
                event.side,
                event.last_qty.raw,
                event.last_px.raw,
                fee_raw,
                event.ts_event,
            )
            if self._listeners:
                self._publish(event)
                self._publish(
                    PositionChanged(
                        strategy_id=record.strategy_id,
                        instrument_id=inst.id,
                        ts_event=event.ts_event,
                        signed_qty_raw=pos.signed_qty_raw,
                        avg_px=pos.avg_px(),
                        realized_pnl=Money(pos.realized_raw, record.account.currency),
                    )
                )
            if record.status == RUNNING:
                try:
                    record.strategy.on_order_event(event)
                    record.strategy.on_fill(event)
                except Exception as exc:
                    self._fault(record, exc)
            return
        if self._listeners:
            self._publish(event)
        if record.status == RUNNING:
            try:
                record.strategy.on_order_event(event)
            except Exception as exc:
                self._fault(record, exc)

    def _deliver_risk(self, event: Event) -> None:
        """A risk event to the strategies it concerns that listen (``on_risk_event``)."""
        if isinstance(event, OrderRiskDecision):
            record = self._records.get(event.strategy_id)
            targets = [record] if record is not None else []
        else:
            audience = risk_audience(event)
            if audience is None:
                return
            targets = list(self._records.values()) if not audience else []
            if audience:
                found = self._records.get(audience)
                if found is not None:
                    targets.append(found)
        for record in targets:
            if record.wants_risk and record.status == RUNNING:
                try:
                    self._in_callback += 1
                    record.strategy.on_risk_event(event)
                except Exception as exc:
                    self._fault(record, exc)
                finally:
                    self._in_callback -= 1

    def _dispatch_timer(self, fired: TimerFired) -> None:
        record = self._records.get(fired.owner)
        if record is None or record.status != RUNNING:
            return
        prefix = len(record.strategy_id) + 1
        event = TimerFired(name=fired.name[prefix:], ts_event=fired.ts_event, owner=fired.owner)
        try:
            self._in_callback += 1
            record.strategy.on_timer(event)
        except Exception as exc:
            self._fault(record, exc)
        finally:
            self._in_callback -= 1
        if self._queue:
            self._drain()

    def _fault(self, record: StrategyRecord, exc: Exception) -> None:
        """Contain user code: halt the strategy, cancel its orders and timers, report why."""
        record.status = StrategyStatus.FAULTED
        fault = StrategyFaulted(
            strategy_id=record.strategy_id,
            ts_event=self.clock.now_ns(),
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
        record.fault = fault
        self.clock.cancel_timers_of(record.strategy_id)
        self._queue.append(fault)
        self._queue_orders.append(None)
        self.cancel_all(record.strategy_id)

    def _publish(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)
