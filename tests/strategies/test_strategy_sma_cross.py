"""sma_cross: config validation and trades worked out by hand on small bar paths."""

from __future__ import annotations

import pytest
from strategy_harness import MIN, SPY, Run, bars_from_closes

from core.instruments import Instrument
from core.market import Bar
from core.values import Price, Qty
from strategies.sma_cross import SmaCross, SmaCrossConfig
from venues.simulated import LatencyModel

# SMA(2) / SMA(3) on ten closes; each bar opens 0.25 above the previous close so a fill's price
# names its bar. fast - slow by bar:
#   3: 8.5 - 9      < 0   first ready bar: sets the sign, no trade
#   4: 8.5 - 8.667  < 0
#   5: 9.5 - 9      > 0   cross up   -> BUY at bar 6's open 10.25
#   6: 10.5 - 10    > 0
#   7: 10.5 - 10.333 > 0
#   8: 9.5 - 10     < 0   cross down -> SELL at bar 9's open 9.25
#   9: 8.5 - 9      < 0
#  10: 8.5 - 8.667  < 0
CLOSES = [10, 9, 8, 9, 10, 11, 10, 9, 8, 9]
OPENS = [10] + [c + 0.25 for c in CLOSES[:-1]]


def path() -> list[Bar]:
    return bars_from_closes(SPY, CLOSES, OPENS)


def config(**kw: object) -> SmaCrossConfig:
    return SmaCrossConfig(instrument_id=SPY, **kw)  # type: ignore[arg-type]


