"""Fixtures for the command-line and session tests.

The CLI runs in-process (``app.cli.main``) or, where real time or a fresh interpreter matters, as
``sys.executable -m app.cli`` from a scratch folder, importing the same ``app`` package this
process imported (the checkout or the installed build). Test strategies live here and reach the
tests through fixtures: with ``--import-mode=importlib`` a test cannot import a sibling module.
"""

from __future__ import annotations

import os
import re
import site
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import app
from app import cli, resources_folder
from core.enums import OrderSide, OrderType
from core.instruments import Instrument, equity
from core.market import Bar
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money
from venues.simulated import BpsFee, FillConfig, SimulatedVenue

ROUND_TRIPS_ROW = re.compile(r"^Round trips\s+([\d,]+)$", re.MULTILINE)


def pytest_report_header() -> str:
    import core

    build = "compiled (mypyc)" if core.COMPILED else "interpreted"
    return f"tradebench app tests: engine {build}, app from {Path(app.__file__).parent}"


# data -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def user_strategy_file() -> Path:
    """resources/examples/breakout_user_strategy.py, as the package ships it."""
    return resources_folder() / "examples" / "breakout_user_strategy.py"


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` to ``tmp_path / name`` and return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


# running the CLI --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    def round_trips_in_table(self) -> int:
        found = ROUND_TRIPS_ROW.findall(self.out)
        assert len(found) == 1, f"no single 'Round trips' row in:\n{self.out}"
        return int(found[0].replace(",", ""))


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """``run_cli("backtest", "sma_cross", ...)``: exit status and what was printed."""

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


@pytest.fixture
def cli_subprocess_env() -> dict[str, str]:
    """Environment for ``sys.executable -m app.cli`` that imports the same package as this
    process: the checkout when the tests run from sources, the installed build otherwise."""
    env = dict(os.environ)
    root = Path(app.__file__).resolve().parents[1]
    installed = {Path(p).resolve() for p in site.getsitepackages()}
    if root not in installed:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def cli_command() -> list[str]:
    return [sys.executable, "-m", "app.cli"]


# sessions and test strategies -------------------------------------------------------------------
class CountingTrader(Strategy):
    """Counts bars in ``ctx.state`` and trades on a fixed bar schedule, so a test knows when it
    holds a position: buys ``qty`` on every bar whose count is ``offset`` modulo ``every`` * 2
    and sells it ``every`` bars later. Optionally rests a far-away limit buy at bar
    ``rest_limit_at`` (a working order that must survive a mode switch). Everything it sees
    goes into plain lists for the test to read."""

    def __init__(
        self,
        instrument_id: str,
        *,
        every: int = 10,
        offset: int = 5,
        qty: int = 10,
        rest_limit_at: int = 0,
        strategy_id: str = "counter",
    ) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(instrument_id,))
        self.iid = instrument_id
        self.every = every
        self.offset = offset
        self.qty = qty
        self.rest_limit_at = rest_limit_at
        self.starts = 0
        self.resting_id = ""
        # (count, bar ts, clock now, position qty raw, position cost raw, cash raw) per bar,
        # taken before this bar's decision
        self.seen: list[tuple[int, int, int, int, int, int]] = []
        self.fills: list[tuple[str, int, int]] = []  # (client order id, side, ts_event)
        self.closes: list[int] = []

    def on_start(self) -> None:
        self.starts += 1
        self.ctx.state.setdefault("bars", 0)  # idempotent: a mode switch may start us again

    def on_bar(self, bar: Bar) -> None:
        ctx = self.ctx
        count = int(ctx.state["bars"] or 0) + 1
        ctx.state["bars"] = count
        pos = ctx.position(self.iid)
        self.seen.append(
            (count, bar.ts_event, ctx.now_ns(), pos.signed_qty_raw, pos.cost_raw, ctx.cash().raw)
        )
        self.closes.append(bar.close_raw)
        instrument = ctx.instrument(self.iid)
        if count == self.rest_limit_at:
            order = ctx.submit_order(
                self.iid,
                OrderSide.BUY,
                instrument.make_qty(1),
                order_type=OrderType.LIMIT,
                price=instrument.round_price(max(bar.close_raw // 100, instrument.tick_size.raw)),
            )
            self.resting_id = order.client_order_id
        phase = count % (2 * self.every)
        if phase == self.offset % (2 * self.every):
            ctx.submit_order(self.iid, OrderSide.BUY, instrument.make_qty(self.qty))
        elif phase == (self.offset + self.every) % (2 * self.every):
            ctx.submit_order(self.iid, OrderSide.SELL, instrument.make_qty(self.qty))

    def on_fill(self, fill: object) -> None:
        from core.events import OrderFilled

        assert isinstance(fill, OrderFilled)
        self.fills.append((fill.client_order_id, fill.side, fill.ts_event))


class FaultyTrader(Strategy):
    """Buys at bar 3, rests a far-away limit buy at bar ``after - 1`` and raises in ``on_bar``
    at bar ``after``, noting its position, cash and working orders just before raising."""

    def __init__(self, instrument_id: str, *, after: int, strategy_id: str = "faulty") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(instrument_id,))
        self.iid = instrument_id
        self.after = after
        self.count = 0
        self.resting_id = ""
        self.at_fault: dict[str, object] = {}

    def on_bar(self, bar: Bar) -> None:
        self.count += 1
        ctx = self.ctx
        instrument = ctx.instrument(self.iid)
        if self.count == 3:
            ctx.submit_order(self.iid, OrderSide.BUY, instrument.make_qty(50))
        if self.count == self.after - 1:
            order = ctx.submit_order(
                self.iid,
                OrderSide.BUY,
                instrument.make_qty(10),
                order_type=OrderType.LIMIT,
                price=instrument.round_price(bar.close_raw // 2),
            )
            self.resting_id = order.client_order_id
        if self.count == self.after:
            pos = ctx.position(self.iid)
            self.at_fault = {
                "qty": pos.signed_qty_raw,
                "cost": pos.cost_raw,
                "realized": pos.realized_raw,
                "cash": ctx.cash().raw,
                "working": [o.client_order_id for o in ctx.open_orders()],
                "ts": ctx.now_ns(),
            }
            self.explode()

    def explode(self) -> None:
        raise ZeroDivisionError(f"{self.strategy_id} divided by zero at bar {self.count}")


@pytest.fixture
def counting_trader() -> type[CountingTrader]:
    return CountingTrader


@pytest.fixture
def faulty_trader() -> type[FaultyTrader]:
    return FaultyTrader


def _make_session(
    instruments: list[Instrument], *, fee_bps: int = 1
) -> tuple[TradingSession, SimulatedVenue]:
    venue = SimulatedVenue(
        "SIM",
        instruments=instruments,
        fees=BpsFee(fee_bps),
        fill=FillConfig(participation=None),
    )
    return TradingSession(instruments=instruments, venues=[venue]), venue


@pytest.fixture
def make_session() -> Callable[..., tuple[TradingSession, SimulatedVenue]]:
    """``make_session([instrument])``: a session on one simulated venue "SIM", 1 bp fees, no
    volume cap (so two strategies on one instrument cannot take each other's volume)."""
    return _make_session


@pytest.fixture
def syn_instrument() -> Instrument:
    return equity("SYN", "SIM")


@pytest.fixture
def usd() -> Callable[[str], Money]:
    return lambda amount: Money.parse(amount, "USD")
