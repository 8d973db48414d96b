"""What a strategy asks to see on its chart: indicator values sampled at each bar.

A strategy declares its lines once (``ctx.plot(name, indicator)`` in ``on_start``); the kernel
samples them after the strategies have seen a bar of the line's instrument, and only while a
chart is watching (``Kernel.record_plots``), so a headless backtest pays nothing for them.
"""

from __future__ import annotations

from typing import Final, final

from core.indicators import Indicator


@final
class PlotLine:
    """One named line of a strategy: its source indicator and the samples taken so far.

    ``ts`` is appended before ``values``, so a reader on another thread that slices both to
    ``min(len(ts), len(values))`` always sees whole samples.
    """

    def __init__(self, strategy_id: str, name: str, instrument_id: str, source: Indicator) -> None:
        self.strategy_id: Final = strategy_id
        self.name: Final = name
        self.instrument_id: Final = instrument_id
        self.source = source
        self.ts: list[int] = []
        self.values: list[float] = []

    def sample(self, ts: int) -> None:
        self.ts.append(ts)
        self.values.append(self.source.value)

    def __len__(self) -> int:
        return min(len(self.ts), len(self.values))
