"""The order-book venue from the command line: Binance recordings, ``--venue``, paper replay."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

import app
from app import cli
from app.market_setup import DataRequest, SettingsError, VenueSettings, parse_venue_kinds
from core.instruments import equity
from venues.orderbook import OrderBookVenue, QueueModel
from venues.simulated import SimulatedVenue

FILES = (
    "hftbacktest/binance_spot_btcusdt_20240808_stream.gz",
    "hftbacktest/binance_spot_btcusdt_20240809_stream.gz",
)
MM_OPTIONS = [
    "--lot",
    "0.00001",
    "--currency",
    "USDT",
    "--fee",
    "maker-taker:-0.1:1",
    "--param",
    "qty=0.001",
    "--param",
    "max_position=0.004",
    "--no-journal",
]


@pytest.fixture(scope="module")
def binance_data(shared_data: Path) -> str:
    paths = [shared_data / name for name in FILES]
    if not all(p.is_file() for p in paths):
        pytest.skip("Binance recording missing")
    return "binance:" + ",".join(str(p) for p in paths)


def test_data_and_venue_settings_parse():
    request = DataRequest.parse("binance:a.gz,b.gz@BTCUSDT.BOOK")
    assert request.binance_paths == (Path("a.gz"), Path("b.gz"))
    assert request.instrument_id == "BTCUSDT.BOOK"
    assert request.describe() == "binance:a.gz,b.gz"
    synthetic = DataRequest.parse("synthetic-book:600:4@X.BOOK")
    assert (synthetic.synthetic_book_s, synthetic.seed, synthetic.instrument_id) == (
        600.0,
        4,
        "X.BOOK",
    )
    assert synthetic.describe() == "synthetic-book:600:4"
    for bad in ("synthetic-book:0", "synthetic-book:x", "synthetic-book:inf"):
        with pytest.raises(SettingsError, match="at least 1 second"):
            DataRequest.parse(bad)
    assert parse_venue_kinds("book") == ("book", {})
    assert parse_venue_kinds("sim, BINANCE=book") == ("sim", {"BINANCE": "book"})
    for bad in ("lob", "=book", "X=lob"):
        with pytest.raises(SettingsError, match="not understood"):
            parse_venue_kinds(bad)
    venues = VenueSettings(venue="ARCA=book", queue_model="behind-first").build_all(
        [equity("SPY", "ARCA"), equity("AAA", "SIM"), equity("QQQ", "ARCA")]
    )
    assert [(type(v), v.name) for v in venues] == [
        (OrderBookVenue, "ARCA"),
        (SimulatedVenue, "SIM"),
    ]
    assert isinstance(venues[0], OrderBookVenue)
    assert venues[0].queue_model == QueueModel.BEHIND_FIRST
    assert [i.id for i in venues[0].instruments] == ["SPY.ARCA", "QQQ.ARCA"]
    with pytest.raises(SettingsError, match="venue NYSE trades none of the instruments"):
        VenueSettings(venue="NYSE=book").build_all([equity("SPY", "ARCA")])


def test_backtest_the_market_maker_on_the_binance_sample(binance_data, tmp_path, capsys):
    path = tmp_path / "report.json"
    code = cli.main(
        ["backtest", "market_maker", "--data", binance_data, "--venue", "book"]
        + MM_OPTIONS
        + ["--latency-ms", "2", "--feed-latency-ms", "1", "--report", str(path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "backtest market_maker on binance:binance_spot_btcusdt_20240808_stream.gz," in out
    report = json.loads(path.read_text())
    assert len(report["round_trips"]) > 10
    assert report["settings"]["venue"] == "book"
    assert [d["instrument"] for d in report["data"]] == ["BTCUSDT.BINANCE"] * 2
    assert report["data"][0]["rows"] == 300_094  # level changes, then 19,904 trades
    assert report["data"][1]["rows"] == 19_904


def test_book_data_errors_are_one_line(binance_data, capsys):
    cases = [
        (["backtest", "market_maker", "--data", "synthetic:50", "--venue", "book"], "L2 book"),
        (
            ["backtest", "sma_cross", "--data", binance_data, "--venue", "book", "--no-journal"],
            "sma_cross needs bars, but binance:",
        ),
        (
            ["backtest", "market_maker", "--data", "synthetic:50", "--no-journal"],
            "market_maker needs L2 book data",
        ),
        (
            ["backtest", "ema_cross", "--data", "synthetic:50", "--venue", "book", "--no-journal"],
            "SYN.SIM trades on the book venue but has no L2 book data",
        ),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("tradebench: error: ") and message in err, err
        assert err.count("\n") == 1


def test_paper_replays_the_binance_book_on_the_book_venue(binance_data, tmp_path):
    # a fresh interpreter: paper mode runs its own event loop
    env = dict(os.environ)
    root = Path(app.__file__).resolve().parents[1]
    if root not in {Path(p).resolve() for p in site.getsitepackages()}:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    argv = ["paper", "market_maker", "--replay", binance_data, "--venue", "book"]
    argv += ["--speed", "5000", "--duration", "20", *MM_OPTIONS]
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("equity ")
    fills = int(lines[-1].rsplit(", ", 1)[1].split()[0])
    assert fills > 10
    assert sum(line.startswith("  fill  OrderFilled market_maker-") for line in lines) == fills
