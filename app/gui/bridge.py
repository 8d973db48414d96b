"""The one bridge between the engine and the widgets.

Kernel listeners run wherever the kernel runs (a backtest worker thread, or the GUI thread in
paper mode). They only append to a thread-safe queue; a timer on the GUI thread drains it about
30 times a second and hands each batch to the subscribers of its message type. So a replay at
full speed costs the window one short batch per frame, never a repaint per event.

Messages are engine events, turned into immutable views where the widget needs more than the
event carries (an order event becomes an ``OrderUpdate`` with the order's terms and state, read
in the kernel's own thread at the moment of the event), plus what runs post themselves
(progress, account snapshots, plot samples). A new kind of engine event (the risk engine's
decisions, for example) reaches a model with one ``subscribe`` call: the bridge routes by type.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from core.enums import OrderSide, OrderType
from core.events import (
    BreakerTripped,
    Event,
    KillSwitchChanged,
    OrderEvent,
    RiskConfigChanged,
    TradingStateChanged,
)
from core.kernel import Kernel
from core.orders import Order

FRAME_MS = 25  # 40 frames a second at most: smooth scrolling has room to spare
FRAME_WAIT_S = 0.1  # the longest a worker waits for a frame (a stuck GUI cannot stop it)

Handler = Callable[[list[Any]], None]


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order's terms and state at one moment (what the orders blotter shows)."""

    client_order_id: str
    strategy_id: str
    instrument_id: str
    side: str
    order_type: str
    qty_raw: int
    price_raw: int | None
    trigger_raw: int | None
    status: str
    filled_raw: int
    avg_px_raw: int | None
    reason: str
    ts_init: int
    ts_last: int


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order event with the order as it stands after it."""

    event: OrderEvent
    order: OrderView | None


RISK_EVENTS = (TradingStateChanged, KillSwitchChanged, BreakerTripped, RiskConfigChanged)


@dataclass(frozen=True, slots=True)
class RiskUpdate:
    """A risk control event with the strategies of the kernel it came from: what a global
    scope (the kill switch, a global breaker) stands for in that kernel."""

    event: Event
    strategies: str


def order_view(order: Order) -> OrderView:
    avg = order.avg_px()
    return OrderView(
        client_order_id=order.client_order_id,
        strategy_id=order.strategy_id,
        instrument_id=order.instrument_id,
        side=OrderSide.name(order.side),
        order_type=OrderType.NAMES.get(order.order_type, str(order.order_type)),
        qty_raw=order.qty.raw,
        price_raw=None if order.price is None else order.price.raw,
        trigger_raw=None if order.trigger_price is None else order.trigger_price.raw,
        status=order.status_name(),
        filled_raw=order.filled_qty_raw,
        avg_px_raw=None if avg is None else avg.raw,
        reason=order.reason,
        ts_init=order.ts_init,
        ts_last=order.ts_last,
    )


class _KernelTap:
    """The listener the bridge adds to a kernel (called in the kernel's thread)."""

    def __init__(self, bridge: EngineBridge, kernel: Kernel) -> None:
        self._bridge = bridge
        self._kernel = kernel

    def __call__(self, event: Event) -> None:
        bridge = self._bridge
        gate = bridge.frame_gate
        # a frame is being drawn: a worker lets it have the interpreter; the GUI thread (paper
        # mode, the kill switch) is the one drawing it, and must not wait for itself
        if not gate.is_set() and threading.get_ident() != bridge.gui_thread:
            gate.wait(FRAME_WAIT_S)
        if isinstance(event, OrderEvent):
            order = self._kernel.order(event.client_order_id)
            self._bridge.post(OrderUpdate(event, None if order is None else order_view(order)))
        elif isinstance(event, RISK_EVENTS):
            strategies = ", ".join(r.strategy_id for r in self._kernel.records)
            self._bridge.post(RiskUpdate(event, strategies))
        else:
            self._bridge.post(event)


class EngineBridge(QObject):
    """Coalesces engine messages from any thread into per-type batches on the GUI thread."""

    frame = Signal()  # after each drain: views that redraw per frame (chart, clocks) hook here

    def __init__(self, parent: QObject | None = None, *, frame_ms: int = FRAME_MS) -> None:
        super().__init__(parent)
        self._queue: deque[Any] = deque()  # append/popleft are atomic: no lock needed
        self._subscribers: list[tuple[type, Handler]] = []
        self._pollers: list[Callable[[], None]] = []
        self._taps: dict[int, _KernelTap] = {}
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(frame_ms)
        self._timer.timeout.connect(self.drain)
        self._timer.start()
        # Set while workers may run. A frame (drain, then the repaints it causes) clears it:
        # a replay waits at its next slice, so the frame has the interpreter to itself
        # instead of fighting for the GIL on every Qt call it makes.
        self.gui_thread = threading.get_ident()  # the bridge is made on the GUI thread
        self.frame_gate = threading.Event()
        self.frame_gate.set()
        self._held = False
        self.frames = 0

    # wiring --------------------------------------------------------------------------------
    def subscribe(self, kind: type, handler: Handler) -> None:
        """``handler`` receives, once per frame, the list of messages that are ``kind``."""
        self._subscribers.append((kind, handler))

    def add_poller(self, poller: Callable[[], None]) -> None:
        """Called on the GUI thread before each drain (paper runs post snapshots from here)."""
        self._pollers.append(poller)

    def remove_poller(self, poller: Callable[[], None]) -> None:
        if poller in self._pollers:
            self._pollers.remove(poller)

    def attach(self, kernel: Kernel) -> None:
        if id(kernel) not in self._taps:
            tap = _KernelTap(self, kernel)
            self._taps[id(kernel)] = tap
            kernel.add_listener(tap)

    def detach(self, kernel: Kernel) -> None:
        tap = self._taps.pop(id(kernel), None)
        if tap is not None:
            kernel.remove_listener(tap)

    # traffic -------------------------------------------------------------------------------
    def post(self, message: object) -> None:
        """Queue a message (any thread)."""
        self._queue.append(message)

    def drain(self) -> None:
        """Deliver everything queued so far, batched by subscriber (GUI thread)."""
        self.frame_gate.clear()
        self._held = False
        for poller in list(self._pollers):
            poller()
        queue = self._queue
        n = len(queue)
        if n:
            batch = [queue.popleft() for _ in range(n)]
            by_type: dict[type, list[Any]] = {}
            for message in batch:
                by_type.setdefault(type(message), []).append(message)
            for kind, handler in self._subscribers:
                matching = [t for t in by_type if issubclass(t, kind)]
                if len(matching) == 1:
                    handler(by_type[matching[0]])
                elif matching:  # several types: in the order they were posted
                    handler([m for m in batch if isinstance(m, kind)])
        self.frames += 1
        self.frame.emit()
        if not self._held:
            self.frame_gate.set()

    def set_frame_ms(self, frame_ms: int) -> None:
        """Frames further apart (a replay at full speed: the engine gets the time)."""
        if self._timer.interval() != frame_ms:
            self._timer.setInterval(frame_ms)

    def hold_frame(self) -> None:
        """A view will repaint for this frame: keep the workers waiting until
        ``release_frame`` (they give up waiting after ``runs.FRAME_WAIT_S`` anyway)."""
        self._held = True

    def release_frame(self) -> None:
        self._held = False
        self.frame_gate.set()

    def stop(self) -> None:
        self._timer.stop()
