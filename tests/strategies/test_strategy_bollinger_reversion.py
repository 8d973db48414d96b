"""bollinger_reversion: config validation; resting limits that follow the bands, by hand."""

from __future__ import annotations

import pytest
from strategy_harness import SPY, Run, bar

from core.enums import OrderSide, OrderType, TimeInForce
from strategies.bollinger_reversion import BollingerReversion, BollingerReversionConfig

# Bands over 3 closes, 1 sample standard deviation:
#   after bar 3 (10, 10.3, 9.7):   mean 10,     std 0.3     -> lower 9.70, upper 10.30
#   after bar 4 (10.3, 9.7, 9.9):  mean 9.9667, std 0.3055  -> lower 9.66, upper 10.27
#   after bar 5 (9.7, 9.9, 9.7):   mean 9.7667              -> middle 9.77
#   after bar 6 (9.9, 9.7, 9.8):   mean 9.8,    std 0.1     -> lower 9.70, upper 9.90
# Bar 4 stays above 9.70; bar 5 (9.8 -> 9.8 -> 9.6 -> 9.7) reaches the re-priced 9.66;
# bar 6 (9.7 -> 9.7 -> 9.8 -> 9.8) comes up through the exit at 9.77.
BARS = [
    bar(SPY, 1, 10, 10, 10, 10),
    bar(SPY, 2, 10, "10.3", 10, "10.3"),
    bar(SPY, 3, "10.3", "10.3", "9.7", "9.7"),
    bar(SPY, 4, "9.9", 10, "9.8", "9.9"),
    bar(SPY, 5, "9.8", "9.8", "9.6", "9.7"),
    bar(SPY, 6, "9.7", "9.8", "9.7", "9.8"),
]


def config(**kw: object) -> BollingerReversionConfig:
    args: dict[str, object] = {"period": 3, "num_std": 1.0, **kw}
    return BollingerReversionConfig(instrument_id=SPY, **args)  # type: ignore[arg-type]


def test_config_errors() -> None:
    with pytest.raises(ValueError) as info:
        config(period=1)
    assert str(info.value) == "period must be between 2 and 10000, got 1"
    with pytest.raises(ValueError) as info:
        config(num_std=0.0)
    assert str(info.value) == "num_std must be between 0.1 and 10.0, got 0.0"
    with pytest.raises(ValueError) as info:
        config(qty="")
    assert str(info.value) == "qty must be a positive number, got ''"


def test_entry_limit_follows_the_lower_band_and_exits_at_the_middle() -> None:
    strategy = BollingerReversion(config())
    run = Run(strategy).feed(BARS[:3])
    entry = run.order(strategy.long_id)
    assert (entry.side, entry.order_type, entry.time_in_force) == (
        OrderSide.BUY,
        OrderType.LIMIT,
        TimeInForce.GTC,
    )
    assert str(entry.price) == "9.7"
    run.feed(BARS[3:4])
    assert str(entry.price) == "9.66"  # modified in place: same client order id
    run.feed(BARS[4:])
    run.assert_clean()
    assert run.rows() == [(5, "BUY", "100", "9.66"), (6, "SELL", "100", "9.77")]
    assert run.kinds(entry.client_order_id) == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderPendingUpdate",
        "OrderUpdated",
        "OrderFilled",
    ]
    exit_order = run.order(strategy.exit_id)
    assert exit_order.reduce_only and str(exit_order.price) == "9.77"
    # flat again after bar 6: a new entry rests at the new lower band
    again = run.order(strategy.long_id)
    assert again.client_order_id != entry.client_order_id
    assert (str(again.price), again.is_open) == ("9.7", True)


def test_short_entry_is_canceled_once_long() -> None:
    strategy = BollingerReversion(config(allow_short=True))
    run = Run(strategy).feed(BARS[:4])
    short = run.order(strategy.short_id)
    assert (short.side, str(short.price)) == (OrderSide.SELL, "10.27")
    run.feed(BARS[4:])
    run.assert_clean()
    assert run.kinds(short.client_order_id)[-2:] == ["OrderPendingCancel", "OrderCanceled"]
    assert run.rows() == [(5, "BUY", "100", "9.66"), (6, "SELL", "100", "9.77")]
    # flat after bar 6: both entries rest again, at 9.70 and 9.90
    assert sorted(str(o.price) for o in run.ctx.open_orders()) == ["9.7", "9.9"]


def test_no_orders_until_the_bands_are_ready() -> None:
    run = Run(BollingerReversion(config(period=5))).feed(BARS[:4])
    assert run.kernel.orders == []
