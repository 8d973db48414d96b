"""Exact fixed-point values: Price, Qty and Money.

Every value is an integer count of 1e-9 units (``raw``). Conversions from text, ``Decimal`` and
``float`` happen here and nowhere else; arithmetic between values stays in integers, so a ledger
built from them is exact and deterministic. Products that need more than nine decimals (price x
quantity with many decimals on both sides) are rounded half-to-even at 1e-9, the one rounding rule
of the engine.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Final, final

from mypy_extensions import i64

PRECISION: Final = 9
SCALE: Final = 1_000_000_000
_DEC_SCALE: Final = Decimal(SCALE)
_SHORT_MAX: Final = (1 << 62) - 1  # the largest int mypyc keeps unboxed
# a float product below this puts the exact one far below 2**63 (float error is ~1e-16 relative)
_I64_PRODUCT_MAX: Final = 4.0e18


class InvalidValue(ValueError):
    """Raised for a value that cannot be a price, quantity or amount (NaN, infinite, bad text)."""


def exact_mul(a: int, b: int) -> int:
    """``a * b``, as fast as machine ints allow in compiled code.

    There a plain ``*`` turns both ints into Python objects as soon as one is negative or above
    2**30 (any raw price is); this multiplies machine ints whenever the product surely fits in
    63 bits and uses ``*`` (the same result) otherwise.
    """
    if (
        -_SHORT_MAX <= a <= _SHORT_MAX
        and -_SHORT_MAX <= b <= _SHORT_MAX
        and -_I64_PRODUCT_MAX < float(a) * float(b) < _I64_PRODUCT_MAX
    ):
        return int(i64(a) * i64(b))
    return a * b


def div_round_half_even(num: int, den: int) -> int:
    """Integer division ``num / den`` rounded half to even (den > 0)."""
    # not divmod (a tuple) nor num - q * den (a boxed multiply): // and % stay native in mypyc
    q = num // den
    r = num % den
    twice = r + r
    if twice > den or (twice == den and q % 2 == 1):
        q += 1
    return q


def raw_from_decimal(value: Decimal, what: str) -> int:
    if not value.is_finite():
        raise InvalidValue(f"{what} must be a finite number, got {value}")
    sign, digits, exponent = value.as_tuple()  # exact: no decimal context involved
    coefficient = int("".join(map(str, digits))) if digits else 0
    shift = int(exponent) + PRECISION
    raw: int
    if shift >= 0:
        raw = coefficient * 10**shift
    else:
        raw, rest = divmod(coefficient, 10**-shift)
        if rest:
            raise InvalidValue(f"{what} {value} has more than {PRECISION} decimals")
    return -raw if sign else raw


def raw_from_str(text: str, what: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidValue(f"{what} {text!r} is not a number") from None
    return raw_from_decimal(value, what)


def raw_from_float(value: float, what: str) -> int:
    """The nearest 1e-9 multiple of a float (floats only enter at the data edge)."""
    if math.isnan(value) or math.isinf(value):
        raise InvalidValue(f"{what} must be a finite number, got {value}")
    return round(value * SCALE)


def format_raw(raw: int, decimals: int = PRECISION) -> str:
    """Fixed-point text with ``decimals`` places (rounded half to even when fewer than 9)."""
    if decimals < PRECISION:
        raw = div_round_half_even(raw, 10 ** (PRECISION - decimals)) * 10 ** (PRECISION - decimals)
    sign = "-" if raw < 0 else ""
    whole, frac = divmod(abs(raw), SCALE)
    if decimals <= 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).rjust(PRECISION, '0')[:decimals]}"


def _to_decimal(raw: int) -> Decimal:
    """Exact: building a Decimal from a tuple never rounds, whatever the context."""
    return Decimal((1 if raw < 0 else 0, tuple(int(c) for c in str(abs(raw))), -PRECISION))


def _plain_text(raw: int) -> str:
    text = format_raw(raw)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@final
class Price:
    """A price (may be negative for spreads); ``raw`` counts 1e-9 units of the quote currency."""

    __slots__ = ("raw",)

    def __init__(self, raw: int) -> None:
        self.raw: Final = raw

    @staticmethod
    def parse(text: str) -> Price:
        return Price(raw_from_str(text, "price"))

    @staticmethod
    def from_decimal(value: Decimal) -> Price:
        return Price(raw_from_decimal(value, "price"))

    def as_float(self) -> float:
        return self.raw / SCALE

    def as_decimal(self) -> Decimal:
        return _to_decimal(self.raw)

    def __add__(self, other: Price) -> Price:
        return Price(self.raw + other.raw)

    def __sub__(self, other: Price) -> Price:
        return Price(self.raw - other.raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Price) and other.raw == self.raw

    def __ne__(self, other: object) -> bool:
        return not (isinstance(other, Price) and other.raw == self.raw)

    def __lt__(self, other: Price) -> bool:
        return self.raw < other.raw

    def __le__(self, other: Price) -> bool:
        return self.raw <= other.raw

    def __gt__(self, other: Price) -> bool:
        return self.raw > other.raw

    def __ge__(self, other: Price) -> bool:
        return self.raw >= other.raw

    def __hash__(self) -> int:
        return hash(("Price", self.raw))

    def __repr__(self) -> str:
        return f"Price({_plain_text(self.raw)})"

    def __str__(self) -> str:
        return _plain_text(self.raw)


@final
class Qty:
    """A non-negative quantity; ``raw`` counts 1e-9 units (shares, contracts, coins)."""

    __slots__ = ("raw",)

    def __init__(self, raw: int) -> None:
        if raw < 0:
            raise InvalidValue(f"quantity must not be negative, got {format_raw(raw)}")
        self.raw: Final = raw

    @staticmethod
    def parse(text: str) -> Qty:
        return Qty(raw_from_str(text, "quantity"))

    @staticmethod
    def from_decimal(value: Decimal) -> Qty:
        return Qty(raw_from_decimal(value, "quantity"))

    @staticmethod
    def of(units: int) -> Qty:
        """A whole number of units (shares, contracts)."""
        return Qty(exact_mul(units, SCALE))

    def as_float(self) -> float:
        return self.raw / SCALE

    def as_decimal(self) -> Decimal:
        return _to_decimal(self.raw)

    def is_zero(self) -> bool:
        return self.raw == 0

    def __add__(self, other: Qty) -> Qty:
        return Qty(self.raw + other.raw)

    def __sub__(self, other: Qty) -> Qty:
        return Qty(self.raw - other.raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Qty) and other.raw == self.raw

    def __ne__(self, other: object) -> bool:
        return not (isinstance(other, Qty) and other.raw == self.raw)

    def __lt__(self, other: Qty) -> bool:
        return self.raw < other.raw

    def __le__(self, other: Qty) -> bool:
        return self.raw <= other.raw

    def __gt__(self, other: Qty) -> bool:
        return self.raw > other.raw

    def __ge__(self, other: Qty) -> bool:
        return self.raw >= other.raw

    def __hash__(self) -> int:
        return hash(("Qty", self.raw))

    def __repr__(self) -> str:
        return f"Qty({_plain_text(self.raw)})"

    def __str__(self) -> str:
        return _plain_text(self.raw)


@final
class Money:
    """An amount of one currency; ``raw`` counts 1e-9 units of it."""

    __slots__ = ("currency", "raw")

    def __init__(self, raw: int, currency: str) -> None:
        self.raw: Final = raw
        self.currency: Final = currency

    @staticmethod
    def parse(text: str, currency: str) -> Money:
        return Money(raw_from_str(text, "amount"), currency)

    @staticmethod
    def from_decimal(value: Decimal, currency: str) -> Money:
        return Money(raw_from_decimal(value, "amount"), currency)

    def as_float(self) -> float:
        return self.raw / SCALE

    def as_decimal(self) -> Decimal:
        return _to_decimal(self.raw)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidValue(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.raw + other.raw, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.raw - other.raw, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.raw, self.currency)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Money) and other.raw == self.raw and other.currency == self.currency
        )

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.raw < other.raw

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.raw <= other.raw

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.raw > other.raw

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.raw >= other.raw

    def __hash__(self) -> int:
        return hash(("Money", self.raw, self.currency))

    def __repr__(self) -> str:
        return f"Money({_plain_text(self.raw)} {self.currency})"

    def __str__(self) -> str:
        return f"{format_raw(self.raw, 2)} {self.currency}"


def notional_raw(price_raw: int, qty_raw: int, multiplier: int) -> int:
    """Exact-as-possible notional (raw money units) of ``qty`` at ``price`` times ``multiplier``."""
    if qty_raw % SCALE == 0:
        # whole units (shares, contracts): exact without the 1e18-scale product
        return exact_mul(exact_mul(price_raw, qty_raw // SCALE), multiplier)
    return div_round_half_even(price_raw * qty_raw * multiplier, SCALE)
