"""A trading session: one kernel, its instruments, venues and strategies, run in a mode.

The session is what the CLI and the desktop app drive. A backtest replays historical series on
a simulated clock; ``switch_to_paper`` moves the *same* kernel (same strategy objects, state,
positions and working orders on the same simulated venue) onto the wall clock, where a live
feed drives it. Only the clock and the feed change between modes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Event as StopFlag
from typing import Protocol

import numpy as np

from core import COMPILED, __version__
from core.clock import Clock, LiveClock, SimClock
from core.commands import CancelOrder, SubmitOrder
from core.equity import rebuild_equity, sample_points, timeline_of
from core.events import OrderAccepted, OrderSubmitted
from core.feeds import HistoricalFeed, Series
from core.instruments import Instrument
from core.kernel import Kernel
from core.live import LiveFeed, run_live
from core.metrics import Metrics, compute_metrics
from core.orders import Order
from core.portfolio import RoundTrip
from core.replay import Replayer
from core.risk import RiskEngine
from core.strategy import Strategy
from core.values import Money, Price, Qty
from core.venue import Venue

BACKTEST = "backtest"
PAPER = "paper"
LIVE = "live"

Progress = Callable[[int, int], None]  # (events done, events total)


class Pacer(Protocol):
    """Paces a visual replay: the run dispatches the events up to ``until()`` (event time, -1:
    no limit), then calls ``wait()`` before the next slice. The GUI's pacer also pauses, steps
    and changes speed while the run goes on."""

    def until(self) -> int: ...

    def wait(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class BacktestResult:
    """What a backtest produced; numbers come from the same metrics code for CLI, GUI, bench."""

    metrics: Metrics
    round_trips: list[RoundTrip]
    equity_ts: np.ndarray
    equity_raw: np.ndarray
    events: int
    orders: int
    fills: int
    wall_s: float
    compiled: bool
    engine_version: str
    canceled: bool
    per_strategy: dict[str, Metrics]


class LiveSwitchError(RuntimeError):
    """Switching to live was refused; the message says why, in one line (the GUI shows it)."""


class BrokerOrderView(Protocol):
    """One open order as a broker reports it (``client_order_id``: ours, "" if not ours)."""

    @property
    def venue_order_id(self) -> str: ...
    @property
    def client_order_id(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> int: ...
    @property
    def order_type(self) -> int: ...
    @property
    def time_in_force(self) -> int: ...
    @property
    def qty(self) -> Qty: ...
    @property
    def filled_qty(self) -> Qty: ...
    @property
    def price(self) -> Price | None: ...
    @property
    def trigger_price(self) -> Price | None: ...


@dataclass(frozen=True, kw_only=True)
class BrokerSnapshot:
    """What the broker holds: net positions by symbol (signed raw quantity), open orders."""

    positions: dict[str, int]
    open_orders: Sequence[BrokerOrderView]


class LiveBroker(Protocol):
    """A broker adapter (also a ``Venue``): log in, tell what it holds, log to the kernel."""

    @property
    def name(self) -> str: ...

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def snapshot(self) -> BrokerSnapshot: ...

    def attach_kernel(self, kernel: Kernel) -> None: ...


class TradingSession:
    """Builds and owns the kernel. Modes swap the clock and the feed, nothing else."""

    def __init__(
        self,
        *,
        instruments: Sequence[Instrument],
        venues: Sequence[Venue],
        base_currency: str = "USD",
        risk: RiskEngine | None = None,
    ) -> None:
        self.clock: Clock = SimClock()
        self.kernel = Kernel(self.clock, base_currency=base_currency, risk=risk)
        for inst in instruments:
            self.kernel.add_instrument(inst)
        for venue in venues:
            self.kernel.add_venue(venue)
        self.mode = BACKTEST
        self._starting_equity_raw = 0

    def add_strategy(self, strategy: Strategy, allocation: Money) -> None:
        self.kernel.add_strategy(strategy, allocation)
        self._starting_equity_raw += allocation.raw

    # backtest -------------------------------------------------------------------------------
    def run_backtest(
        self,
        series: Sequence[Series],
        *,
        equity_every_ns: int = 0,
        speed: float = 0.0,
        progress: Progress | None = None,
        stop: StopFlag | None = None,
        periods_per_year: int = 252,
        chunk_size: int = 65_536,
        per_strategy: bool = False,
        pacer: Pacer | None = None,
    ) -> BacktestResult:
        """Replay ``series`` through the strategies as fast as possible (``speed`` 0) or paced
        at ``speed`` x event time (visual replay), or as ``pacer`` says. ``stop`` cancels
        between slices."""
        if self.mode != BACKTEST:
            raise RuntimeError(f"this session is in {self.mode} mode; backtests run first")
        if not isinstance(self.clock, SimClock):
            raise RuntimeError("a backtest needs the simulated clock")
        started = time.perf_counter()  # wall time only measures the run; events carry their own
        # The replay allocates millions of short-lived acyclic objects; the cyclic collector
        # would rescan the heap over and over (about 12 % of a 1M-bar run), so it waits.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._replay(
                series,
                equity_every_ns,
                speed,
                progress,
                stop,
                periods_per_year,
                chunk_size,
                per_strategy,
                started,
                pacer,
            )
        finally:
            if gc_was_enabled:
                gc.enable()

    def _replay(
        self,
        series: Sequence[Series],
        equity_every_ns: int,
        speed: float,
        progress: Progress | None,
        stop: StopFlag | None,
        periods_per_year: int,
        chunk_size: int,
        per_strategy: bool,
        started: float,
        given_pacer: Pacer | None,
    ) -> BacktestResult:
        feed = HistoricalFeed(series, chunk_size)
        total = len(feed)
        self.kernel.start()
        replayer = Replayer(self.kernel)
        canceled = False
        pacer: Pacer | None = given_pacer
        if pacer is None and speed > 0:
            pacer = _Pacer(speed, feed.first_ts)
        for chunks, order in feed:
            if order is None:
                chunk = chunks[0]
                while chunk.pos < len(chunk):
                    if stop is not None and stop.is_set():
                        canceled = True
                        break
                    replayer.replay(chunk, pacer.until() if pacer is not None else -1)
                    if pacer is not None:
                        pacer.wait()
                    if progress is not None:
                        progress(replayer.events, total)
            else:
                j = 0
                while j < len(order):
                    if stop is not None and stop.is_set():
                        canceled = True
                        break
                    j = replayer.replay_merged(
                        chunks, order, j, pacer.until() if pacer is not None else -1
                    )
                    if pacer is not None:
                        pacer.wait()
                    if progress is not None:
                        progress(replayer.events, total)
            if canceled:
                break
        wall = time.perf_counter() - started
        return self._result(
            series, replayer, wall, canceled, periods_per_year, equity_every_ns, per_strategy
        )

    def _result(
        self,
        series: Sequence[Series],
        replayer: Replayer,
        wall: float,
        canceled: bool,
        periods_per_year: int,
        equity_every_ns: int,
        per_strategy: bool,
    ) -> BacktestResult:
        kernel = self.kernel
        accounts = list(kernel.portfolio.accounts.values())
        timeline = timeline_of(series, replayer.events)
        points = sample_points(timeline, equity_every_ns)
        equity_ts = timeline.ts[points]
        multipliers = {inst.id: inst.multiplier for inst in kernel.instruments}
        curves = [rebuild_equity(timeline, a.ledger, multipliers, points) for a in accounts]
        first_ts = int(timeline.ts[0]) if len(timeline) else 0
        span = max(replayer.last_ts - first_ts, 1)
        in_market = [a.time_in_market_ns(replayer.last_ts) for a in accounts]
        trips: list[RoundTrip] = []
        for account in accounts:
            trips.extend(account.round_trips)
        trips.sort(key=lambda t: (t.exit_ts, t.entry_ts, t.strategy_id, t.instrument_id))
        equity_raw = _as_int64(sum(curves[1:], curves[0]) if curves else np.zeros(len(points)))
        metrics = compute_metrics(
            equity_ts=equity_ts,
            equity_raw=equity_raw,
            starting_equity_raw=self._starting_equity_raw,
            round_trips=trips,
            fees_raw=sum(a.fees_raw for a in accounts),
            turnover_raw=sum(a.turnover_raw for a in accounts),
            exposure=min(1.0, sum(in_market) / (span * max(len(accounts), 1))),
            currency=kernel.portfolio.base_currency,
            periods_per_year=periods_per_year,
        )
        by_strategy: dict[str, Metrics] = {}
        if per_strategy:
            for account, curve, held in zip(accounts, curves, in_market, strict=True):
                by_strategy[account.strategy_id] = compute_metrics(
                    equity_ts=equity_ts,
                    equity_raw=_as_int64(curve),
                    starting_equity_raw=account.allocation_raw,
                    round_trips=account.round_trips,
                    fees_raw=account.fees_raw,
                    turnover_raw=account.turnover_raw,
                    exposure=min(1.0, held / span),
                    currency=account.currency,
                    periods_per_year=periods_per_year,
                )
        return BacktestResult(
            metrics=metrics,
            round_trips=trips,
            equity_ts=equity_ts,
            equity_raw=equity_raw,
            events=replayer.events,
            orders=kernel.orders_submitted,
            fills=kernel.fills_count,
            wall_s=wall,
            compiled=COMPILED,
            engine_version=__version__,
            canceled=canceled,
            per_strategy=by_strategy,
        )

    # paper ------------------------------------------------------------------------------------
    def switch_to_paper(self) -> None:
        """Same strategies, state, positions and working orders; wall clock from now on."""
        if self.mode == PAPER:
            return
        clock = LiveClock()
        self.kernel.switch_clock(clock)
        self.kernel.track_trade_ids([])
        self.clock = clock
        self.mode = PAPER
        self.kernel.start()

    async def run_paper(self, feed: LiveFeed, *, duration_s: float | None = None) -> None:
        """Trade on ``feed`` in real time with simulated fills (switches to paper first)."""
        self.switch_to_paper()
        await run_live(self.kernel, self.clock, feed, duration_s=duration_s)

    # live -------------------------------------------------------------------------------------
    async def switch_to_live(
        self, broker: LiveBroker, *, instrument_ids: Sequence[str] | None = None
    ) -> None:
        """Same strategy objects and state; the wall clock; ``instrument_ids`` (default: every
        instrument of the loaded strategies) trade at ``broker`` from now on.

        The rule for what cannot carry over: simulated positions are not real, so the switch
        is refused (``LiveSwitchError``) while a strategy holds a position in one of those
        instruments, or while the broker account already holds one of their symbols (it would
        not be the strategy's). Working orders on the simulated venue are canceled first.
        The broker is connected (its login errors pass through), then reconciled: its open
        orders whose client order id is ours (``tb-...``) and whose strategy is loaded come
        back into the kernel as working orders; any other open order is left alone and named
        in the log. One of ours that is partially filled refuses the switch (its fills are
        not the strategy's position either). Does nothing when already live on ``broker``;
        refused when live on another broker."""
        if not isinstance(broker, Venue):
            raise TypeError(f"{type(broker).__name__} is not a Venue")
        kernel = self.kernel
        if self.mode == LIVE:
            try:
                current: Venue | None = kernel.venue(broker.name)
            except KeyError:
                current = None
            if current is not broker:
                raise LiveSwitchError(
                    f"cannot switch to live at {broker.name}: this session is already live at "
                    "another broker; start a new session for it"
                )
            return
        ids = list(instrument_ids) if instrument_ids is not None else self._strategy_instruments()
        held = [
            (record.strategy_id, iid, pos.signed_qty_raw)
            for record in kernel.records
            for iid, pos in record.account.positions.items()
            if iid in ids and pos.signed_qty_raw != 0
        ]
        if held:
            sid, iid, raw = held[0]
            raise LiveSwitchError(
                f"cannot switch to live: {sid} holds {_signed_qty(raw)} {iid} on the simulated "
                "venue; flatten it first (simulated positions are not real)"
            )
        await broker.connect()
        try:
            snapshot = await broker.snapshot()
            symbols = {kernel.instrument(iid).symbol: iid for iid in ids}
            loaded = {r.strategy_id for r in kernel.records}
            for view in snapshot.open_orders:
                if view.filled_qty.raw > 0 and _owner(view, loaded, symbols) is not None:
                    raise LiveSwitchError(
                        f"cannot switch to live: {broker.name} open order {view.client_order_id} "
                        f"({view.symbol}) is partially filled ({view.filled_qty} of {view.qty}); "
                        "cancel it at the broker first (its fills cannot be taken over)"
                    )
            for symbol, raw in sorted(snapshot.positions.items()):
                if symbol in symbols and raw != 0:
                    raise LiveSwitchError(
                        f"cannot switch to live: the {broker.name} account already holds "
                        f"{_signed_qty(raw)} {symbol}; close it at the broker first (it is not "
                        "the strategy's position)"
                    )
            self._cancel_simulated(ids)
        except BaseException:
            await broker.disconnect()
            raise
        if self.mode != PAPER:
            self.switch_to_paper()  # the wall clock and fill tracking, as in paper
        try:
            kernel.venue(broker.name)
        except KeyError:
            kernel.add_venue(broker)
        broker.attach_kernel(kernel)
        for iid in ids:
            kernel.route(iid, broker.name)
        self._restore_broker_orders(broker, snapshot, symbols)
        self.mode = LIVE
        kernel.log("session", "INFO", f"switched to live: {', '.join(ids)} trade at {broker.name}")

    async def run_live_trading(self, feed: LiveFeed, *, duration_s: float | None = None) -> None:
        """Trade live on ``feed`` (the broker's market data) after ``switch_to_live``."""
        if self.mode != LIVE:
            raise RuntimeError(f"this session is in {self.mode} mode: call switch_to_live first")
        await run_live(self.kernel, self.clock, feed, duration_s=duration_s)

    def _strategy_instruments(self) -> list[str]:
        ids: list[str] = []
        for record in self.kernel.records:
            for iid in record.strategy.instrument_ids:
                if iid not in ids:
                    ids.append(iid)
        return ids

    def _cancel_simulated(self, ids: Sequence[str]) -> None:
        kernel = self.kernel
        working = [o for o in kernel.orders if o.is_open and o.instrument_id in ids]
        for order in working:
            kernel.cancel(
                CancelOrder(
                    strategy_id=order.strategy_id,
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    ts_init=self.clock.now_ns(),
                )
            )
        still = [o.client_order_id for o in working if o.is_open]
        if still:
            raise LiveSwitchError(
                f"cannot switch to live yet: {len(still)} simulated orders are still being "
                f"canceled ({', '.join(still)}); try again in a moment"
            )
        if working:
            kernel.log(
                "session",
                "INFO",
                f"switched to live: {len(working)} working orders on the simulated venue canceled",
            )

    def _restore_broker_orders(
        self, broker: LiveBroker, snapshot: BrokerSnapshot, symbols: dict[str, str]
    ) -> None:
        kernel = self.kernel
        loaded = {r.strategy_id for r in kernel.records}
        for view in snapshot.open_orders:
            coid = view.client_order_id
            owner = _owner(view, loaded, symbols)
            if owner is None:
                kernel.log(
                    "session",
                    "WARNING",
                    f"{broker.name} open order {view.venue_order_id} ({view.symbol}) is not one "
                    "of this session's strategies: left alone",
                )
                continue
            if kernel.order(coid) is not None:
                kernel.log(
                    "session",
                    "WARNING",
                    f"{broker.name} open order {view.venue_order_id} carries id {coid}, which "
                    "this session already used: left alone",
                )
                continue
            sid, iid = owner
            order = Order(
                SubmitOrder(
                    strategy_id=sid,
                    client_order_id=coid,
                    instrument_id=iid,
                    side=view.side,
                    order_type=view.order_type,
                    qty=view.qty,
                    price=view.price,
                    trigger_price=view.trigger_price,
                    time_in_force=view.time_in_force,
                    ts_init=self.clock.now_ns(),
                )
            )
            now = self.clock.now_ns()
            order.apply(
                OrderSubmitted(
                    strategy_id=sid, client_order_id=coid, instrument_id=iid, ts_event=now
                )
            )
            order.apply(
                OrderAccepted(
                    strategy_id=sid,
                    client_order_id=coid,
                    instrument_id=iid,
                    ts_event=now,
                    venue_order_id=view.venue_order_id,
                )
            )
            kernel.restore_order(order)
            kernel.log("session", "INFO", f"restored working order {coid} from {broker.name}")


def _owner(
    view: BrokerOrderView, loaded: set[str], symbols: dict[str, str]
) -> tuple[str, str] | None:
    """(strategy id, instrument id) of a broker order of ours whose strategy is loaded and
    whose symbol trades in this session; None for any other order."""
    sid, dash, number = view.client_order_id.rpartition("-")
    iid = symbols.get(view.symbol)
    if not dash or not number.isdigit() or sid not in loaded or iid is None:
        return None
    return sid, iid


def _signed_qty(raw: int) -> str:
    return f"-{Qty(-raw)}" if raw < 0 else str(Qty(raw))


def _as_int64(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.int64:
        return values
    if len(values) and max(abs(int(v)) for v in values) > 2**63 - 1:
        raise OverflowError("equity beyond 9.2e9 currency units cannot be reported in int64")
    return values.astype(np.int64)


class _Pacer:
    """Maps wall time to event time at ``speed`` x for visual replay."""

    SLICE_S = 0.01

    def __init__(self, speed: float, first_ts: int) -> None:
        self.speed = speed
        self.first_ts = first_ts
        self.wall_start = time.perf_counter()

    def until(self) -> int:
        elapsed = time.perf_counter() - self.wall_start + self.SLICE_S
        return self.first_ts + int(elapsed * self.speed * 1e9)

    def wait(self) -> None:
        time.sleep(self.SLICE_S)
