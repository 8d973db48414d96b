"""The simulated venue: a deterministic matching engine for backtests and paper trading.

The fill rules are documented in ``venues.simulated.venue``; the models here decide fees,
slippage and latency.
"""

from venues.simulated.config import BarConvention, DataKind, FillConfig
from venues.simulated.engine import (
    CANCELED_BY_REQUEST,
    FOK_UNFILLED,
    IOC_REMAINDER,
    REDUCE_ONLY_FLAT,
)
from venues.simulated.fees import BpsFee, FeeModel, MakerTakerFee, NoFee, PerShareFee
from venues.simulated.latency import LatencyModel
from venues.simulated.slippage import (
    FixedBpsSlippage,
    HalfSpreadSlippage,
    NoSlippage,
    SlippageModel,
    VolatilitySlippage,
)
from venues.simulated.venue import SimulatedVenue

__all__ = [
    "CANCELED_BY_REQUEST",
    "FOK_UNFILLED",
    "IOC_REMAINDER",
    "REDUCE_ONLY_FLAT",
    "BarConvention",
    "BpsFee",
    "DataKind",
    "FeeModel",
    "FillConfig",
    "FixedBpsSlippage",
    "HalfSpreadSlippage",
    "LatencyModel",
    "MakerTakerFee",
    "NoFee",
    "NoSlippage",
    "PerShareFee",
    "SimulatedVenue",
    "SlippageModel",
    "VolatilitySlippage",
]
