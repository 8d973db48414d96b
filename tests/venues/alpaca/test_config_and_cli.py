"""The broker file, and the ``live`` / ``broker-sandbox`` commands."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from venues.alpaca import (
    BrokerConfigError,
    configured_broker,
    load_broker_config,
    no_broker_message,
)

ROOT = Path(__file__).resolve().parents[3]


def test_broker_file_with_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "broker.toml"
    file.write_text('broker = "alpaca"\nfeed = "sip"\n', encoding="utf-8")
    monkeypatch.setenv("APCA_API_KEY_ID", "PKTEST")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "s3cret")
    config = load_broker_config(file)
    assert (config.key_id, config.secret, config.feed) == ("PKTEST", "s3cret", "sip")
    assert config.trading_url == "https://paper-api.alpaca.markets"
    assert config.data_url == "wss://stream.data.alpaca.markets/v2/sip"
    assert "s3cret" not in repr(config)
    monkeypatch.delenv("APCA_API_SECRET_KEY")
    with pytest.raises(BrokerConfigError, match=r"broker\.toml: secret is missing .*SECRET_KEY"):
        load_broker_config(file)
    file.write_text('key_id = "k"\nsecret = "s"\nfeed = "nasdaq"\n', encoding="utf-8")
    with pytest.raises(BrokerConfigError, match="feed must be one of iex, sip, test"):
        load_broker_config(file)
    file.write_text('key_id = "k"\nsecret = "s"\nkeyid = "typo"\n', encoding="utf-8")
    with pytest.raises(BrokerConfigError, match=r"unknown key.*keyid"):
        load_broker_config(file)


def test_configured_broker_none_without_a_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    in_thread: Any,
) -> None:
    monkeypatch.delenv("TRADEBENCH_BROKER", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert configured_broker() is None
    message = no_broker_message()
    assert message.startswith("no broker configured: put the connection in ")
    assert "broker.toml or set TRADEBENCH_BROKER" in message
    assert in_thread(main, ["live", "sma_cross", "--duration", "1"]) == 2
    assert capsys.readouterr().err.strip() == f"tradebench: error: {message}"
    monkeypatch.setenv("TRADEBENCH_BROKER", str(tmp_path / "missing.toml"))
    with pytest.raises(BrokerConfigError, match=r"missing\.toml: no such file"):
        configured_broker()


def test_live_reports_a_refused_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_thread: Any
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    file = tmp_path / "broker.toml"
    file.write_text(
        f'trading_url = "http://127.0.0.1:{port}"\n'
        f'trading_stream_url = "ws://127.0.0.1:{port}/stream"\n'
        f'data_stream_url = "ws://127.0.0.1:{port}/v2"\nkey_id = "k"\nsecret = "s"\n',
        encoding="utf-8",
    )
    code = in_thread(
        main, ["live", "sma_cross", "--broker", str(file), "--no-journal", "--duration", "1"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"tradebench: error: broker http://127.0.0.1:{port}: GET ")
    assert "Cannot connect" in err or "refused" in err.lower()


@pytest.mark.slow
def test_cli_live_against_a_sandbox_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "broker-sandbox", "--symbols", "SPY", "--seed", "4"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while "secret" not in "".join(lines) and time.monotonic() < deadline:
            lines.append(server.stdout.readline())
        text = "".join(lines)
        assert re.search(r"Alpaca sandbox at http://127\.0\.0\.1:\d+", text)
        toml = text.split("broker.toml for it:\n", 1)[1]
        file = tmp_path / "broker.toml"
        file.write_text(toml, encoding="utf-8")
        wrong = tmp_path / "wrong.toml"
        wrong.write_text(toml.replace("sandbox-secret", "nope"), encoding="utf-8")
        journal = tmp_path / "journal.sqlite"
        refused = subprocess.run(
            [sys.executable, "-m", "app.cli", "live", "sma_cross", "--broker", str(wrong)],
            cwd=ROOT, capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert refused.returncode == 2
        assert "the broker refused the keys (401: request is not authorized)" in refused.stderr
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "live", "sma_cross", "--broker", str(file),
             "--duration", "4", "--param", "fast=2", "--param", "slow=3",
             "--journal", str(journal)],
            cwd=ROOT, capture_output=True, text=True, env=env, timeout=90,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "live trading sma_cross on SPY.ALPACA" in done.stdout
        assert "journal: run 1" in done.stdout
        assert re.search(r"equity .* fills", done.stdout)
        # Ctrl+C: the strategy stops (on_stop), the journal run is closed, the exit is clean
        live = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "live", "sma_cross", "--broker", str(file),
             "--duration", "120", "--journal", str(journal)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert live.stdout is not None
        seen = ""
        while "journal: run 2" not in seen and live.poll() is None:
            seen += live.stdout.readline()
        live.send_signal(signal.SIGINT)
        out, err = live.communicate(timeout=30)
        assert live.returncode == 0, err
        assert "stopped" in out
        db = sqlite3.connect(journal)
        ended = db.execute("SELECT ts_ended FROM runs WHERE id = 2").fetchone()[0]
        db.close()
        assert ended is not None
    finally:
        server.terminate()
        server.wait(timeout=10)
