"""AlpacaDataFeed: Alpaca's market-data stream into the kernel (a ``core.live.LiveFeed``).

Quotes, trades and bars of the subscribed symbols become ``QuoteTick``/``TradeTick``/``Bar``
stamped with the session's live clock (the strategy sees when the data arrived, as in paper
mode); prices and sizes are read exactly (JSON numbers as Decimal). A malformed message is
logged and skipped; a dropped connection is logged and reopened with backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from core.clock import Clock
from core.instruments import Instrument
from core.kernel import Kernel
from core.market import Aggressor, Bar, QuoteTick, TradeTick
from venues.alpaca.config import BrokerConfig
from venues.alpaca.stream import BACKOFF_S, DataStream
from venues.alpaca.wire import WireError, decimal_of, price_of, qty_of

SOURCE = "broker"


class AlpacaDataFeed:
    """Streams ``instruments`` (broker symbol: the part of the id before the dot)."""

    def __init__(
        self,
        config: BrokerConfig,
        instruments: Sequence[Instrument],
        *,
        quotes: bool = True,
        trades: bool = False,
        bars: bool = True,
        backoff_s: Sequence[float] = BACKOFF_S,
    ) -> None:
        self.config = config
        self._by_symbol = {inst.symbol: inst for inst in instruments}
        symbols = list(self._by_symbol)
        self._subscribe: dict[str, list[str]] = {}
        for kind, wanted in (("quotes", quotes), ("trades", trades), ("bars", bars)):
            if wanted:
                self._subscribe[kind] = symbols
        if not self._subscribe:
            raise ValueError("subscribe to at least one of quotes, trades, bars")
        self._backoff = tuple(backoff_s)
        self.received = 0

    async def run(self, kernel: Kernel, clock: Clock, stop: asyncio.Event) -> None:
        def log(level: str, message: str) -> None:
            kernel.log(SOURCE, level, message)

        def on_data(item: dict[str, Any]) -> None:
            try:
                data = self._parse(item, clock.now_ns())
            except (WireError, KeyError) as exc:
                log("ERROR", f"alpaca market data: malformed {item.get('T')} ignored: {exc}")
                return
            if data is not None:
                self.received += 1
                kernel.on_data(data)

        stream = DataStream(
            self.config.data_url,
            self.config.key_id,
            self.config.secret,
            subscribe=self._subscribe,
            on_data=on_data,
            log=log,
            backoff_s=self._backoff,
        )
        await stream.start()
        try:
            await stop.wait()
        finally:
            await stream.stop()

    def _parse(self, item: dict[str, Any], ts: int) -> Bar | QuoteTick | TradeTick | None:
        inst = self._by_symbol.get(str(item.get("S")))
        if inst is None:
            return None
        kind = item["T"]
        if kind == "q":
            bid, ask = _px(item["bp"], "bp"), _px(item["ap"], "ap")
            return QuoteTick(
                inst.id, ts, bid, ask, qty_of(item["bs"], "bs").raw, qty_of(item["as"], "as").raw
            )
        if kind == "t":
            price = price_of(item["p"], "p").raw
            return TradeTick(inst.id, ts, price, qty_of(item["s"], "s").raw, Aggressor.UNKNOWN)
        return Bar(
            inst.id,
            ts,
            price_of(item["o"], "o").raw,
            price_of(item["h"], "h").raw,
            price_of(item["l"], "l").raw,
            price_of(item["c"], "c").raw,
            qty_of(item["v"], "v").raw,
        )


def _px(value: object, what: str) -> int:
    """A quote side's price; 0 (no bid or no ask) stays 0."""
    if decimal_of(value, what) == 0:
        return 0
    return price_of(value, what).raw
