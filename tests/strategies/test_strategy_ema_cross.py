"""ema_cross: config validation, trades on quotes (mid) and on bars (close), worked by hand."""

from __future__ import annotations

import pytest
from strategy_harness import SEC, SPY, Run, bars_from_closes, quote

from core.market import QuoteTick
from strategies.ema_cross import EmaCross, EmaCrossConfig

# EMA(2) (alpha 2/3) and EMA(3) (alpha 1/2), both seeded with the first value; the slow one is
# ready after 3 updates. Mids and the averages after each update:
#   1..3: 10          f 10       s 10       equal: no sign yet
#   4:     9          f 9.3333   s 9.5      below: the starting sign, no trade
#   5:    12          f 11.1111  s 10.75    cross up   -> BUY at this quote's ask
#   6:    10          f 10.3704  s 10.375   cross down -> SELL at this quote's bid
#   7:    10          f 10.1235  s 10.1875  below
MIDS = [10, 10, 10, 9, 12, 10, 10]


def quotes() -> list[QuoteTick]:
    return [quote(SPY, i + 1, m - 0.01, m + 0.01) for i, m in enumerate(MIDS)]


def test_config_errors() -> None:
    with pytest.raises(ValueError) as info:
        EmaCrossConfig(instrument_id=SPY, fast=20, slow=10)
    assert str(info.value) == "fast must be less than slow, got fast=20 slow=10"
    with pytest.raises(ValueError) as info:
        EmaCrossConfig(instrument_id=SPY, fast=0)
    assert str(info.value) == "fast must be between 1 and 100000, got 0"
    with pytest.raises(ValueError) as info:
        EmaCrossConfig(instrument_id=SPY, qty="0")
    assert str(info.value) == "qty must be a positive number, got '0'"


def test_quotes_trade_the_mid_at_the_touch() -> None:
    run = Run(EmaCross(EmaCrossConfig(instrument_id=SPY, fast=2, slow=3))).feed(quotes())
    run.assert_clean()
    # zero latency: a market order fills at once at the latest quote's touch
    assert run.rows(step=SEC) == [(5, "BUY", "100", "12.01"), (6, "SELL", "100", "9.99")]
    assert run.position() == 0


def test_quotes_with_short_side() -> None:
    strategy = EmaCross(EmaCrossConfig(instrument_id=SPY, fast=2, slow=3, allow_short=True))
    run = Run(strategy).feed(quotes())
    assert run.rows(step=SEC) == [(5, "BUY", "100", "12.01"), (6, "SELL", "200", "9.99")]
    assert run.position() == -100


def test_bars_use_the_close() -> None:
    run = Run(EmaCross(EmaCrossConfig(instrument_id=SPY, fast=2, slow=3)))
    run.feed(bars_from_closes(SPY, [*MIDS, 10]))
    run.assert_clean()
    # the same crosses on bars 5 and 6, filled at the next bars' opens (= previous closes)
    assert run.rows() == [(6, "BUY", "100", "12"), (7, "SELL", "100", "10")]


def test_mid_of_an_odd_spread_is_not_truncated() -> None:
    strategy = EmaCross(EmaCrossConfig(instrument_id=SPY, fast=2, slow=3))
    Run(strategy).feed([quote(SPY, 1, "10.00", "10.01")])
    assert strategy.fast_ema.value == pytest.approx(10.005, abs=1e-12)


class LoggingEmaCross(EmaCross):
    def __init__(self, config: EmaCrossConfig) -> None:
        super().__init__(config)
        self.mids: list[float] = []

    def on_quote(self, quote: QuoteTick) -> None:
        super().on_quote(quote)
        self.mids.append(self.fast_ema.value)


def test_interpreted_subclass() -> None:
    strategy = LoggingEmaCross(EmaCrossConfig(instrument_id=SPY, fast=2, slow=3))
    run = Run(strategy).feed(quotes())
    assert strategy.mids[:4] == pytest.approx([10, 10, 10, 28 / 3])
    assert run.rows(step=SEC) == [(5, "BUY", "100", "12.01"), (6, "SELL", "100", "9.99")]
