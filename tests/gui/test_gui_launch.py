"""How the workstation starts: ``tradebench`` opens it only where there is a screen, and the
screenshot tour drives a whole session (slow: it runs every main view)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import app
from app import cli


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "minimal"}, False),
    ],
)
def test_a_screen_is_needed_to_open_the_window(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli._has_display() is expected


@pytest.mark.slow
def test_the_screenshot_tour_saves_every_view(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {
        "QT_QPA_PLATFORM": "offscreen",
        "TRADEBENCH_JOURNAL": str(tmp_path / "journal.sqlite"),
        "PYTHONPATH": str(Path(app.__file__).resolve().parents[1]),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "gui", "--screenshot-tour", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    shots = sorted(p.name for p in out.glob("*.png"))
    assert len(shots) >= 15
    assert all((out / name).stat().st_size > 20_000 for name in shots)  # not blank
