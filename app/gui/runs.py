"""One strategy at work: its session, its mode (backtest, then paper), its replay and its chart.

Each strategy the trader starts gets its own ``TradingSession``, so its mode is its own: one
can replay a backtest while another paper-trades. A backtest runs on a worker thread (the
window never waits for it), paced by a ``ReplayPacer`` the replay controls drive; paper trading
runs as a task on the asyncio loop that qasync runs inside Qt, on the same kernel, so the
strategy keeps its state, positions and working orders (``TradingSession.switch_to_paper``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.gui.bridge import FRAME_WAIT_S, EngineBridge
from app.gui.charts.data import ChartData
from app.gui.messages import (
    AccountView,
    AppNote,
    EngineSnapshot,
    PlotSamples,
    PositionView,
    ReplayProgress,
)
from app.gui.replay import ReplayPacer
from app.market_setup import InstrumentSettings, VenueSettings
from core.data import BarSeries, QuoteSeries
from core.data.display import format_fixed
from core.events import OrderFilled, PositionChanged, StrategyFaulted
from core.feeds import Series
from core.kernel import Kernel
from core.live import LiveFeed, SyntheticLiveFeed
from core.market import Bar, QuoteTick, TradeTick
from core.reports import thin_equity
from core.session import LIVE, PAPER, BacktestResult, LiveSwitchError, TradingSession
from core.values import Money
from strategies import TemplateSpec, build_strategy
from venues.alpaca import AlpacaBroker, AlpacaDataFeed, BrokerConfig, BrokerError

if TYPE_CHECKING:
    from core.clock import Clock
    from core.journal import SqliteJournal

log = logging.getLogger(__name__)

# replay slices of this many events: at full speed the worker gives the GUI thread the
# interpreter lock between slices (a slice is a few ms even in the compiled engine)
GUI_CHUNK = 256
SNAPSHOT_EVERY_S = 1 / 30
# the chart's equity curve at most this long (a sample per event of a million-bar run would
# take the window a noticeable moment to map and draw; this is one per ten bars or finer)
CHART_EQUITY_POINTS = 100_000
DEFAULT_QUOTE_VOLATILITY = 0.0004  # the synthetic feed's own default, for data without bars
# journal transactions of at most this many events: binding a big batch holds the GIL long
# enough to stall the window
JOURNAL_BATCH = 1_000
PAPER_EQUITY_EVERY_S = 1.0
LIVE_SWITCH_TIMEOUT_S = 30.0  # logging in, reading the account and its orders
LOGOUT_SETTLE_S = 5.0  # what on_stop sent gets its answer, at most this long

READY = "ready"
REPLAYING = "replaying"
DONE = "done"
CANCELED = "canceled"
FAILED = "failed"
PAPER_RUNNING = "paper"
LIVE_RUNNING = "live"
SWITCHING = "switching"
STOPPED = "stopped"
STATE_TEXT = {
    READY: "Ready",
    REPLAYING: "Backtesting",
    DONE: "Backtest done",
    CANCELED: "Backtest canceled",
    FAILED: "Failed",
    PAPER_RUNNING: "Paper trading",
    SWITCHING: "Going live…",
    LIVE_RUNNING: "Live trading",
    STOPPED: "Stopped",
}


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Account and venue settings of a run, as text the trader typed (the CLI's options)."""

    cash: str = "100000"
    currency: str = "USD"
    fee: str = "bps:1"
    slippage: str = "none"
    fill: str = "next-open"
    participation: str = "0.1"
    paper_bar_seconds: float = 1.0
    paper_seed: int = 7

    def venue(self) -> VenueSettings:
        text = self.participation.strip().lower()
        try:
            participation = None if text == "none" else float(text)
        except ValueError:
            raise ValueError(f"participation {self.participation!r} is not a number") from None
        return VenueSettings(
            fee=self.fee, slippage=self.slippage, fill=self.fill, participation=participation
        )

    def allocation(self) -> Money:
        try:
            amount = Money.parse(self.cash.strip(), self.currency)
        except Exception:
            raise ValueError(f"cash {self.cash!r} is not an amount") from None
        if amount.raw <= 0:
            raise ValueError(f"cash must be positive, got {self.cash}")
        return amount

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in dataclasses.asdict(self).items()}


