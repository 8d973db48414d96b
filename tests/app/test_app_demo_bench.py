"""The demo (what a headless ``tradebench`` runs), ``--version`` and ``tradebench bench``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

import core
from app import cli

DEMO_BANNER = (
    "No display found: running the demo backtest (SMA 20/50 crossover on 2,520 synthetic"
    " daily bars, seed 42)."
)


def test_demo_prints_a_report(run_cli: Callable[..., Any]) -> None:
    result = run_cli("demo")
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0] == DEMO_BANNER
    assert lines[1] == cli.version_text()
    assert lines[2] == "backtest sma_cross on synthetic:2520:42"
    assert result.round_trips_in_table() > 0
    assert "2,520 events" in result.out


def test_no_arguments_without_a_display_runs_the_demo(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = run_cli()
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[0] == DEMO_BANNER
    # the same numbers as the demo command: the same inputs give the same report
    assert result.out.split("\n-")[1] == run_cli("demo").out.split("\n-")[1]


def test_version_says_whether_the_engine_is_compiled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    out = capsys.readouterr().out.strip()
    build = "engine compiled with mypyc" if core.COMPILED else "pure-Python engine"
    assert out.startswith(f"tradebench {core.__version__} ({build}, Python 3.")
    expected = os.environ.get("TRADEBENCH_EXPECT_COMPILED")
    if expected is not None:  # tests/run.sh says which build it installed
        assert core.COMPILED is (expected == "1")


def _bench(run_cli: Callable[..., Any], engine: str) -> list[dict[str, Any]]:
    result = run_cli(
        "bench", "--scale", "0.002", "--json", "--workloads", "A,B,C", "--engine", engine
    )
    assert (result.code, result.err) == (0, "")
    data = json.loads(result.out)
    assert data["scale"] == 0.002
    rows: list[dict[str, Any]] = data["results"]
    return rows


def _check_rows(rows: list[dict[str, Any]], compiled: bool) -> None:
    assert [r["workload"] for r in rows] == ["A", "B", "C"]
    for row in rows:
        # each worker ran the build asked for (not whatever sources sit in the current folder)
        assert row["compiled"] is compiled
        assert isinstance(row["events_per_s"], int) and row["events_per_s"] > 0
        assert isinstance(row["peak_rss_mb"], float) and row["peak_rss_mb"] > 0
        assert isinstance(row["trades"], int) and row["trades"] > 0
        assert isinstance(row["final_pnl"], str) and row["final_pnl"]
        assert row["events"] > 0
    a, b, c = rows
    assert a["events"] == 2000 and b["events"] == 4000
    assert c["runs"] == 90
    assert c["final_pnl"].startswith("best sma_")


def test_bench_pure_engine(run_cli: Callable[..., Any]) -> None:
    _check_rows(_bench(run_cli, "pure"), compiled=False)


@pytest.mark.skipif(not core.COMPILED, reason="no compiled engine in this installation")
def test_bench_compiled_engine(run_cli: Callable[..., Any]) -> None:
    rows = _bench(run_cli, "compiled")
    _check_rows(rows, compiled=True)
    # same workloads, same numbers, whichever build computes them
    pure = _bench(run_cli, "pure")
    for fast, slow in zip(rows, pure, strict=True):
        assert (fast["trades"], fast["final_pnl"], fast["report_sha256"]) == (
            slow["trades"],
            slow["final_pnl"],
            slow["report_sha256"],
        )


def test_bench_unknown_workload(run_cli: Callable[..., Any]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli("bench", "--workloads", "A,Z", "--engine", "pure", "--scale", "0.001")
    assert exited.value.code == 2
