"""Streaming indicators with O(1) updates (floats: indicator maths never touches the ledger)."""

from __future__ import annotations

import math
from typing import Final, final

from mypy_extensions import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)
class Indicator:
    """A value computed from one number per update (a bar's close, a quote's mid)."""

    value: float

    @property
    def ready(self) -> bool:
        raise NotImplementedError

    def update(self, x: float) -> float:
        raise NotImplementedError


@final
class SMA(Indicator):
    """Simple moving average of the last ``period`` values.

    The window sum is a compensated (Neumaier) running sum: O(1) per update with no drift, so a
    huge value leaving the window leaves no trace (a plain running sum would keep its rounding
    error for ever).
    """

    def __init__(self, period: int) -> None:
        if period <= 0:
            raise ValueError(f"SMA period must be positive, got {period}")
        self.period: Final = period
        self._window: list[float] = [0.0] * period
        self._i = 0
        self._count = 0
        self._sum = 0.0
        self._compensation = 0.0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        return self._count >= self.period

    def update(self, x: float) -> float:
        i = self._i
        # two Neumaier steps, inlined (this runs for every bar of every shared SMA): + x, - old
        s = self._sum
        c = self._compensation
        t = s + x
        c += (s - t) + x if abs(s) >= abs(x) else (x - t) + s
        old = -self._window[i]
        s = t + old
        c += (t - s) + old if abs(t) >= abs(old) else (old - s) + t
        self._sum = s
        self._compensation = c
        self._window[i] = x
        self._i = i + 1 if i + 1 < self.period else 0
        if self._count < self.period:
            self._count += 1
            if self._count < self.period:
                return self.value
        self.value = (self._sum + self._compensation) / self.period
        return self.value


@final
class EMA(Indicator):
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the first value."""

    def __init__(self, period: int) -> None:
        if period <= 0:
            raise ValueError(f"EMA period must be positive, got {period}")
        self.period: Final = period
        self.alpha: Final = 2.0 / (period + 1)
        self._count = 0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        return self._count >= self.period

    def update(self, x: float) -> float:
        if self._count == 0:
            self.value = x
        else:
            self.value += self.alpha * (x - self.value)
        self._count += 1
        return self.value


@final
class RollingStats:
    """Rolling mean and sample standard deviation over ``period`` values (Welford-free:
    sums of x and x^2 over a ring buffer, recomputed exactly every ``period`` updates to stop
    drift)."""

    def __init__(self, period: int) -> None:
        if period < 2:
            raise ValueError(f"rolling window must be at least 2, got {period}")
        self.period: Final = period
        self._window: list[float] = [0.0] * period
        self._i = 0
        self._count = 0
        self._sum = 0.0
        self._sumsq = 0.0
        self._shift = 0.0
        self.mean = math.nan
        self.std = math.nan

    @property
    def ready(self) -> bool:
        return self._count >= self.period

    def update(self, x: float) -> None:
        # sums of (x - shift), the shift being the window mean at the last exact recompute:
        # no catastrophic cancellation when the spread is small against the level
        i = self._i
        old = self._window[i]
        self._window[i] = x
        k = self._shift
        dx, dold = x - k, old - k
        self._sum += dx - dold
        self._sumsq += dx * dx - dold * dold
        self._i = i + 1 if i + 1 < self.period else 0
        if self._i == 0:
            k = math.fsum(self._window) / self.period
            self._shift = k
            self._sum = math.fsum([v - k for v in self._window])
            self._sumsq = math.fsum([(v - k) * (v - k) for v in self._window])
        if self._count < self.period:
            self._count += 1
            if self._count < self.period:
                return
        n = self.period
        self.mean = self._shift + self._sum / n
        var = (self._sumsq - self._sum * self._sum / n) / (n - 1)
        self.std = math.sqrt(var) if var > 0.0 else 0.0


@final
class RSI(Indicator):
    """Wilder's relative strength index (0..100)."""

    def __init__(self, period: int) -> None:
        if period <= 0:
            raise ValueError(f"RSI period must be positive, got {period}")
        self.period: Final = period
        self._prev = math.nan
        self._count = 0
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self.value = math.nan

    @property
    def ready(self) -> bool:
        return self._count > self.period

    def update(self, x: float) -> float:
        if self._count == 0:
            self._prev = x
            self._count = 1
            return self.value
        change = x - self._prev
        self._prev = x
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        n = self.period
        if self._count <= n:
            self._avg_gain += gain / n
            self._avg_loss += loss / n
        else:
            self._avg_gain = (self._avg_gain * (n - 1) + gain) / n
            self._avg_loss = (self._avg_loss * (n - 1) + loss) / n
        self._count += 1
        if self._count > n:
            if self._avg_loss == 0.0:
                self.value = 100.0 if self._avg_gain > 0.0 else 50.0
            else:
                rs = self._avg_gain / self._avg_loss
                self.value = 100.0 - 100.0 / (1.0 + rs)
        return self.value


@final
class Donchian:
    """Highest high and lowest low of the last ``period`` bars (monotonic queues, O(1))."""

    def __init__(self, period: int) -> None:
        if period <= 0:
            raise ValueError(f"Donchian period must be positive, got {period}")
        self.period: Final = period
        self._n = 0
        self._highs: list[tuple[int, float]] = []
        self._lows: list[tuple[int, float]] = []
        self._hstart = 0
        self._lstart = 0
        self.upper = math.nan
        self.lower = math.nan

    @property
    def ready(self) -> bool:
        return self._n >= self.period

    def update(self, high: float, low: float) -> None:
        n = self._n
        highs = self._highs
        while len(highs) > self._hstart and highs[-1][1] <= high:
            highs.pop()
        highs.append((n, high))
        lows = self._lows
        while len(lows) > self._lstart and lows[-1][1] >= low:
            lows.pop()
        lows.append((n, low))
        oldest = n - self.period + 1
        while highs[self._hstart][0] < oldest:
            self._hstart += 1
        while lows[self._lstart][0] < oldest:
            self._lstart += 1
        if self._hstart > 1024:
            del highs[: self._hstart]
            self._hstart = 0
        if self._lstart > 1024:
            del lows[: self._lstart]
            self._lstart = 0
        self._n = n + 1
        if self._n >= self.period:
            self.upper = highs[self._hstart][1]
            self.lower = lows[self._lstart][1]