def readable(exc: BaseException) -> str:
    """One line a trader can act on: the message of the errors we raise on purpose, the
    exception's name and message for anything else (the traceback goes to the log file)."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(
        exc, ValueError | KeyError | FileNotFoundError | OSError | LiveSwitchError | BrokerError
    ):
        return text.splitlines()[0]
    return f"{type(exc).__name__}: {text.splitlines()[0]}"


def build_session(
    spec: TemplateSpec, config: object, run_id: str, series: list[Series], settings: RunSettings
) -> TradingSession:
    instrument_settings = InstrumentSettings(currency=settings.currency)
    instruments = []
    seen: set[str] = set()
    for s in series:
        if s.instrument_id not in seen:
            seen.add(s.instrument_id)
            instruments.append(instrument_settings.for_series(s))
    venue = settings.venue().build(instruments)
    session = TradingSession(
        instruments=instruments, venues=[venue], base_currency=settings.currency
    )
    session.add_strategy(build_strategy(spec, config, run_id), settings.allocation())
    return session


def snapshot_of(run_id: str, mode: str, kernel: Kernel, *, idle: bool = False) -> EngineSnapshot:
    """Accounts and positions, read on the kernel's thread while it is between events.
    ``idle``: nothing drives the kernel (a finished backtest): running strategies show IDLE."""
    marks = kernel.portfolio.marks
    accounts: list[AccountView] = []
    positions: list[PositionView] = []
    for record in kernel.records:
        account = record.account
        accounts.append(
            AccountView(
                strategy_id=record.strategy_id,
                mode=mode,
                status="IDLE" if idle and record.status_name == "RUNNING" else record.status_name,
                currency=account.currency,
                allocation_raw=account.allocation_raw,
                cash_raw=account.cash_raw,
                equity_raw=account.equity_raw(marks),
                realized_raw=account.realized_raw,
                unrealized_raw=account.unrealized_raw(marks),
                fees_raw=account.fees_raw,
            )
        )
        for pos in list(account.positions.values()):
            mark = marks.get(pos.instrument_id)
            positions.append(
                PositionView(
                    strategy_id=record.strategy_id,
                    instrument_id=pos.instrument_id,
                    signed_qty_raw=pos.signed_qty_raw,
                    avg_px_raw=pos.avg_px().raw,
                    mark_raw=mark,
                    unrealized_raw=0 if mark is None else pos.unrealized_raw(mark),
                    realized_raw=pos.realized_raw,
                    currency=account.currency,
                )
            )
    return EngineSnapshot(
        run_id=run_id,
        ts=kernel.clock.now_ns(),
        accounts=tuple(accounts),
        positions=tuple(positions),
    )


class _TappedKernel:
    """What a live feed pushes into: forwards to the kernel, and shows each bar on the chart."""

    def __init__(self, kernel: Kernel, on_bar: Callable[[Bar], None]) -> None:
        self._kernel = kernel
        self._on_bar = on_bar

    def on_bar(self, bar: Bar) -> None:
        self._kernel.on_bar(bar)
        self._on_bar(bar)

    def on_quote(self, quote: QuoteTick) -> None:
        self._kernel.on_quote(quote)

    def on_data(self, data: Bar | QuoteTick | TradeTick) -> None:
        self._kernel.on_data(data)
        if isinstance(data, Bar):
            self._on_bar(data)

    def log(self, source: str, level: str, message: str) -> None:
        self._kernel.log(source, level, message)


class ChartedLiveFeed:
    """Live feeds (synthetic for paper, the broker's for live) for the instruments of a run,
    their bars drawn on its chart."""

    def __init__(self, feeds: Sequence[LiveFeed], on_bar: Callable[[Bar], None]) -> None:
        self._feeds = feeds
        self._on_bar = on_bar

    async def run(self, kernel: Kernel, clock: Clock, stop: asyncio.Event) -> None:
        tapped: Any = _TappedKernel(kernel, self._on_bar)  # the feeds call on_bar / on_quote
        await asyncio.gather(*(feed.run(tapped, clock, stop) for feed in self._feeds))


class StrategyRun(QObject):
    """A strategy, its session and where it stands (see the module docstring)."""

    changed = Signal()
    restarted = Signal()  # a fresh session replays from the start: drop what the old one showed

    def __init__(
        self,
        *,
        run_id: str,
        spec: TemplateSpec,
        config: object,
        params: dict[str, str],
        dataset_labels: list[str],
        series: list[Series],
        settings: RunSettings,
        bridge: EngineBridge,
        executor: Executor,
        journal_path: Path | None,
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.spec = spec
        self.config = config
        self.params = params
        self.dataset_labels = dataset_labels
        self.series = series
        self.settings = settings
        self.bridge = bridge
        self.executor = executor
        self.journal_path = journal_path
        self.state = READY
        self.error = ""
        self.fault: StrategyFaulted | None = None
        self.result: BacktestResult | None = None
        self.journal_run_id: int | None = None
        self.progress = (0, sum(len(s) for s in series))
        self.chart = ChartData()
        self.chart.currency = settings.currency
        for s in series:
            self.chart.add_series(s)
        self._event_ts = np.sort(np.concatenate([s.ts_event for s in series]), kind="stable")
        self.session = self._new_session()
        self.pacer: ReplayPacer | None = None
        self._task: asyncio.Future[Any] | None = None
        self._trading_task: asyncio.Task[None] | None = None
        self._broker: AlpacaBroker | None = None
        self._ending: asyncio.Future[None] | None = None
        self._switch_task: asyncio.Future[None] | None = None
        self._restart_task: asyncio.Future[None] | None = None
        self._trading_journal: SqliteJournal | None = None
        self._plot_sent: dict[tuple[str, str], int] = {}
        self._last_post = 0.0
        self._last_equity = 0.0

    # what the panels show ---------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.session.mode

    @property
    def status(self) -> str:
        """The strategy's own state in its kernel (READY, RUNNING, STOPPED or FAULTED), IDLE
        when it would run but nothing drives it (a backtest that ended)."""
        status = self.session.kernel.record(self.run_id).status_name
        return "IDLE" if status == "RUNNING" and not self.busy else status

    @property
    def busy(self) -> bool:
        return self.state in (REPLAYING, PAPER_RUNNING, SWITCHING, LIVE_RUNNING)

    @property
    def instrument_ids(self) -> list[str]:
        return self.chart.instrument_ids

    @property
    def event_times(self) -> np.ndarray:
        """Every event's time in replay order (what the scrubber moves over)."""
        return self._event_ts

    def describe(self) -> str:
        return f"{self.run_id} ({self.spec.name} on {', '.join(self.dataset_labels)})"

    def label(self) -> str:
        """How the run history names the run: what ran, with which parameters, on what."""
        name = (
            self.spec.name if self.run_id == self.spec.name else f"{self.run_id} ({self.spec.name})"
        )
        params = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{name}{' ' + params if params else ''} on {', '.join(self.dataset_labels)}"

    # backtest ---------------------------------------------------------------------------
    def start_backtest(
        self, *, speed: float, paused: bool = False, seek_ts: int | None = None
    ) -> None:
        if self.state != READY:
            raise RuntimeError(f"{self.run_id} has already run; start a new one")
        self.pacer = ReplayPacer(self._event_ts, speed=speed, paused=paused, seek_ts=seek_ts)
        self.state = REPLAYING
        self.changed.emit()
        self._task = asyncio.ensure_future(self._backtest())

    async def _backtest(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, self._backtest_blocking)
        except Exception as exc:
            log.exception("backtest %s failed", self.run_id)
            self.error = f"Backtest of {self.run_id} failed: {readable(exc)}"
            self.state = FAILED
            self.bridge.post(AppNote(time.time_ns(), self.run_id, "ERROR", self.error))
        else:
            self.result = result
            self.state = CANCELED if result.canceled else DONE
            ts, raw = thin_equity(result.equity_ts, result.equity_raw, CHART_EQUITY_POINTS)
            self.chart.equity.replace(ts, raw / 1e9)
        if self.pacer is not None:
            self.pacer.run_requests()  # what arrived as the worker ended
        self.bridge.post(snapshot_of(self.run_id, self.mode, self.session.kernel, idle=True))
        self.changed.emit()

    def _backtest_blocking(self) -> BacktestResult:
        """On the worker thread: the journaled run from first event to last (or cancel)."""
        pacer = self.pacer
        assert pacer is not None
        session = self.session
        session.kernel.record_plots = True
        self.bridge.attach(session.kernel)
        journal = self._open_journal("backtest")
        try:
            result = session.run_backtest(
                self.series,
                progress=self._on_progress,
                stop=pacer.stop_flag,
                pacer=pacer,
                chunk_size=GUI_CHUNK,
            )
            self._post_progress(result.events, result.events)
            if journal is not None:
                journal.end_run(result)
        finally:
            if journal is not None:
                journal.close()
        return result

    def _on_progress(self, done: int, total: int) -> None:
        pacer = self.pacer
        assert pacer is not None
        pacer.progressed(done)
        # let a frame that is being drawn finish first (bounded: a stuck GUI cannot stop us)
        self.bridge.frame_gate.wait(FRAME_WAIT_S)
        now = time.perf_counter()
        if now - self._last_post >= SNAPSHOT_EVERY_S:
            self._last_post = now
            self._post_progress(done, total)

    def _post_progress(self, done: int, total: int) -> None:
        kernel = self.session.kernel
        self.bridge.post(
            ReplayProgress(
                run_id=self.run_id,
                done=done,
                total=total,
                ts=kernel.clock.now_ns(),
                plots=self._new_plot_samples(),
                snapshot=snapshot_of(self.run_id, self.session.mode, kernel),
            )
        )

    def _new_plot_samples(self) -> tuple[PlotSamples, ...]:
        out: list[PlotSamples] = []
        for line in self.session.kernel.record(self.run_id).plots:
            key = (line.instrument_id, line.name)
            start = self._plot_sent.get(key, 0)
            end = len(line)
            if end > start:
                out.append(
                    PlotSamples(
                        line.name, line.instrument_id, line.ts[start:end], line.values[start:end]
                    )
                )
                self._plot_sent[key] = end
        return tuple(out)

    def in_engine(self, action: Callable[[Kernel], object]) -> None:
        """Run ``action`` with the run's kernel in the thread that drives it: a replaying
        backtest's worker takes it at its next stop between slices (within one slice, a few
        ms); otherwise (paper on this loop, or nothing running) it runs now."""
        pacer = self.pacer
        if self.state == REPLAYING and pacer is not None:
            pacer.call_soon(lambda: action(self.session.kernel))
        else:
            action(self.session.kernel)

    def cancel(self) -> None:
        if self.pacer is not None:
            self.pacer.cancel()

    def seek(self, ts: int) -> None:
        """Move the replay to event time ``ts``: ahead by running on at full speed, back by
        replaying again from the start (the run is deterministic: the same path to ``ts``)."""
        pacer = self.pacer
        if pacer is None or self.state not in (REPLAYING, DONE, CANCELED):
            return
        if self.state == REPLAYING and ts >= pacer.position_ts:
            pacer.seek(ts)
        elif ts < pacer.position_ts:
            self._restart_task = asyncio.ensure_future(
                self._restart_at(ts, pacer.speed, pacer.paused)
            )

    async def _restart_at(self, ts: int, speed: float, paused: bool) -> None:
        self.cancel()
        await self.wait()
        if self.state not in (DONE, CANCELED):
            return
        self.bridge.detach(self.session.kernel)
        self.session = self._new_session()
        self._plot_sent.clear()
        self.fault = None
        self.result = None
        bars = self.chart.bars
        self.chart = ChartData()
        self.chart.currency = self.settings.currency
        self.chart.bars = bars
        for b in bars.values():
            b.reveal_until(-1)
        self.state = READY
        self.restarted.emit()
        self.start_backtest(speed=speed, paused=paused, seek_ts=ts)

    async def wait(self) -> None:
        """Until the backtest (if one runs) has ended."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    # messages from the bridge (GUI thread) ------------------------------------------------
    def on_progress(self, progress: ReplayProgress) -> None:
        self.progress = (progress.done, progress.total)
        chart = self.chart
        chart.reveal_until(progress.ts)
        for samples in progress.plots:
            chart.line(samples.instrument_id, samples.name).extend(samples.ts, samples.values)
        if self.state == REPLAYING:
            total = sum(a.equity_raw for a in progress.snapshot.accounts)
            chart.equity.extend([progress.ts], [total / 1e9])

    def on_fills(self, fills: list[OrderFilled]) -> None:
        by_instrument: dict[str, list[OrderFilled]] = {}
        for fill in fills:
            by_instrument.setdefault(fill.instrument_id, []).append(fill)
        for iid, batch in by_instrument.items():
            self.chart.fills_of(iid).add(
                [f.ts_event for f in batch],
                [f.last_px.raw for f in batch],
                [f.side for f in batch],
                [
                    f"{'BUY' if f.side > 0 else 'SELL'} {f.last_qty} {iid} @ {f.last_px}\n"
                    f"order {f.client_order_id}, fee {f.fee}"
                    for f in batch
                ],
            )

    def on_positions(self, events: list[PositionChanged]) -> None:
        by_instrument: dict[str, list[PositionChanged]] = {}
        for event in events:
            by_instrument.setdefault(event.instrument_id, []).append(event)
        for iid, batch in by_instrument.items():
            self.chart.position_of(iid).add(
                [e.ts_event for e in batch], [float(e.signed_qty_raw) for e in batch]
            )

    def on_fault(self, fault: StrategyFaulted) -> None:
        self.fault = fault
        self.changed.emit()

    # paper and live ---------------------------------------------------------------------
    def paper_unavailable_reason(self) -> str:
        """Why this run cannot switch to paper now ("" when it can)."""
        if self.mode == LIVE or self.state == LIVE_RUNNING:
            return "it trades live; stop it to end live trading"
        if self.state in (PAPER_RUNNING, STOPPED, SWITCHING) or self.mode == PAPER:
            return "already in paper mode" if self.state == PAPER_RUNNING else "stopped"
        if self.state == FAILED:
            return "the backtest failed; start a new one"
        if self.fault is not None:
            return "the strategy faulted; fix it and start a new one"
        if not all(isinstance(s, BarSeries | QuoteSeries) for s in self.series):
            return "paper trading needs bar or quote data for its synthetic live feed"
        return ""

    def live_unavailable_reason(self) -> str:
        """Why this run cannot go live now ("" when it can; the broker is checked apart)."""
        if self.mode == LIVE or self.state in (LIVE_RUNNING, SWITCHING):
            return "already live" if self.state == LIVE_RUNNING else "switching to live"
        if self.state == STOPPED:
            return "stopped"
        if self.state == FAILED:
            return "the backtest failed; start a new one"
        if self.fault is not None:
            return "the strategy faulted; fix it and start a new one"
        return ""

    def switch_to_paper(self) -> None:
        """One click: end the replay where it stands and trade on with the same strategy
        object on the wall clock (the switch completes on the loop)."""
        reason = self.paper_unavailable_reason()
        if reason:
            raise RuntimeError(f"{self.run_id} cannot switch to paper: {reason}")
        self._switch_task = asyncio.ensure_future(self._switch_to_paper())

    async def _switch_to_paper(self) -> None:
        if not await self._end_replay():
            return
        self.session.switch_to_paper()
        self._trade_on(self._paper_feed(), "paper", PAPER_RUNNING)

    def switch_to_live(self, broker: BrokerConfig) -> None:
        """After the trader confirmed: the same strategy object trades at ``broker`` (the
        switch completes on the loop; a refusal is shown and paper trading, if it ran, goes
        on)."""
        reason = self.live_unavailable_reason()
        if reason:
            raise RuntimeError(f"{self.run_id} cannot go live: {reason}")
        self._switch_task = asyncio.ensure_future(self._switch_to_live(broker))

    async def _switch_to_live(self, config: BrokerConfig) -> None:
        was_paper = self.state == PAPER_RUNNING
        if was_paper:
            await self._end_trading_feed()
        elif not await self._end_replay():
            return
        previous = self.state
        self.state = SWITCHING
        self.changed.emit()
        broker = AlpacaBroker(config)
        try:
            async with asyncio.timeout(LIVE_SWITCH_TIMEOUT_S):
                await self.session.switch_to_live(broker)
        except asyncio.CancelledError:  # Stop pressed while switching: nothing goes live
            await broker.disconnect()
            self.state = previous
            if was_paper:
                self.state = PAPER_RUNNING
                self._finish_trading()
            self.changed.emit()
            return
        except Exception as exc:
            await broker.disconnect()
            if isinstance(exc, TimeoutError):
                reason = f"the broker did not answer within {LIVE_SWITCH_TIMEOUT_S:g} s"
            else:
                reason = readable(exc)
                if not isinstance(exc, LiveSwitchError | BrokerError | OSError):
                    log.exception("switching %s to live failed", self.run_id)
            self.error = f"{self.run_id} did not go live: {reason}"
            self.bridge.post(AppNote(time.time_ns(), self.run_id, "ERROR", self.error))
            self.state = previous
            if was_paper:  # it trades on where it was
                self._trade_on(self._paper_feed(), "paper", PAPER_RUNNING)
            self.changed.emit()
            return
        self._broker = broker
        self._close_trading_journal()  # the paper run ends with the simulated orders canceled
        kernel = self.session.kernel
        instruments = [kernel.instrument(iid) for iid in self.chart.instrument_ids]
        self._trade_on(AlpacaDataFeed(config, instruments), "live", LIVE_RUNNING)

    async def _end_replay(self) -> bool:
        """Before trading on the wall clock: the replay ends where it stands. False when the
        run cannot trade on (it failed, or was restarted meanwhile)."""
        if self.state == REPLAYING:
            self.cancel()
            await self.wait()
        if self.state not in (READY, DONE, CANCELED):
            return False
        if self.state == READY:  # never backtested: trade from the start
            self.session.kernel.record_plots = True
            self.bridge.attach(self.session.kernel)
        self.chart.reveal_until(2**62)
        return True

    def _paper_feed(self) -> LiveFeed:
        quote_s = min(0.05, self.settings.paper_bar_seconds)
        kernel = self.session.kernel
        return ChartedLiveFeed(
            [
                SyntheticLiveFeed(
                    kernel.instrument(iid),
                    seed=self.settings.paper_seed + i,
                    start_price=self._last_price_text(iid),
                    quote_interval_s=quote_s,
                    bar_interval_s=self.settings.paper_bar_seconds,
                    vol_per_quote=self._live_volatility(iid, quote_s),
                )
                for i, iid in enumerate(self.chart.instrument_ids)
            ],
            self._on_live_bar,
        )

    def _trade_on(self, feed: LiveFeed, mode: str, state: str) -> None:
        """Drive the session from ``feed`` on this loop, journaled as a ``mode`` run."""
        session = self.session
        if self._trading_journal is None:  # (a refused live switch goes on in its paper run)
            self._trading_journal = self._open_journal(mode)
        self.state = state
        if mode == "live":
            charted: LiveFeed = ChartedLiveFeed([feed], self._on_live_bar)
            task = asyncio.ensure_future(session.run_live_trading(charted))
        else:
            task = asyncio.ensure_future(session.run_paper(feed))
        self._trading_task = task
        task.add_done_callback(self._trading_ended)
        self.bridge.add_poller(self._poll_trading)
        self.changed.emit()

    def _live_volatility(self, instrument_id: str, quote_s: float) -> float:
        """Per-quote volatility of the synthetic feed, as wild per second as the data was
        (one-second live bars after daily history would otherwise look like a crash)."""
        bars = self.chart.bars[instrument_id]
        closes = bars.close.view()[-501:]
        if len(closes) < 3 or bars.period_ns <= 0 or np.any(closes <= 0):
            return DEFAULT_QUOTE_VOLATILITY
        per_bar = float(np.std(np.diff(np.log(closes))))
        per_second = per_bar / math.sqrt(bars.period_ns / 1e9)
        return max(per_second * math.sqrt(quote_s), 1e-7)

    def _last_price_text(self, instrument_id: str) -> str:
        price = self.session.kernel.portfolio.last_price_raw(instrument_id)
        if price is None:
            bars = self.chart.bars[instrument_id]
            return str(bars.close.view()[-1])
        return format_fixed(price)

    def _on_live_bar(self, bar: Bar) -> None:
        self.chart.bars[bar.instrument_id].append(
            bar.ts_event, bar.open_raw, bar.high_raw, bar.low_raw, bar.close_raw, bar.volume_raw
        )

    def _poll_trading(self) -> None:
        kernel = self.session.kernel
        now = time.perf_counter()
        snapshot = snapshot_of(self.run_id, self.mode, kernel)
        self.bridge.post(snapshot)
        samples = self._new_plot_samples()
        for s in samples:
            self.chart.line(s.instrument_id, s.name).extend(s.ts, s.values)
        if now - self._last_equity >= PAPER_EQUITY_EVERY_S:
            self._last_equity = now
            total = sum(a.equity_raw for a in snapshot.accounts)
            self.chart.equity.extend([snapshot.ts], [total / 1e9])

    def _trading_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            what = "Live" if self.state == LIVE_RUNNING else "Paper"
            self.error = f"{what} trading of {self.run_id} stopped: {readable(exc)}"
            self.bridge.post(AppNote(time.time_ns(), self.run_id, "ERROR", self.error))
            self._trading_task = None
            self._ending = asyncio.ensure_future(self._end_trading())

    async def stop(self) -> None:
        """Stop whatever runs: cancel the replay, call off a switch to live, or end paper or
        live trading (on_stop is called; a live run's last orders get their answers, then it
        logs out of the broker)."""
        if self.state == REPLAYING:
            self.cancel()
            await self.wait()
            return
        switching = self._switch_task
        if self.state == SWITCHING and switching is not None:
            switching.cancel()
            await asyncio.gather(switching, return_exceptions=True)
            return
        if self.state in (PAPER_RUNNING, LIVE_RUNNING):
            await self._end_trading_feed()
            await self._end_trading()

    async def _end_trading(self) -> None:
        """Strategies stop (on_stop); a broker answers what they sent before the journal run
        closes, then the session logs out."""
        self.session.kernel.stop()
        broker = self._broker
        self._broker = None
        if broker is not None:
            await broker.settle(LOGOUT_SETTLE_S)
        self._finish_trading()
        if broker is not None:
            await broker.disconnect()

    async def _end_trading_feed(self) -> None:
        """The feed stops driving the kernel; strategies, orders, positions and the journal
        run stay."""
        task = self._trading_task
        if task is None:
            return
        self._trading_task = None
        task.remove_done_callback(self._trading_ended)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self.bridge.remove_poller(self._poll_trading)

    def stop_now(self) -> None:
        """Stop without waiting (the window is closing; it ends live runs with ``stop``
        first): the replay is told to cancel, paper trading ends here."""
        self.cancel()
        task = self._trading_task
        if self.state == PAPER_RUNNING and task is not None:
            task.cancel()
            self._finish_trading()

    def _finish_trading(self) -> None:
        if self.state not in (PAPER_RUNNING, LIVE_RUNNING):
            return
        self.bridge.remove_poller(self._poll_trading)
        self.session.kernel.stop()
        self.bridge.post(snapshot_of(self.run_id, self.mode, self.session.kernel))
        self._close_trading_journal()
        self.state = STOPPED
        self.changed.emit()

    def _close_trading_journal(self) -> None:
        journal = self._trading_journal
        self._trading_journal = None
        if journal is not None:
            try:
                journal.end_run()
            finally:
                journal.close()

    # internals --------------------------------------------------------------------------
    def _new_session(self) -> TradingSession:
        return build_session(self.spec, self.config, self.run_id, self.series, self.settings)

    def _open_journal(self, mode: str) -> SqliteJournal | None:
        if self.journal_path is None:
            return None
        from core.journal import SqliteJournal
        from core.journal.records import parameters_of

        journal = SqliteJournal(self.journal_path, background=False, batch_rows=JOURNAL_BATCH)
        self.journal_run_id = journal.begin_run(
            mode,
            kernel=self.session.kernel,
            label=self.label(),
            parameters=parameters_of(self.config),
            data=[
                {
                    "source": label,
                    "instrument": s.instrument_id,
                    "rows": len(s),
                    "first_ts": int(s.ts_event[0]),
                    "last_ts": int(s.ts_event[-1]),
                }
                for label, s in zip(self.dataset_labels, self.series, strict=True)
            ],
            settings=self.settings.as_dict(),
        )
        return journal
