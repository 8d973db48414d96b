"""donchian_breakout: config validation; stop entries and reduce-only stop exits, by hand."""

from __future__ import annotations

import pytest
from strategy_harness import SPY, Run, bar

from core.enums import OrderSide, OrderType
from strategies.donchian_breakout import DonchianBreakout, DonchianBreakoutConfig

# Entry channel 3 bars, exit channel 2 bars (o, h, l, c):
#   1: 10    10.5  9.5   10
#   2: 10    10.6  9.8   10.2
#   3: 10.2  10.4  9.9   10.1   channel(1-3) 10.6 / 9.5 -> BUY STOP 10.60, SELL STOP 9.50
#   4: 10.1  10.8  10.0  10.7   path 10.1 -> 10.0 -> 10.8: the buy stop fills at 10.60;
#                               long: short entry canceled, exit SELL STOP at low(3-4) 9.90
#   5: 10.7  10.9  10.5  10.8   exit re-priced to low(4-5) 10.00
#   6: 10.6  10.6  9.9   10.0   path 10.6 -> 10.6 -> 9.9: the exit stop fills at 10.00; flat:
#                               BUY STOP at high(4-6) 10.90, SELL STOP at low(4-6) 9.90
#   7: 9.95  10.0  9.7   9.8    path 9.95 -> 10.0 -> 9.7: the sell stop fills at 9.90; short:
#                               exit BUY STOP at high(6-7) 10.60
BARS = [
    bar(SPY, 1, 10, "10.5", "9.5", 10),
    bar(SPY, 2, 10, "10.6", "9.8", "10.2"),
    bar(SPY, 3, "10.2", "10.4", "9.9", "10.1"),
    bar(SPY, 4, "10.1", "10.8", 10, "10.7"),
    bar(SPY, 5, "10.7", "10.9", "10.5", "10.8"),
    bar(SPY, 6, "10.6", "10.6", "9.9", 10),
    bar(SPY, 7, "9.95", 10, "9.7", "9.8"),
]


def config(**kw: object) -> DonchianBreakoutConfig:
    args: dict[str, object] = {"period": 3, "exit_period": 2, **kw}
    return DonchianBreakoutConfig(instrument_id=SPY, **args)  # type: ignore[arg-type]


def test_config_errors() -> None:
    with pytest.raises(ValueError) as info:
        config(period=0)
    assert str(info.value) == "period must be between 1 and 10000, got 0"
    with pytest.raises(ValueError) as info:
        config(exit_period=10_001)
    assert str(info.value) == "exit_period must be between 1 and 10000, got 10001"


def test_breakouts_long_then_short() -> None:
    strategy = DonchianBreakout(config())
    run = Run(strategy).feed(BARS[:3])
    long_entry = run.order(strategy.long_id)
    short_entry = run.order(strategy.short_id)
    assert (long_entry.order_type, long_entry.side, str(long_entry.trigger_price)) == (
        OrderType.STOP,
        OrderSide.BUY,
        "10.6",
    )
    assert (short_entry.side, str(short_entry.trigger_price)) == (OrderSide.SELL, "9.5")

    run.feed(BARS[3:4])
    assert run.position() == 100
    assert run.kinds(short_entry.client_order_id)[-1] == "OrderCanceled"
    exit_order = run.order(strategy.exit_id)
    assert (exit_order.side, str(exit_order.trigger_price), exit_order.reduce_only) == (
        OrderSide.SELL,
        "9.9",
        True,
    )
    run.feed(BARS[4:5])
    assert str(exit_order.trigger_price) == "10"  # followed the channel with a modify
    assert "OrderUpdated" in run.kinds(exit_order.client_order_id)

    run.feed(BARS[5:])
    run.assert_clean()
    assert run.rows() == [
        (4, "BUY", "100", "10.6"),
        (6, "SELL", "100", "10"),
        (7, "SELL", "100", "9.9"),
    ]
    assert run.position() == -100
    short_exit = run.order(strategy.exit_id)
    assert (short_exit.side, str(short_exit.trigger_price), short_exit.reduce_only) == (
        OrderSide.BUY,
        "10.6",
        True,
    )
    # the other entry of bar 6 (BUY STOP 10.90) was canceled when the short filled
    assert [o.client_order_id for o in run.ctx.open_orders()] == [short_exit.client_order_id]


def test_long_only() -> None:
    strategy = DonchianBreakout(config(allow_short=False))
    run = Run(strategy).feed(BARS)
    run.assert_clean()
    assert run.rows() == [(4, "BUY", "100", "10.6"), (6, "SELL", "100", "10")]
    assert run.position() == 0
    assert strategy.short_id == ""
