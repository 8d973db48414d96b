"""--layout names a file's layout instead of detecting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main


def _daily_file(path: Path) -> None:
    rows = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    price = 100.0
    for day in range(1, 29):
        rows.append(f"2020-02-{day:02d},{price},{price + 1},{price - 1},{price},{price},1000")
        price += 0.5 if day % 7 else -2.0
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_named_layout_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "abc_daily.csv"
    _daily_file(data)
    args = ["backtest", "sma_cross", "--data", str(data), "--param", "fast=2", "--param", "slow=3"]
    assert main([*args, "--layout", "backtrader_daily"]) == 0
    assert "28 events" in capsys.readouterr().out
    # the wrong layout is reported by the reader, in one line
    assert main([*args, "--layout", "backtrader_ticks"]) == 2
    assert capsys.readouterr().err.startswith("tradebench: error: abc_daily.csv")


def test_an_unknown_layout_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["backtest", "sma_cross", "--layout", "nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
