"""pairs_zscore: config validation, bar synchronization, both legs traded, rolling statistics."""

from __future__ import annotations

import math
import random

import pytest
from strategy_harness import QQQ, SPY, Run, bar, qqq, spy

from core.market import Bar
from strategies.pairs_zscore import PairsZscore, PairsZscoreConfig, RollingPair

# (open, close) per minute; highs and lows span them. b is flat at 100 (opens 101 and 99 at
# minutes 4 and 5 make its fills recognisable). With beta 1 the spread is log(a / 100):
#   minutes 1-2: 0, 0              window not full yet
#   minute 3:    0, 0, log 1.10    z = (n - 1) / sqrt(n) = 1.1547 > 1 -> sell the spread:
#                                  SELL 100 a, BUY 100 * 1 * 110 / 100 = 110 b (minute 4's opens)
#   minute 4:    0, log 1.10, log 1.05   z = 0.016 < 0.5 -> close both legs (minute 5's opens)
A = [(100, 100), (100, 100), (100, 110), (109, 105), (104, 104)]
B = [(100, 100), (100, 100), (100, 100), (101, 100), (99, 100)]


def leg(iid: str, prices: list[tuple[int, int]]) -> list[Bar]:
    return [bar(iid, i + 1, o, max(o, c), min(o, c), c) for i, (o, c) in enumerate(prices)]


def interleave(first: list[Bar], second: list[Bar]) -> list[Bar]:
    return [b for pair in zip(first, second, strict=True) for b in pair]


def config(**kw: object) -> PairsZscoreConfig:
    args: dict[str, object] = {
        "instrument_a": SPY,
        "instrument_b": QQQ,
        "window": 3,
        "entry_z": 1.0,
        "exit_z": 0.5,
        **kw,
    }
    return PairsZscoreConfig(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"window": 2}, "window must be between 3 and 100000, got 2"),
        ({"exit_z": 1.0}, "exit_z must be less than entry_z, got exit_z=1.0 entry_z=1.0"),
        ({"hedge_ratio": 150.0}, "hedge_ratio must be between -100.0 and 100.0, got 150.0"),
        ({"instrument_b": SPY}, "instrument_a and instrument_b must differ, both are 'SPY.SIM'"),
    ],
)
def test_config_errors(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        config(**kw)
    assert str(info.value) == message


def test_sells_the_rich_spread_and_closes_both_legs() -> None:
    strategy = PairsZscore(config())
    run = Run(strategy, [spy(), qqq()]).feed(interleave(leg(SPY, A), leg(QQQ, B)))
    run.assert_clean()
    rows = sorted((f.index, f.instrument_id, f.side, f.qty, f.price) for f in run.fills())
    assert rows == [
        (4, QQQ, "BUY", "110", "101"),
        (4, SPY, "SELL", "100", "109"),
        (5, QQQ, "SELL", "110", "99"),
        (5, SPY, "BUY", "100", "104"),
    ]
    assert run.position(SPY) == 0 and run.position(QQQ) == 0
    closing = [o for o in run.kernel.orders if o.ts_init == leg(SPY, A)[3].ts_event]
    assert len(closing) == 2 and all(o.reduce_only for o in closing)
    assert strategy.beta == 1.0


def test_order_of_arrival_within_a_timestamp_does_not_matter() -> None:
    run = Run(PairsZscore(config()), [spy(), qqq()]).feed(interleave(leg(QQQ, B), leg(SPY, A)))
    assert len(run.fills()) == 4


def test_waits_for_both_legs_of_the_same_timestamp() -> None:
    a = leg(SPY, A)
    b = leg(QQQ, B)
    only_a = Run(PairsZscore(config()), [spy(), qqq()]).feed(a)
    assert only_a.kernel.orders == []
    # b's bar of minute 3 is missing: a's 110 is never paired with b's older bar. The window is
    # minutes 1, 2, 4: spreads 0, 0, log 1.05 -> z 1.1547, sized with a at 105: 105 of b
    strategy = PairsZscore(config())
    run = Run(strategy, [spy(), qqq()]).feed([a[0], b[0], a[1], b[1], a[2], a[3], b[3]])
    assert strategy.zscore == pytest.approx(2 / math.sqrt(3))
    orders = sorted((o.instrument_id, o.side, str(o.qty)) for o in run.kernel.orders)
    assert orders == [(QQQ, 1, "105"), (SPY, -1, "100")]


def test_negative_hedge_ratio_trades_both_legs_on_the_same_side() -> None:
    run = Run(PairsZscore(config(hedge_ratio=-1.0)), [spy(), qqq()])
    run.feed(interleave(leg(SPY, A[:4]), leg(QQQ, B[:4])))
    rows = sorted((f.instrument_id, f.side, f.qty) for f in run.fills())
    assert rows == [(QQQ, "SELL", "110"), (SPY, "SELL", "100")]


def test_rolling_pair_matches_a_direct_computation() -> None:
    rng = random.Random(7)
    n = 20
    window = RollingPair(n)
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(137):  # several exact recomputations of the sums along the way
        y = 4.0 + rng.gauss(0.0, 0.05)
        x = 0.8 * y + rng.gauss(0.0, 0.01)
        xs.append(x)
        ys.append(y)
        window.update(x, y)
    assert window.ready
    wx, wy = xs[-n:], ys[-n:]
    mx, my = sum(wx) / n, sum(wy) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(wx, wy, strict=True))
    var_y = sum((b - my) ** 2 for b in wy)
    beta = cov / var_y
    assert window.beta() == pytest.approx(beta, rel=1e-9)
    spreads = [a - beta * b for a, b in zip(wx, wy, strict=True)]
    mean = sum(spreads) / n
    std = math.sqrt(sum((s - mean) ** 2 for s in spreads) / (n - 1))
    z = (spreads[-1] - mean) / std
    assert window.zscore(beta, wx[-1], wy[-1]) == pytest.approx(z, rel=1e-6)


def test_rolling_beta_mode_uses_the_estimated_beta() -> None:
    strategy = PairsZscore(config(hedge_ratio=0.0, window=4))
    # b moves; a = b^2 exactly, so log a = 2 log b: the OLS beta is 2 and the spread is flat
    b_closes = [100, 102, 99, 101, 103]
    a_bars = [bar(SPY, i + 1, c * c, c * c, c * c, c * c) for i, c in enumerate(b_closes)]
    b_bars = [bar(QQQ, i + 1, c, c, c, c) for i, c in enumerate(b_closes)]
    run = Run(strategy, [spy(), qqq()]).feed(interleave(a_bars, b_bars))
    assert strategy.beta == pytest.approx(2.0, rel=1e-6)
    assert run.fills() == []  # a flat spread has no z-score to trade on
