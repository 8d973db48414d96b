"""The synthetic market's parameters and its state over time: volatility regimes and stress
scenarios, as per-slot arrays on a grid of one-second slots (``SLOT_NS``). ``core.data.marketgen``
draws the events from them.

Regimes. A three-state Markov chain over slots, ``calm``, ``volatile`` and ``news``: a run in
state ``r`` lasts a geometric number of slots with mean ``regime_mean_s[r]``; then the next state
is drawn from ``TRANSITIONS[r]``. The first state is drawn from the chain's stationary
distribution. Per regime: event rate ``events_per_s``, annual volatility ``annual_vol``, spread
multiple ``REGIME_SPREAD``. Each news run opens with a jump of the log-price drawn from
``N(0, news_jump^2)``.

Scenarios (``SCENARIOS``), starting at ``scenario_at`` x duration (``t0``); the window must fit
in the duration:

* ``normal``: the regime model alone.
* ``flash-crash``: the log-price falls linearly by ``log(1 - 0.07)`` over 4 minutes, then
  recovers 60 % of that fall linearly over the next 8 minutes. Liquidity ``l`` goes linearly
  from 1 to 0.1 during the fall and back to 1 during the recovery: spread x ``1/l``, depth and
  touch sizes x ``l``; during the fall the event rate triples and unchanged-mid prints are
  sells with probability 0.85.
* ``gap-open``: at ``t0`` the market closes for 15.5 hours (no events; calendar time shifts, the
  diffusion does not see the closure) and reopens 4 % lower; the first 10 minutes after the
  reopening trade at twice the volatility and spread.
* ``drought``: for 20 minutes from ``t0`` the event rate falls to 10 %, prints to 30 % of
  events, depth to 20 % (at least one level), touch sizes to 25 %, and the spread is 4 x wider.
* ``spread-blowout``: for 5 minutes from ``t0`` the spread is 15 x wider and the depth halved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from core.data.synthetic import START_NS

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

SCENARIOS: Final = ("normal", "flash-crash", "gap-open", "drought", "spread-blowout")
CALM: Final = 0
VOLATILE: Final = 1
NEWS: Final = 2
REGIME_NAMES: Final = ("calm", "volatile", "news")
TRANSITIONS: Final = ((0.0, 0.8, 0.2), (0.7, 0.0, 0.3), (0.4, 0.6, 0.0))
"""Probability of the next regime given the current one (rows: calm, volatile, news)."""
REGIME_SPREAD: Final = (1.0, 2.0, 3.0)

SLOT_NS: Final = 1_000_000_000
_YEAR_S: Final = 365.25 * 86_400

# scenario constants (documented in the module docstring)
CRASH_DROP: Final = 0.07
CRASH_FALL_S: Final = 240
CRASH_RECOVERY_S: Final = 480
CRASH_RECOVERED: Final = 0.6
CRASH_LIQUIDITY: Final = 0.1
GAP_CLOSED_S: Final = 55_800
GAP_MOVE: Final = -0.04
GAP_AFTERMATH_S: Final = 600
DROUGHT_S: Final = 1_200
BLOWOUT_S: Final = 300
BLOWOUT_SPREAD: Final = 15.0


@dataclass(frozen=True, kw_only=True)
class MarketModel:
    """Parameters of the synthetic market (see the module docstring for what each one does)."""

    instrument_id: str = "SYN.SIM"
    start_price: str = "100"
    tick: str = "0.01"
    lot: str = "1"
    start_ns: int = START_NS
    duration_s: float = 3_600.0
    scenario: str = "normal"
    scenario_at: float = 0.5
    bar_period_s: float = 60.0
    events_per_s: tuple[float, float, float] = (12.0, 30.0, 60.0)
    annual_vol: tuple[float, float, float] = (0.15, 0.45, 1.2)
    regime_mean_s: tuple[float, float, float] = (1_800.0, 600.0, 60.0)
    news_jump: float = 0.01
    spread_ticks: float = 1.0
    depth_levels: int = 10
    trade_probability: float = 0.35
    touch_lots: float = 20.0
    trade_lots: float = 5.0
    deep_lots: int = 40
    churn: float = 0.15
    with_book: bool = True

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; known: {', '.join(SCENARIOS)}")
        if not (math.isfinite(self.duration_s) and self.duration_s >= 1):
            raise ValueError(f"duration must be at least 1 s, got {self.duration_s}")
        if not 0 <= self.scenario_at < 1:
            raise ValueError(f"scenario_at must be in [0, 1), got {self.scenario_at}")
        if not (math.isfinite(self.bar_period_s) and self.bar_period_s > 0):
            raise ValueError(f"bar period must be positive, got {self.bar_period_s}")
        for name in ("events_per_s", "annual_vol", "regime_mean_s"):
            values = getattr(self, name)
            if len(values) != 3 or not all(math.isfinite(v) and v >= 0 for v in values):
                raise ValueError(f"{name} needs three finite non-negative values, got {values}")
        if min(self.regime_mean_s) < 1:
            raise ValueError("regime_mean_s must be at least 1 s each")
        if not 0 < self.trade_probability <= 1 or not 0 <= self.churn <= 1:
            raise ValueError("trade_probability must be in (0, 1] and churn in [0, 1]")
        if self.depth_levels < 1 or self.deep_lots < 1:
            raise ValueError("depth_levels and deep_lots must be at least 1")
        if min(self.spread_ticks, self.touch_lots, self.trade_lots) < 1:
            raise ValueError("spread_ticks, touch_lots and trade_lots must be at least 1")
        if not (math.isfinite(self.news_jump) and self.news_jump >= 0):
            raise ValueError(f"news_jump must be finite and non-negative, got {self.news_jump}")
        window = scenario_window_s(self.scenario)
        start = self.scenario_at * self.duration_s
        if start + window > self.duration_s:
            raise ValueError(
                f"the {self.scenario} scenario needs {window:g} s from {start:g} s, beyond the "
                f"{self.duration_s:g} s duration; lengthen it or start the scenario earlier"
            )

    def ticks_per_s(self) -> float:
        """Expected quote + trade ticks per second of the regime model (no scenario)."""
        share = stationary_share(self.regime_mean_s)
        rate = float(np.dot(share, self.events_per_s))
        return rate * (1.0 + self.trade_probability)


def stationary_share(mean_s: tuple[float, float, float]) -> FloatArray:
    """Share of time in each regime: the embedded chain's stationary law weighted by the mean
    holding times."""
    matrix = np.array(TRANSITIONS)
    values, vectors = np.linalg.eig(matrix.T)
    visits = np.real(vectors[:, int(np.argmin(np.abs(values - 1.0)))])
    visits /= visits.sum()
    share: FloatArray = visits * np.array(mean_s)
    share /= share.sum()
    return share


def scenario_window_s(scenario: str) -> float:
    return {
        "normal": 0.0,
        "flash-crash": float(CRASH_FALL_S + CRASH_RECOVERY_S),
        "gap-open": float(GAP_AFTERMATH_S),
        "drought": float(DROUGHT_S),
        "spread-blowout": float(BLOWOUT_S),
    }[scenario]


class MarketState:
    """The per-slot state of the market: regime path plus scenario overlays."""

    def __init__(
        self, model: MarketModel, regime_rng: np.random.Generator, jump_rng: np.random.Generator
    ) -> None:
        count = max(1, math.ceil(model.duration_s * 1e9 / SLOT_NS))
        self.regime = _regime_path(regime_rng, count, model.regime_mean_s)
        rates = np.array(model.events_per_s)
        vols = np.array(model.annual_vol) / math.sqrt(_YEAR_S)
        self.rate: FloatArray = rates[self.regime] * (SLOT_NS / 1e9)
        self.sigma: FloatArray = vols[self.regime]
        self.spread: FloatArray = np.array(REGIME_SPREAD)[self.regime] * model.spread_ticks
        self.depth: FloatArray = np.full(count, float(model.depth_levels))
        self.size: FloatArray = np.ones(count)
        self.trade_probability: FloatArray = np.full(count, model.trade_probability)
        self.sell_bias: FloatArray = np.full(count, 0.5)
        self.closure: Int64Array = np.zeros(count, dtype=np.int64)
        news_start = np.flatnonzero((self.regime == NEWS) & (np.diff(self.regime, prepend=-1) != 0))
        jumps = np.zeros(count)
        jumps[news_start] = jump_rng.normal(0.0, model.news_jump, len(news_start))
        self.offset: FloatArray = np.cumsum(jumps)
        t0 = math.floor(model.scenario_at * model.duration_s * 1e9 / SLOT_NS)
        scenario = model.scenario
        if scenario == "flash-crash":
            self._flash_crash(t0)
        elif scenario == "gap-open":
            self._gap_open(t0)
        elif scenario == "drought":
            end = t0 + _slots(DROUGHT_S)
            self.rate[t0:end] *= 0.1
            self.trade_probability[t0:end] *= 0.3
            self.depth[t0:end] *= 0.2
            self.size[t0:end] *= 0.25
            self.spread[t0:end] *= 4.0
        elif scenario == "spread-blowout":
            end = t0 + _slots(BLOWOUT_S)
            self.spread[t0:end] *= BLOWOUT_SPREAD
            self.depth[t0:end] *= 0.5
        np.maximum(self.depth, 1.0, out=self.depth)

    def _flash_crash(self, t0: int) -> None:
        fall, recovery = _slots(CRASH_FALL_S), _slots(CRASH_RECOVERY_S)
        bottom = math.log(1.0 - CRASH_DROP)
        path = np.concatenate(
            (
                np.linspace(0.0, bottom, fall + 1)[1:],
                np.linspace(bottom, bottom * (1.0 - CRASH_RECOVERED), recovery + 1)[1:],
            )
        )
        end = t0 + fall + recovery
        self.offset[t0:end] += path
        self.offset[end:] += path[-1]
        liquidity = np.concatenate(
            (
                np.linspace(1.0, CRASH_LIQUIDITY, fall + 1)[1:],
                np.linspace(CRASH_LIQUIDITY, 1.0, recovery + 1)[1:],
            )
        )
        self.spread[t0:end] /= liquidity
        self.depth[t0:end] *= liquidity
        self.size[t0:end] *= liquidity
        self.rate[t0 : t0 + fall] *= 3.0
        self.sell_bias[t0 : t0 + fall] = 0.85

    def _gap_open(self, t0: int) -> None:
        self.offset[t0:] += math.log(1.0 + GAP_MOVE)
        self.closure[t0:] = GAP_CLOSED_S * 1_000_000_000
        end = t0 + _slots(GAP_AFTERMATH_S)
        self.sigma[t0:end] *= 2.0
        self.spread[t0:end] *= 2.0


def _slots(seconds: float) -> int:
    return round(seconds * 1e9 / SLOT_NS)


def _regime_path(
    rng: np.random.Generator, count: int, mean_s: tuple[float, float, float]
) -> npt.NDArray[np.int8]:
    """The regime of every slot: alternating geometric runs and Markov transitions."""
    state = int(rng.choice(3, p=stationary_share(mean_s)))
    states: list[int] = []
    lengths: list[int] = []
    covered = 0
    while covered < count:
        length = int(rng.geometric(1.0 / (mean_s[state] * 1e9 / SLOT_NS)))
        states.append(state)
        lengths.append(length)
        covered += length
        state = int(rng.choice(3, p=TRANSITIONS[state]))
    path: npt.NDArray[np.int8] = np.repeat(np.array(states, dtype=np.int8), lengths)[:count]
    return path
