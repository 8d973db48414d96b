"""Instruments: what is traded, where, and on which price and quantity grid."""

from __future__ import annotations

from decimal import Decimal
from typing import Final, final

from core.values import (
    PRECISION,
    SCALE,
    InvalidValue,
    Price,
    Qty,
    raw_from_decimal,
    raw_from_float,
    raw_from_str,
)


@final
class Instrument:
    """A tradable instrument with id ``SYMBOL.VENUE`` (``SPY.ARCA``, ``BTCUSDT.BINANCE``)."""

    def __init__(
        self,
        *,
        instrument_id: str,
        tick_size: Price,
        lot_size: Qty,
        quote_currency: str,
        multiplier: int = 1,
        min_qty: Qty | None = None,
    ) -> None:
        symbol, dot, venue = instrument_id.rpartition(".")
        if not dot or not symbol or not venue:
            raise InvalidValue(f"instrument id must look like SYMBOL.VENUE, got {instrument_id!r}")
        if tick_size.raw <= 0:
            raise InvalidValue(f"{instrument_id}: tick size must be positive")
        if lot_size.raw <= 0:
            raise InvalidValue(f"{instrument_id}: lot size must be positive")
        if multiplier <= 0:
            raise InvalidValue(f"{instrument_id}: multiplier must be positive")
        self.id: Final = instrument_id
        self.symbol: Final = symbol
        self.venue: Final = venue
        self.tick_size: Final = tick_size
        self.lot_size: Final = lot_size
        self.quote_currency: Final = quote_currency
        self.multiplier: Final = multiplier
        self.min_qty: Final = min_qty if min_qty is not None else lot_size
        self.price_decimals: Final = _decimals(tick_size.raw)
        self.size_decimals: Final = _decimals(lot_size.raw)

    def make_price(self, value: float | str | Decimal) -> Price:
        """The edge where outside numbers become prices: rounded to the nearest tick."""
        raw = _to_raw(value, "price")
        tick = self.tick_size.raw
        return Price(_round_to(raw, tick))

    def make_qty(self, value: float | str | Decimal | int) -> Qty:
        """A quantity rounded down to whole lots (never more than asked for)."""
        raw = value * SCALE if isinstance(value, int) else _to_raw(value, "quantity")
        lot = self.lot_size.raw
        return Qty((raw // lot) * lot)

    def is_on_tick(self, price: Price) -> bool:
        return price.raw % self.tick_size.raw == 0

    def is_on_lot(self, qty: Qty) -> bool:
        return qty.raw % self.lot_size.raw == 0

    def round_price(self, raw: int) -> Price:
        """Round a raw price to the nearest tick (half away from zero, deterministic)."""
        return Price(_round_to(raw, self.tick_size.raw))

    def __repr__(self) -> str:
        return f"Instrument({self.id})"


def _to_raw(value: float | str | Decimal, what: str) -> int:
    if isinstance(value, str):
        return raw_from_str(value, what)
    if isinstance(value, Decimal):
        return raw_from_decimal(value, what)
    return raw_from_float(value, what)


def _round_to(raw: int, step: int) -> int:
    q = abs(raw) // step
    r = abs(raw) - q * step
    if 2 * r >= step:
        q += 1
    return q * step if raw >= 0 else -q * step


def _decimals(raw: int) -> int:
    decimals = PRECISION
    while decimals > 0 and raw % 10 == 0:
        raw //= 10
        decimals -= 1
    return decimals


def equity(symbol: str, venue: str = "SIM", currency: str = "USD") -> Instrument:
    """A cash equity: 0.01 tick, 1-share lots."""
    return Instrument(
        instrument_id=f"{symbol}.{venue}",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.of(1),
        quote_currency=currency,
    )
