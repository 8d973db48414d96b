"""Fee models: what one fill costs, in 1e-9 units of the instrument's quote currency.

Every model rounds half to even at 1e-9, the one rounding rule of the engine. A negative fee is
a rebate (a maker rebate in ``MakerTakerFee``).
"""

from __future__ import annotations

from typing import Final, final

from mypy_extensions import mypyc_attr

from core.enums import Liquidity
from core.instruments import Instrument
from core.values import SCALE, Money, div_round_half_even, exact_mul
from venues.simulated.config import to_ppb

# price_raw x qty_raw is in 1e-18 units and a bps parameter is held in 1e-9 bps
NOTIONAL_BPS_DEN: Final = SCALE * 10_000 * SCALE


def notional_bps_fee_raw(px_raw: int, qty_raw: int, multiplier: int, rate_nano: int) -> int:
    """``rate_nano`` (1e-9 bps) of |price x qty| x multiplier, rounded half-even once."""
    px = px_raw if px_raw >= 0 else -px_raw  # not abs(): a generic call in compiled code
    qty = qty_raw if qty_raw >= 0 else -qty_raw
    if qty % SCALE == 0 and rate_nano % SCALE == 0:
        # whole units at a whole-bps rate (the usual case): both 1e9 factors cancel against the
        # divisor first, the same exact quotient (same rounding) in machine-size ints
        units_bps = exact_mul(qty // SCALE, rate_nano // SCALE)
        return div_round_half_even(exact_mul(exact_mul(px, multiplier), units_bps), 10_000)
    return div_round_half_even(px * qty * multiplier * rate_nano, NOTIONAL_BPS_DEN)


@mypyc_attr(allow_interpreted_subclasses=True)
class FeeModel:
    """Base of the fee models; subclass it (also from interpreted code) for a venue's schedule."""

    def fee_raw(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> int:
        """The fee of one fill of ``qty_raw`` at ``px_raw`` (raw units of the quote currency)."""
        raise NotImplementedError

    def fee(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> Money:
        return Money(
            self.fee_raw(instrument, side, qty_raw, px_raw, liquidity), instrument.quote_currency
        )


@final
class NoFee(FeeModel):
    def fee_raw(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> int:
        return 0

    def __repr__(self) -> str:
        return "NoFee()"


@final
class BpsFee(FeeModel):
    """A share of the notional: ``BpsFee(1)`` charges 1 bp = 0.01 % of price x qty x multiplier."""

    def __init__(self, bps: float | int | str) -> None:
        bps_nano = to_ppb(bps, "fee bps")
        if bps_nano < 0:
            raise ValueError(f"fee bps must not be negative, got {bps}")
        self.bps: Final = bps
        self.bps_nano: Final = bps_nano

    def fee_raw(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> int:
        return notional_bps_fee_raw(px_raw, qty_raw, instrument.multiplier, self.bps_nano)

    def __repr__(self) -> str:
        return f"BpsFee({self.bps} bps)"


@final
class PerShareFee(FeeModel):
    """A fee per unit of quantity with a minimum per fill: ``PerShareFee("0.005", "1.00")``."""

    def __init__(self, per_unit: str, minimum: str = "0") -> None:
        per_unit_raw = to_ppb(per_unit, "fee per unit")
        minimum_raw = to_ppb(minimum, "minimum fee")
        if per_unit_raw < 0 or minimum_raw < 0:
            raise ValueError(
                f"per-unit fee and minimum must not be negative: {per_unit}, {minimum}"
            )
        self.per_unit: Final = per_unit
        self.minimum: Final = minimum
        self.per_unit_raw: Final = per_unit_raw
        self.minimum_raw: Final = minimum_raw

    def fee_raw(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> int:
        fee = div_round_half_even(qty_raw * self.per_unit_raw, SCALE)
        return fee if fee > self.minimum_raw else self.minimum_raw

    def __repr__(self) -> str:
        return f"PerShareFee({self.per_unit} per unit, minimum {self.minimum})"


@final
class MakerTakerFee(FeeModel):
    """Bps of notional by liquidity; a negative ``maker_bps`` is a rebate paid to the trader."""

    def __init__(self, maker_bps: float | int | str, taker_bps: float | int | str) -> None:
        self.maker_bps: Final = maker_bps
        self.taker_bps: Final = taker_bps
        self.maker_nano: Final = to_ppb(maker_bps, "maker bps")
        self.taker_nano: Final = to_ppb(taker_bps, "taker bps")

    def fee_raw(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, liquidity: int
    ) -> int:
        rate = self.maker_nano if liquidity == Liquidity.MAKER else self.taker_nano
        return notional_bps_fee_raw(px_raw, qty_raw, instrument.multiplier, rate)

    def __repr__(self) -> str:
        return f"MakerTakerFee(maker {self.maker_bps} bps, taker {self.taker_bps} bps)"
