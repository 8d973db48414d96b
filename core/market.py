"""Market data: bars, quote ticks and trade ticks. Timestamps are integer ns UTC.

Prices and sizes are stored as raw fixed-point ints (``Price.raw``): a backtest builds millions
of these, and four ints cost far less than four ``Price`` objects. The ``Price``/``Qty``
properties (``bar.close``) are the strategy-facing view; engine hot paths read ``*_raw``.
"""

from __future__ import annotations

from typing import Final, final

from core.values import Price, Qty


@final
class Bar:
    """An OHLCV bar; ``ts_event`` is the bar's close time (when it became known)."""

    def __init__(
        self,
        instrument_id: str,
        ts_event: int,
        open_raw: int,
        high_raw: int,
        low_raw: int,
        close_raw: int,
        volume_raw: int,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.open_raw: Final = open_raw
        self.high_raw: Final = high_raw
        self.low_raw: Final = low_raw
        self.close_raw: Final = close_raw
        self.volume_raw: Final = volume_raw

    @staticmethod
    def of(
        instrument_id: str,
        ts_event: int,
        open: Price,
        high: Price,
        low: Price,
        close: Price,
        volume: Qty,
    ) -> Bar:
        """A bar from domain values (tests, adapters)."""
        return Bar(instrument_id, ts_event, open.raw, high.raw, low.raw, close.raw, volume.raw)

    @property
    def open(self) -> Price:
        return Price(self.open_raw)

    @property
    def high(self) -> Price:
        return Price(self.high_raw)

    @property
    def low(self) -> Price:
        return Price(self.low_raw)

    @property
    def close(self) -> Price:
        return Price(self.close_raw)

    @property
    def volume(self) -> Qty:
        return Qty(self.volume_raw)

    def __repr__(self) -> str:
        return (
            f"Bar({self.instrument_id} {self.ts_event} O={self.open} H={self.high} "
            f"L={self.low} C={self.close} V={self.volume})"
        )


@final
class QuoteTick:
    """Top of book: best bid and ask with their sizes."""

    def __init__(
        self,
        instrument_id: str,
        ts_event: int,
        bid_raw: int,
        ask_raw: int,
        bid_size_raw: int,
        ask_size_raw: int,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.bid_raw: Final = bid_raw
        self.ask_raw: Final = ask_raw
        self.bid_size_raw: Final = bid_size_raw
        self.ask_size_raw: Final = ask_size_raw

    @staticmethod
    def of(
        instrument_id: str, ts_event: int, bid: Price, ask: Price, bid_size: Qty, ask_size: Qty
    ) -> QuoteTick:
        """A quote from domain values (tests, adapters)."""
        return QuoteTick(instrument_id, ts_event, bid.raw, ask.raw, bid_size.raw, ask_size.raw)

    @property
    def bid(self) -> Price:
        return Price(self.bid_raw)

    @property
    def ask(self) -> Price:
        return Price(self.ask_raw)

    @property
    def bid_size(self) -> Qty:
        return Qty(self.bid_size_raw)

    @property
    def ask_size(self) -> Qty:
        return Qty(self.ask_size_raw)

    def mid_raw(self) -> int:
        """(bid + ask) / 2, rounded down to 1e-9 when the sum is odd."""
        return (self.bid_raw + self.ask_raw) // 2

    def __repr__(self) -> str:
        return (
            f"QuoteTick({self.instrument_id} {self.ts_event} {self.bid_size}@{self.bid} / "
            f"{self.ask_size}@{self.ask})"
        )


class Aggressor:
    """Which side initiated a trade print."""

    UNKNOWN: Final = 0
    BUYER: Final = 1
    SELLER: Final = 2


@final
class TradeTick:
    """A market print (someone else's trade)."""

    def __init__(
        self, instrument_id: str, ts_event: int, price_raw: int, size_raw: int, aggressor: int
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.price_raw: Final = price_raw
        self.size_raw: Final = size_raw
        self.aggressor: Final = aggressor

    @staticmethod
    def of(instrument_id: str, ts_event: int, price: Price, size: Qty, aggressor: int) -> TradeTick:
        """A print from domain values (tests, adapters)."""
        return TradeTick(instrument_id, ts_event, price.raw, size.raw, aggressor)

    @property
    def price(self) -> Price:
        return Price(self.price_raw)

    @property
    def size(self) -> Qty:
        return Qty(self.size_raw)

    def __repr__(self) -> str:
        return f"TradeTick({self.instrument_id} {self.ts_event} {self.size}@{self.price})"
