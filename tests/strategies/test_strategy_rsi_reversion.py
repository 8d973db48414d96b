"""rsi_reversion: config validation; entries, exits and the resting stop-loss, worked by hand."""

from __future__ import annotations

import pytest
from strategy_harness import SPY, Run, bar, bars_from_closes

from core.enums import OrderSide, OrderType
from strategies.rsi_reversion import RsiReversion, RsiReversionConfig

# RSI(2), Wilder. Closes 10, 9, 8: the first two changes (-1, -1) seed avg_gain 0, avg_loss 1,
# so RSI = 0 at bar 3 (ready) -> oversold -> BUY, filled at bar 4's open 8.10.
#   bar 4 close 8.5 (+0.5): gain (0 + 0.5)/2 = 0.25, loss (1 + 0)/2 = 0.5, RSI 33.3 -> hold
#   bar 5 close 10 (+1.5): gain (0.25 + 1.5)/2 = 0.875, loss 0.25, RSI 77.8 > 50 -> SELL,
#   filled at bar 6's open 10.20.
WARMUP = [
    bar(SPY, 1, 10, 10, 10, 10),
    bar(SPY, 2, 10, 10, 9, 9),
    bar(SPY, 3, 9, 9, 8, 8),
    bar(SPY, 4, "8.10", "8.60", 8, "8.50"),
]
RECOVERY = [
    bar(SPY, 5, "8.60", 10, "8.50", 10),
    bar(SPY, 6, "10.20", "10.30", "10.10", "10.20"),
]


def config(**kw: object) -> RsiReversionConfig:
    args: dict[str, object] = {"period": 2, **kw}
    return RsiReversionConfig(instrument_id=SPY, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"period": 1}, "period must be between 2 and 1000, got 1"),
        ({"oversold": -5.0}, "oversold must be between 0.0 and 100.0, got -5.0"),
        ({"stop_loss_pct": 60.0}, "stop_loss_pct must be between 0.0 and 50.0, got 60.0"),
        (
            {"oversold": 55.0},
            "need oversold < exit_level < overbought, got oversold=55.0 exit_level=50.0 "
            "overbought=70.0",
        ),
        (
            {"overbought": 40.0},
            "need oversold < exit_level < overbought, got oversold=30.0 exit_level=50.0 "
            "overbought=40.0",
        ),
    ],
)
def test_config_errors(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        config(**kw)
    assert str(info.value) == message


def test_buy_oversold_exit_above_the_exit_level() -> None:
    run = Run(RsiReversion(config())).feed(WARMUP + RECOVERY)
    run.assert_clean()
    assert run.rows() == [(4, "BUY", "100", "8.1"), (6, "SELL", "100", "10.2")]
    strategy = run.strategy
    assert isinstance(strategy, RsiReversion)
    assert strategy.rsi is not None
    assert strategy.rsi.value == pytest.approx(100 - 100 / (1 + 0.5375 / 0.125))
    exit_order = run.order(strategy.exit_id)
    assert exit_order.reduce_only
    assert strategy.stop_id == ""


def test_stop_loss_rests_after_the_entry_fill_and_is_canceled_on_exit() -> None:
    strategy = RsiReversion(config(stop_loss_pct=5.0))
    run = Run(strategy).feed(WARMUP)
    # the entry filled at 8.10 on bar 4: a reduce-only SELL STOP at 8.10 * 0.95 = 7.695 -> 7.70
    stop = run.order(strategy.stop_id)
    assert (stop.side, stop.order_type, str(stop.trigger_price)) == (
        OrderSide.SELL,
        OrderType.STOP,
        "7.7",
    )
    assert stop.reduce_only and stop.is_open
    assert strategy.stop_id == "rsi_reversion-stop2"
    run.feed(RECOVERY)
    run.assert_clean()
    assert run.rows() == [(4, "BUY", "100", "8.1"), (6, "SELL", "100", "10.2")]
    assert run.kinds(strategy.stop_id) == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderPendingCancel",
        "OrderCanceled",
    ]
    assert strategy.stops_hit == 0


def test_stop_loss_fills_then_the_strategy_can_enter_again() -> None:
    strategy = RsiReversion(config(stop_loss_pct=5.0))
    # bar 5 runs 8.00 -> 8.05 -> 7.50 -> 7.80: the stop at 7.70 fills at 7.70. Its close 7.8
    # (-0.7): gain 0.125, loss 0.6, RSI 17.2 -> flat and oversold: BUY again at bar 6's open
    crash = [bar(SPY, 5, 8, "8.05", "7.50", "7.80"), bar(SPY, 6, "7.90", 8, "7.85", "7.95")]
    run = Run(strategy).feed(WARMUP + crash)
    run.assert_clean()
    assert run.rows() == [
        (4, "BUY", "100", "8.1"),
        (5, "SELL", "100", "7.7"),
        (6, "BUY", "100", "7.9"),
    ]
    assert strategy.stops_hit == 1
    assert strategy.entry_id == "rsi_reversion-entry3"
    # and the new entry has its own stop: 7.90 * 0.95 = 7.505 -> 7.51 (half away from zero)
    assert str(run.order(strategy.stop_id).trigger_price) == "7.51"


def test_short_side_and_its_stop() -> None:
    # closes 10, 11, 12: RSI 100 > 70 -> SELL at bar 4's open 12; bar 4 close 11.5: gain 0.5,
    # loss 0.25, RSI 66.7 -> hold; bar 5 close 10: gain 0.25, loss 0.875, RSI 22.2 < 50 -> BUY
    strategy = RsiReversion(config(allow_short=True, stop_loss_pct=10.0))
    run = Run(strategy).feed(bars_from_closes(SPY, [10, 11, 12, 11.5, 10, 10]))
    run.assert_clean()
    assert run.rows() == [(4, "SELL", "100", "12"), (6, "BUY", "100", "10")]
    stop = run.order("rsi_reversion-stop2")
    assert (stop.side, str(stop.trigger_price)) == (OrderSide.BUY, "13.2")
    assert run.kinds(stop.client_order_id)[-1] == "OrderCanceled"


def test_no_new_signal_while_an_order_is_working() -> None:
    strategy = RsiReversion(config())
    run = Run(strategy).feed(WARMUP[:3])
    assert len(run.ctx.open_orders()) == 1
    strategy.on_bar(WARMUP[2])  # the same oversold reading again
    assert len(run.ctx.open_orders()) == 1  # still oversold, but the entry is working
