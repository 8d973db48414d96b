"""``tradebench paper``: a strategy on the synthetic live feed (or a recording replayed in real
time), printing its fills as they happen and a final equity line."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FILL_LINE = re.compile(
    r"^  fill  OrderFilled (\S+)-(\d+) (BUY|SELL) (\d+) @ (\d+\.\d+) fee .+ USD$"
)
FINAL_LINE = re.compile(
    r"^equity (-?\d+\.\d+) USD, realized (-?\d+\.\d+) USD, fees (\d+\.\d+) USD, (\d+) fills$"
)


def _check_fills(lines: list[str], strategy_id: str) -> int:
    fills = [FILL_LINE.match(line) for line in lines if line.startswith("  fill ")]
    assert fills, "no fill was printed"
    numbers = []
    for match in fills:
        assert match is not None
        assert match.group(1) == strategy_id
        numbers.append(int(match.group(2)))
    assert numbers == sorted(numbers)
    final = FINAL_LINE.match(lines[-1])
    assert final is not None, lines[-1]
    assert int(final.group(4)) == len(fills)
    return len(fills)


def test_paper_prints_fills_while_running(
    tmp_path: Path, cli_command: list[str], cli_subprocess_env: dict[str, str]
) -> None:
    """The fills reach stdout while the session runs, not in a batch at the end."""
    duration = 2.0
    started = time.monotonic()
    proc = subprocess.Popen(
        [*cli_command, "paper", "sma_cross", "--duration", str(duration), "--bar-seconds", "0.05"]
        + ["--param", "fast=2", "--param", "slow=4"],
        cwd=tmp_path,
        env=cli_subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    arrivals: list[tuple[float, str]] = []
    try:
        for line in proc.stdout:
            arrivals.append((time.monotonic() - started, line.rstrip("\n")))
        stderr = proc.stderr.read() if proc.stderr is not None else ""
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = time.monotonic() - started
    assert (code, stderr) == (0, "")
    lines = [line for _, line in arrivals]
    assert lines[0].startswith("tradebench ")
    assert lines[1] == "paper trading sma_cross on SYN.SIM for 2 s (Ctrl+C stops)"
    _check_fills(lines, "sma_cross")
    first_fill_at = next(t for t, line in arrivals if line.startswith("  fill "))
    # the seeded feed crosses within the first second; the process runs for `duration`
    assert first_fill_at < finished - duration / 4
    assert finished >= duration


def test_paper_replays_a_recording_in_real_time(
    run_cli: Callable[..., Any], shared_data: Path
) -> None:
    path = shared_data / "backtrader" / "stoxx50_5min_2006-01.csv"
    started = time.monotonic()
    result = run_cli(
        "paper", "sma_cross", "--replay", str(path), "--speed", "60000", "--duration", "1",
        "--param", "fast=2", "--param", "slow=4", "--fee", "none",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[1] == "paper trading sma_cross on STOXX50.SIM for 1 s (Ctrl+C stops)"
    fills = _check_fills(lines, "sma_cross")
    # 5-minute bars at 60,000x: one every 5 ms, about 200 in the second: far fewer than 2,142
    assert 3 <= fills < 200
    assert 1.0 <= elapsed < 5.0
    for match in filter(None, map(FILL_LINE.match, lines)):
        assert 3400 < float(match.group(5)) < 3800


def test_paper_bars_shorter_than_the_quote_interval(run_cli: Callable[..., Any]) -> None:
    """Before: --bar-seconds below 0.05 failed with 'need 0 < quote_interval_s <=
    bar_interval_s', the feed's argument names rather than the CLI's."""
    result = run_cli(
        "paper", "ema_cross", "--duration", "0.6", "--bar-seconds", "0.01",
        "--param", "fast=2", "--param", "slow=5",
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    _check_fills(result.out.splitlines(), "ema_cross")


PAPER_RAISING = '''
from __future__ import annotations

from dataclasses import dataclass

from core.enums import OrderSide
from core.market import Bar
from core.strategy import Strategy


@dataclass(frozen=True, kw_only=True)
class FlakyConfig:
    instrument_id: str


class Flaky(Strategy):
    """Buys on its 2nd bar, raises on its 6th."""

    def __init__(self, config: FlakyConfig, strategy_id: str = "flaky") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config = config
        self.count = 0

    def on_bar(self, bar: Bar) -> None:
        self.count += 1
        if self.count == 2:
            iid = self.config.instrument_id
            self.ctx.submit_order(iid, OrderSide.BUY, self.ctx.instrument(iid).make_qty(7))
        if self.count == 6:
            raise RuntimeError("lost the connection to my brain")
'''


def test_paper_strategy_that_raises_is_reported_and_halted(
    run_cli: Callable[..., Any], write_file: Callable[[str, str], Path]
) -> None:
    path = write_file("flaky.py", PAPER_RAISING)
    result = run_cli("paper", str(path), "--duration", "0.8", "--bar-seconds", "0.02")
    assert result.code == 1
    lines = result.out.splitlines()
    fault = [i for i, line in enumerate(lines) if line.startswith("  FAULT ")]
    assert len(fault) == 1
    assert lines[fault[0]] == "  FAULT Flaky: RuntimeError: lost the connection to my brain"
    assert lines[fault[0] + 1] == "Traceback (most recent call last):"
    assert f'File "{path}"' in result.out
    # the fill before the fault stays booked: 7 units bought, one fill, nothing after
    assert FINAL_LINE.match(lines[-1]) is not None
    assert lines[-1].endswith(", 1 fills")
    assert [line for line in lines if line.startswith("  fill ")] == [
        next(line for line in lines if line.startswith("  fill  OrderFilled Flaky-1 BUY 7 @ "))
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration", "0"], "--duration must be a positive number, got 0"),
        (["--duration", "-1"], "--duration must be a positive number, got -1"),
        (["--bar-seconds", "0"], "--bar-seconds must be a positive number, got 0"),
        (["--duration", "nan"], "--duration must be a positive number, got nan"),
        (["--speed", "0"], "--speed must be a positive number, got 0"),
        (["--param", "slow=1"], "parameter 'slow' of sma_cross must be between 2 and 10000, got 1"),
        (
            ["--fee", "bps"],
            "fee 'bps' not understood; use none | bps:B | "
            "per-share:PER_UNIT[:MINIMUM] | maker-taker:MAKER_BPS:TAKER_BPS",
        ),
    ],
)
def test_paper_input_errors(argv: list[str], message: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli("paper", "sma_cross", *argv)
    assert (result.code, result.out, result.err) == (2, "", f"tradebench: error: {message}\n")


def test_paper_replay_of_quotes_with_a_bar_strategy(
    run_cli: Callable[..., Any], shared_data: Path
) -> None:
    path = shared_data / "lean" / "forex" / "eurusd_oanda_minute" / "20140505_quote.zip"
    result = run_cli("paper", "rsi_reversion", "--replay", str(path), "--duration", "1")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "tradebench: error: rsi_reversion needs bars, but 20140505_quote.zip holds quotes\n"
    )