# config ------------------------------------------------------------------------------------------
def test_defaults() -> None:
    c = SmaCrossConfig(instrument_id=SPY)
    assert (c.fast, c.slow, c.qty, c.allow_short) == (10, 30, 100, False)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"fast": 0}, "fast must be between 1 and 10000, got 0"),
        ({"slow": 1}, "slow must be between 2 and 10000, got 1"),
        ({"slow": 20_000}, "slow must be between 2 and 10000, got 20000"),
        ({"fast": 30, "slow": 30}, "fast must be less than slow, got fast=30 slow=30"),
        ({"qty": 0}, "qty must be positive, got 0"),
        ({"qty": "-1"}, "qty must be a positive number, got '-1'"),
        ({"qty": "lots"}, "qty must be a positive number, got 'lots'"),
    ],
)
def test_config_errors(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        config(**kw)
    assert str(info.value) == message


def test_float_quantity_is_refused() -> None:
    # interpreted: the config's own check; compiled: the native field type refuses it first
    with pytest.raises((TypeError, ValueError), match=r"1\.5|float"):
        config(qty=1.5)


def test_instrument_id_must_be_symbol_dot_venue() -> None:
    with pytest.raises(ValueError, match=r"instrument_id must look like SYMBOL\.VENUE"):
        SmaCrossConfig(instrument_id="SPY")


def test_config_is_frozen() -> None:
    c = config()
    with pytest.raises(AttributeError):
        c.fast = 3  # type: ignore[misc]


# behaviour ---------------------------------------------------------------------------------------
def test_long_flat_trades_on_crosses_only() -> None:
    run = Run(SmaCross(config(fast=2, slow=3))).feed(path())
    run.assert_clean()
    assert run.rows() == [(6, "BUY", "100", "10.25"), (9, "SELL", "100", "9.25")]
    assert run.position() == 0
    assert len(run.kernel.orders) == 2  # one order per cross, nothing on other bars


def test_allow_short_flips_on_the_cross_below() -> None:
    run = Run(SmaCross(config(fast=2, slow=3, allow_short=True))).feed(path())
    run.assert_clean()
    # the first cross is from the starting sign (below): flat -> long; then long -> short
    assert run.rows() == [(6, "BUY", "100", "10.25"), (9, "SELL", "200", "9.25")]
    assert run.position() == -100


def test_no_trade_before_both_averages_are_ready() -> None:
    # SMA(2) falls then rises while SMA(3) warms up; bar 3 (10.5 > 10.33), the first ready bar,
    # only sets the sign, and fast stays above slow after it
    run = Run(SmaCross(config(fast=2, slow=3))).feed(bars_from_closes(SPY, [10, 8, 13, 14, 15]))
    assert run.rows() == []
    assert run.strategy.regime == 1  # type: ignore[attr-defined]


def test_equal_averages_do_not_cross() -> None:
    # fast - slow: bar 3: 11 - 10.33 > 0 (the starting sign); bar 4: 10 - 10 = 0 keeps "above";
    # bar 5: 12.5 - 12.33 > 0. Treating the tie as a sign of its own would buy on bar 5.
    run = Run(SmaCross(config(fast=2, slow=3))).feed(bars_from_closes(SPY, [9, 10, 12, 8, 17]))
    assert run.rows() == []
    assert run.kernel.orders == []


def test_orders_still_working_count_towards_the_position() -> None:
    # SMA(2)/SMA(3): cross up on bar 4 (9.5 > 9.33), cross down on bar 5 (7.5 < 7.67). With 90 s
    # of order latency the bar-4 buy is still travelling at bar 5: the sell must cover it.
    closes = [10, 9, 8, 11, 4, 4, 4, 4, 4, 4]
    run = Run(SmaCross(config(fast=2, slow=3)), latency=LatencyModel(order_ns=90 * 10**9))
    run.feed(bars_from_closes(SPY, closes))
    run.assert_clean()
    # the buy sent at minute 4 arrives at 5.5: the first bar opening after that is bar 7
    assert run.rows() == [(7, "BUY", "100", "4"), (8, "SELL", "100", "4")]
    assert run.position() == 0


def test_fractional_quantity_on_a_fractional_instrument() -> None:
    btc = Instrument(
        instrument_id="BTCUSD.SIM",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.parse("0.001"),
        quote_currency="USD",
    )
    strategy = SmaCross(SmaCrossConfig(instrument_id=btc.id, fast=2, slow=3, qty="0.25"))
    run = Run(strategy, [btc]).feed(bars_from_closes(btc.id, CLOSES, OPENS))
    assert run.rows() == [(6, "BUY", "0.25", "10.25"), (9, "SELL", "0.25", "9.25")]


def test_quantity_below_one_lot_faults_at_start() -> None:
    run = Run(SmaCross(config(qty="0.5")))  # SPY trades whole shares
    assert run.faults() == ["ValueError: qty 0.5 is below the minimum order size 1 of SPY.SIM"]


# an interpreted subclass of the (possibly compiled) template -------------------------------------
class CountingSmaCross(SmaCross):
    def __init__(self, config: SmaCrossConfig) -> None:
        super().__init__(config, "counting")
        self.seen: list[int] = []
        self.crosses: list[int] = []

    def on_bar(self, bar: Bar) -> None:
        self.seen.append(bar.ts_event)
        super().on_bar(bar)

    def on_cross(self, regime: int) -> None:
        self.crosses.append(regime)
        super().on_cross(regime)


def test_interpreted_subclass_overrides_and_calls_super() -> None:
    strategy = CountingSmaCross(config(fast=2, slow=3))
    run = Run(strategy).feed(path())
    run.assert_clean()
    assert len(strategy.seen) == 10
    assert strategy.seen[0] % MIN == 0
    assert strategy.crosses == [1, -1]
    assert strategy.strategy_id == "counting"
    assert run.rows() == [(6, "BUY", "100", "10.25"), (9, "SELL", "100", "9.25")]


def test_strategies_on_the_same_instrument_share_the_engine_smas() -> None:
    first = SmaCross(config(fast=2, slow=3), "first")
    run = Run(first)
    second = SmaCross(config(fast=2, slow=4), "second")
    run.kernel.add_strategy(second, first.ctx.cash())
    run.kernel.start()
    assert second.fast_sma is first.fast_sma  # SMA(2) of SPY is computed once per bar
    assert second.slow_sma is not first.slow_sma
    run.feed(path())
    run.assert_clean()
    # SMA(2)/SMA(4) crosses on the same bars here: bar 5 (9.5 > 9) and bar 8 (9.5 < 10)
    assert [(f.client_order_id.split("-")[0], *f.row()) for f in run.fills()] == [
        ("first", 6, "BUY", "100", "10.25"),
        ("second", 6, "BUY", "100", "10.25"),
        ("first", 9, "SELL", "100", "9.25"),
        ("second", 9, "SELL", "100", "9.25"),
    ]


class ForgetfulSmaCross(SmaCross):
    def on_start(self) -> None:
        pass  # forgot super().on_start()


def test_a_subclass_that_skips_on_start_faults_clearly() -> None:
    run = Run(ForgetfulSmaCross(config(fast=2, slow=3))).feed(path()[:1])
    assert run.faults() == ["RuntimeError: sma_cross: on_start must run first (call super)"]
