"""Same inputs and seed -> byte-identical reports; a different seed -> a different report."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# the settings that could smuggle in randomness or order effects: latency (seeded model),
# volatility slippage, two instruments merged by time
SETTINGS = ("--fee", "maker-taker:-0.5:2", "--slippage", "vol:0.5:10", "--latency-ms", "250")


def _backtest(run_cli: Callable[..., Any], report: Path, *args: str) -> bytes:
    result = run_cli("backtest", *args, "--report", str(report))
    assert (result.code, result.err) == (0, ""), result.err
    return report.read_bytes()


def test_same_synthetic_backtest_twice_is_byte_identical(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    args = ("sma_cross", "--data", "synthetic:3000:5", "--param", "fast=5", "--param", "slow=20")
    first = _backtest(run_cli, tmp_path / "a.json", *args, *SETTINGS)
    (tmp_path / "sub").mkdir()
    second = _backtest(run_cli, tmp_path / "sub" / "b.json", *args, *SETTINGS)
    assert first == second
    assert json.loads(first)["round_trips"], "no trades: nothing was compared"


def test_same_real_two_instrument_backtest_twice_is_byte_identical(
    run_cli: Callable[..., Any], tmp_path: Path, shared_data: Path
) -> None:
    bt = shared_data / "backtrader"
    args = (
        "pairs_zscore",
        "--data",
        str(bt / "orcl_daily_1995-2014.csv"),
        "--data",
        str(bt / "nvda_daily_1999-2014.csv"),
        "--param",
        "hedge_ratio=0",
    )
    first = _backtest(run_cli, tmp_path / "first.json", *args, *SETTINGS)
    second = _backtest(run_cli, tmp_path / "second.json", *args, *SETTINGS)
    assert first == second
    assert json.loads(first)["round_trips"]


def test_report_is_identical_in_a_fresh_process_with_another_hash_seed(
    run_cli: Callable[..., Any],
    tmp_path: Path,
    cli_command: list[str],
    cli_subprocess_env: dict[str, str],
) -> None:
    """Nothing may depend on set/dict iteration of hashed strings or on the process."""
    args = ["ema_cross", "--data", "synthetic:2000:8", "--param", "allow_short=1", *SETTINGS]
    here = _backtest(run_cli, tmp_path / "here.json", *args)
    env = dict(cli_subprocess_env, PYTHONHASHSEED="12345")
    there = tmp_path / "there.json"
    proc = subprocess.run(
        [*cli_command, "backtest", *args, "--report", str(there)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert there.read_bytes() == here


@pytest.mark.parametrize("strategy", ["sma_cross", "donchian_breakout"])
def test_different_seeds_give_different_reports(
    strategy: str, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    one = _backtest(run_cli, tmp_path / "one.json", strategy, "--data", "synthetic:2000:1")
    two = _backtest(run_cli, tmp_path / "two.json", strategy, "--data", "synthetic:2000:2")
    assert one != two
    first, second = json.loads(one), json.loads(two)
    assert first["equity"] != second["equity"]
    assert first["round_trips"] != second["round_trips"]
    assert first["data"][0]["source"] == "synthetic:2000:1"
    assert second["data"][0]["source"] == "synthetic:2000:2"


def test_report_holds_nothing_that_varies_between_runs(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    text = _backtest(run_cli, tmp_path / "r.json", "sma_cross").decode()
    for varying in ("wall", "events/s", "host", str(tmp_path), "run_date", "created"):
        assert varying not in text
