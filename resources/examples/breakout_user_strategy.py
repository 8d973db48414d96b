"""An example user strategy file: load it with ``tradebench backtest --strategy-file <this file>``.

A user file defines exactly one ``Strategy`` subclass and, beside it, a frozen keyword-only
dataclass named ``<ClassName>Config`` holding the parameters. Bounds and help texts in the field
metadata are what the CLI checks ``--param name=value`` against and what the GUI shows in its
form. The file runs interpreted (it is not compiled), so anything Python allows is fine here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.enums import OrderSide
from core.market import Bar
from core.strategy import Strategy
from strategies.params import check_bounds

DATA_KIND = "bars"  # optional: "bars", "quotes" or "any" (the default)


@dataclass(frozen=True, kw_only=True)
class CloseBreakoutConfig:
    instrument_id: str = field(metadata={"help": "instrument to trade, SYMBOL.VENUE"})
    lookback: int = field(
        default=20, metadata={"min": 2, "max": 500, "help": "bars whose highest close to beat"}
    )
    exit_lookback: int = field(
        default=10, metadata={"min": 2, "max": 500, "help": "bars whose lowest close ends it"}
    )
    qty: int = field(default=10, metadata={"min": 1, "max": 1_000_000, "help": "shares per trade"})

    def __post_init__(self) -> None:
        check_bounds(self)  # the min/max metadata above, with clear messages


class CloseBreakout(Strategy):
    """Buy when the close beats the highest close of the previous bars; sell on a new low."""

    def __init__(self, config: CloseBreakoutConfig, strategy_id: str = "close_breakout") -> None:
        history = max(config.lookback, config.exit_lookback) + 1
        super().__init__(
            strategy_id=strategy_id, instrument_ids=(config.instrument_id,), history=history
        )
        self.config = config

    def on_bar(self, bar: Bar) -> None:
        ctx = self.ctx
        config = self.config
        bars = ctx.history(config.instrument_id)  # oldest first, this bar last
        previous = [b.close_raw for b in bars[:-1]]
        if len(previous) < max(config.lookback, config.exit_lookback):
            return
        position = ctx.position(config.instrument_id)
        close = bar.close_raw
        if position.is_flat and close > max(previous[-config.lookback :]):
            qty = ctx.instrument(config.instrument_id).make_qty(config.qty)
            ctx.submit_order(config.instrument_id, OrderSide.BUY, qty)
            ctx.log(f"breakout above {max(previous[-config.lookback :])}: buying {qty}")
        elif position.is_long and close < min(previous[-config.exit_lookback :]):
            ctx.submit_order(config.instrument_id, OrderSide.SELL, position.qty, reduce_only=True)
