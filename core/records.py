"""What the kernel keeps per strategy (``StrategyRecord``) and per instrument (``Route``)."""

from __future__ import annotations

from collections import deque
from typing import Final, final

from core.book import BookView, OrderBook
from core.enums import StrategyStatus
from core.events import StrategyFaulted
from core.indicators import Indicator
from core.instruments import Instrument
from core.market import Bar
from core.plots import PlotLine
from core.portfolio import MarkCell, StrategyAccount
from core.risk import DrawdownBreaker
from core.strategy import Strategy
from core.venue import Venue


@final
class StrategyRecord:
    """What the kernel keeps per strategy: the object, its context, account, status, history."""

    def __init__(self, strategy: Strategy, account: StrategyAccount) -> None:
        self.strategy: Final = strategy
        self.strategy_id: Final[str] = strategy.strategy_id
        self.account: Final = account
        self.status = StrategyStatus.READY
        self.fault: StrategyFaulted | None = None
        self.history_len: Final[int] = strategy.history
        self._history: dict[str, deque[Bar]] = {}
        self._order_seq = 0
        self.plots: list[PlotLine] = []  # what the strategy declared with ctx.plot
        self.breakers: list[DrawdownBreaker] = []  # its drawdown breakers (core.riskctl)
        # only strategies that override on_risk_event get risk events delivered
        self.wants_risk: Final[bool] = getattr(type(strategy), "on_risk_event", None) is not (
            Strategy.on_risk_event
        )

    @property
    def order_seq(self) -> int:
        """How many client order ids the kernel numbered for this strategy so far."""
        return self._order_seq

    def continue_numbering(self, seq: int) -> None:
        """After a restart: go on numbering client order ids after ``seq``."""
        if seq > self._order_seq:
            self._order_seq = seq

    def next_client_order_id(self) -> str:
        self._order_seq += 1
        return f"{self.strategy_id}-{self._order_seq}"

    def timer_key(self, name: str) -> str:
        return f"{self.strategy_id}:{name}"

    def append_bar(self, bar: Bar) -> None:
        window = self._history.get(bar.instrument_id)
        if window is None:
            window = deque(maxlen=self.history_len)
            self._history[bar.instrument_id] = window
        window.append(bar)

    def history_of(self, instrument_id: str, n: int) -> list[Bar]:
        window = self._history.get(instrument_id)
        if window is None:
            return []
        bars = list(window)
        return bars if n <= 0 else bars[-n:]

    @property
    def status_name(self) -> str:
        return StrategyStatus.NAMES[self.status]


@final
class Route:
    """Everything one instrument's market data touches, found with one lookup per event."""

    def __init__(self, instrument: Instrument, venue: Venue | None, mark: MarkCell) -> None:
        self.instrument = instrument
        self.venue = venue
        self.mark: Final = mark
        self.indicators: list[Indicator] = []
        self.subs: list[StrategyRecord] = []
        self.watched = False  # a drawdown breaker needs equity after this instrument moves
        self.plots: list[PlotLine] = []
        # the L2 book the kernel keeps from book data (made on the first update)
        self.book: OrderBook | None = None
        self.book_view: BookView | None = None
