"""``tradebench journal`` and the journal/risk options of ``backtest`` and ``paper``, run as a
user would: a real journal file, real commands, and a paper process killed and resumed."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.journal import JournalReader

BACKTEST = ["backtest", "sma_cross", "--data", "synthetic:3000:5", "--param", "fast=10"]


def test_a_backtest_is_journaled_and_its_report_rebuilt_from_the_journal_alone(
    run_cli: Callable[..., Any], tmp_path: Path, own_journal: Path
) -> None:
    report = tmp_path / "report.json"
    ran = run_cli(*BACKTEST, "--report", str(report))
    assert ran.code == 0, ran.err
    assert f"journaled as run 1 in {own_journal}" in ran.out

    listed = run_cli("journal", "runs")
    assert "1 runs" in listed.out
    assert "backtest" in listed.out and "sma_cross" in listed.out
    assert "finished" in listed.out

    rebuilt = tmp_path / "rebuilt.json"
    again = run_cli("journal", "report", "1", "--out", str(rebuilt))
    assert again.code == 0
    assert rebuilt.read_bytes() == report.read_bytes()  # byte for byte

    shown = run_cli("journal", "show", "1", "--trips", "3")
    text = shown.out
    assert "strategy sma_cross: strategies.sma_cross.SmaCross (" in text
    assert "fast=10" in text and "code sha256 " in text
    assert "Sharpe" in text and "round trips (3 of " in text

    exported = run_cli("journal", "export", "1", str(tmp_path / "csv"))
    assert exported.code == 0
    assert (tmp_path / "csv" / "round_trips.csv").is_file()
    parquet = run_cli("journal", "export", "1", str(tmp_path / "pq"), "--format", "parquet")
    assert parquet.code == 0 and any((tmp_path / "pq").glob("*.parquet"))

    with JournalReader(own_journal) as reader:
        trip_id = reader.round_trips(1)[0].id
    noted = run_cli(
        "journal",
        "note",
        str(trip_id),
        "--author",
        "ann",
        "--text",
        "late entry",
        "--tag",
        "review",
        "--why",
        "weekly review",
    )
    assert noted.out.strip() == (f"round trip {trip_id}: notes 'late entry', tags review")
    with JournalReader(own_journal) as reader:
        record = reader.round_trips(1)[0]
        assert (record.notes, record.tags) == ("late entry", ("review",))


def test_journal_errors_are_one_line(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    missing = run_cli("journal", "--journal", str(tmp_path / "none.sqlite"), "runs")
    assert missing.code == 2
    assert "no journal at" in missing.err
    run_cli(*BACKTEST, "--no-journal")
    not_there = run_cli(*BACKTEST)
    assert not_there.code == 0
    unknown = run_cli("journal", "show", "99")
    assert unknown.code == 2 and "has no run 99" in unknown.err
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database at all" * 10)
    broken = run_cli("journal", "--journal", str(garbage), "runs")
    assert broken.code == 2 and "not a SQLite database" in broken.err
    assert garbage.read_bytes() == b"this is not a database at all" * 10  # left untouched


def test_a_risk_file_from_the_cli_trips_a_breaker_and_the_journal_shows_it(
    run_cli: Callable[..., Any], write_file: Callable[[str, str], Path]
) -> None:
    risk = write_file(
        "risk.toml",
        "[[rules]]\ntype = 'max_order_qty'\nmax_qty = '1000000'\n\n"
        "[[breakers]]\nname = 'tight'\nstrategy = 'sma_cross'\nmax_drawdown = '50'\n"
        "action = 'halt'\n",
    )
    ran = run_cli(*BACKTEST, "--risk", str(risk))
    assert ran.code == 0, ran.err
    shown = run_cli("journal", "risk", "1")
    text = shown.out
    assert "rule max_order_qty: none -> at most 1000000 per order (cli: --risk" in text
    assert "breaker tight (sma_cross) tripped: drawdown" in text
    assert "sma_cross trading state ACTIVE -> HALTED (breaker tight: drawdown)" in text
    bad = write_file("bad.toml", "[[rules]]\ntype = 'max_order_qty'\nmax_qty = 1.5\n")
    refused = run_cli(*BACKTEST, "--risk", str(bad))
    assert refused.code == 2
    assert "floats are not exact" in refused.err


def test_a_killed_paper_session_resumes_from_the_journal(
    cli_command: list[str], cli_subprocess_env: dict[str, str], tmp_path: Path, own_journal: Path
) -> None:
    args = [
        "paper",
        "sma_cross",
        "--param",
        "fast=2",
        "--param",
        "slow=3",
        "--bar-seconds",
        "0.02",
        "--seed",
        "3",
    ]
    child = subprocess.Popen(
        [*cli_command, *args, "--duration", "60"],
        cwd=tmp_path,
        env=cli_subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    fills = 0
    deadline = time.monotonic() + 60
    assert child.stdout is not None
    try:
        for line in child.stdout:
            fills += line.strip().startswith("fill")
            if fills >= 4 or time.monotonic() > deadline:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert fills >= 4
    with JournalReader(own_journal) as reader:
        (run,) = reader.runs()
        assert not run.finished
        journaled = reader.counts(run.id)["fills"]
    resumed = subprocess.run(
        [*cli_command, *args, "--duration", "1", "--resume"],
        cwd=tmp_path,
        env=cli_subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed run {run.id}: {journaled} fills booked again" in resumed.stdout
    with JournalReader(own_journal) as reader:
        (run,) = reader.runs()
        assert run.finished
        assert reader.integrity_check() == []
    listed = subprocess.run(
        [*cli_command, "journal", "show", str(run.id)],
        env=cli_subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"run {run.id}: paper 'sma_cross', finished" in listed.stdout
