"""Live feeds for paper mode: a seeded synthetic market in real time, or a recording replayed
in real time. Events are stamped with the session clock, so the strategy sees wall time."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Sequence
from typing import Protocol

from core.clock import Clock
from core.feeds import HistoricalFeed, Series
from core.instruments import Instrument
from core.kernel import Kernel
from core.market import Bar, QuoteTick
from core.replay import BOOK, event_at
from core.values import SCALE


class LiveFeed(Protocol):
    """Pushes market data into the kernel until ``stop`` is set or the data runs out."""

    async def run(self, kernel: Kernel, clock: Clock, stop: asyncio.Event) -> None: ...


class SyntheticLiveFeed:
    """Quotes every ``quote_interval_s`` and bars every ``bar_interval_s`` from a seeded geometric
    random walk that switches between a calm and a volatile regime. The same seed gives the same
    price path; only the wall-clock stamps differ between runs."""

    def __init__(
        self,
        instrument: Instrument,
        *,
        seed: int,
        start_price: str = "100",
        quote_interval_s: float = 0.05,
        bar_interval_s: float = 1.0,
        vol_per_quote: float = 0.0004,
        spread_ticks: int = 2,
    ) -> None:
        if quote_interval_s <= 0 or bar_interval_s < quote_interval_s:
            raise ValueError("need 0 < quote_interval_s <= bar_interval_s")
        self.instrument = instrument
        self.quote_interval_s = quote_interval_s
        self.quotes_per_bar = max(1, round(bar_interval_s / quote_interval_s))
        self.vol_per_quote = vol_per_quote
        self.spread_ticks = max(1, spread_ticks)
        self._rng = random.Random(seed)
        self._mid = float(instrument.make_price(start_price).as_float())
        self._volatile = False

    def next_mid_raw(self) -> int:
        """One step of the walk (regime switch, then a log-normal move), on the tick grid."""
        rng = self._rng
        if rng.random() < (0.02 if self._volatile else 0.005):
            self._volatile = not self._volatile
        sigma = self.vol_per_quote * (3.0 if self._volatile else 1.0)
        self._mid *= math.exp(rng.gauss(-0.5 * sigma * sigma, sigma))
        tick = self.instrument.tick_size.raw
        return max(tick, self.instrument.round_price(round(self._mid * SCALE)).raw)

    async def run(self, kernel: Kernel, clock: Clock, stop: asyncio.Event) -> None:
        inst = self.instrument
        iid = inst.id
        tick = inst.tick_size.raw
        lot = inst.lot_size.raw
        below_mid = (self.spread_ticks // 2) * tick
        o = hi = lo = c = 0
        volume = 0
        n = 0
        while True:
            # plain sleeps, not wait_for(stop.wait()): on 3.11 a cancel that meets wait_for's
            # timeout can be lost (the task then never finishes); stop is seen one tick later
            await asyncio.sleep(self.quote_interval_s)
            if stop.is_set():
                break
            mid = self.next_mid_raw()
            bid = max(tick, mid - below_mid)
            ask = bid + self.spread_ticks * tick
            size = lot * (100 + self._rng.randrange(900))
            ts = clock.now_ns()
            kernel.on_quote(QuoteTick(iid, ts, bid, ask, size, size))
            if n == 0:
                o = hi = lo = mid
            hi = max(hi, mid)
            lo = min(lo, mid)
            c = mid
            volume += size
            n += 1
            if n == self.quotes_per_bar:
                kernel.on_bar(Bar(iid, ts, o, hi, lo, c, volume))
                n = 0
                volume = 0


class RecordedFeed:
    """Replays recorded series in real time (``speed`` x), keeping their spacing."""

    def __init__(self, series: Sequence[Series], *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.series = list(series)
        self.speed = speed

    async def run(self, kernel: Kernel, clock: Clock, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        feed = HistoricalFeed(self.series)
        first = feed.first_ts
        wall0 = loop.time()
        for chunks, order in feed:
            sequence = order if order is not None else [0] * len(chunks[0])
            for k in sequence:
                chunk = chunks[k]
                i = chunk.pos
                chunk.pos = i + 1
                if chunk.kind == BOOK and i > 0 and chunk.c4[i] == chunk.c4[i - 1]:
                    continue  # sent with the first row of its book update
                due = wall0 + (chunk.ts[i] - first) / 1e9 / self.speed
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if stop.is_set():
                    return
                kernel.on_data(event_at(chunk, i, clock.now_ns()))


async def run_live(
    kernel: Kernel,
    clock: Clock,
    feed: LiveFeed,
    *,
    duration_s: float | None = None,
    heartbeat_s: float = 0.05,
) -> None:
    """Run ``feed`` into ``kernel`` for ``duration_s`` (None: until the feed ends), firing timers
    and delivering delayed venue messages on a heartbeat even when no data arrives."""
    stop = asyncio.Event()

    async def heartbeat() -> None:
        while not stop.is_set():
            kernel.advance_time(clock.now_ns())
            await asyncio.sleep(heartbeat_s)

    beat = asyncio.create_task(heartbeat())
    feeding = asyncio.create_task(feed.run(kernel, clock, stop))
    try:
        if duration_s is None:
            await feeding
        else:
            done, _ = await asyncio.wait({feeding}, timeout=duration_s)
            if feeding in done:
                feeding.result()
    finally:
        stop.set()
        await asyncio.gather(feeding, beat, return_exceptions=True)
