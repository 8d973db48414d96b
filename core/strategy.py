"""The Strategy base class that user code subclasses, written once for every mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mypy_extensions import mypyc_attr

from core.book import BookView
from core.events import Event, OrderEvent, OrderFilled, TimerFired
from core.market import Bar, QuoteTick, TradeTick

if TYPE_CHECKING:
    from core.context import Context


@mypyc_attr(allow_interpreted_subclasses=True)
class Strategy:
    """Subclass and override the callbacks you need; talk to the world only through ``self.ctx``.

    ``instrument_ids`` are the instruments whose data the strategy receives. ``history`` is how many
    recent bars per instrument ``ctx.history`` keeps (0: none). Indicators to chart are declared
    once with ``ctx.plot(name, indicator)`` in ``on_start``.
    """

    def __init__(
        self, *, strategy_id: str, instrument_ids: Sequence[str], history: int = 0
    ) -> None:
        if not strategy_id:
            raise ValueError("a strategy needs a non-empty strategy_id")
        if not instrument_ids:
            raise ValueError(f"strategy {strategy_id} must name at least one instrument")
        self.strategy_id = strategy_id
        self.instrument_ids: tuple[str, ...] = tuple(instrument_ids)
        self.history = history
        self._ctx: Context | None = None

    @property
    def ctx(self) -> Context:
        ctx = self._ctx
        if ctx is None:
            raise RuntimeError(f"strategy {self.strategy_id} is not attached to a kernel yet")
        return ctx

    def attach(self, ctx: Context) -> None:
        self._ctx = ctx

    def on_start(self) -> None:
        """Called once when the strategy starts (after a mode switch too: keep it idempotent)."""

    def on_bar(self, bar: Bar) -> None:
        pass

    def on_quote(self, quote: QuoteTick) -> None:
        pass

    def on_trade_tick(self, tick: TradeTick) -> None:
        pass

    def on_book(self, book: BookView) -> None:
        """The instrument's L2 book after each whole venue update (``book.instrument_id``)."""

    def on_order_event(self, event: OrderEvent) -> None:
        pass

    def on_fill(self, fill: OrderFilled) -> None:
        pass

    def on_timer(self, event: TimerFired) -> None:
        pass

    def on_risk_event(self, event: Event) -> None:
        """A risk decision about one of this strategy's orders (``OrderRiskDecision``), or a
        change of its trading state, a breaker, the kill switch or its limits."""

    def on_stop(self) -> None:
        pass
