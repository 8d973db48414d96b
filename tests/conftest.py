"""Fixtures for every test folder: the third-party sample market data, read in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (or ``TRADEBENCH_SHARED_DATA``); tests that need
    it skip when it is absent. Never copied into the repository (some files are all rights
    reserved)."""
    configured = os.environ.get("TRADEBENCH_SHARED_DATA")
    root = (
        Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    if not (root / "README.md").is_file():
        pytest.skip(f"shared market data not found at {root} (set TRADEBENCH_SHARED_DATA)")
    return root


@pytest.fixture(autouse=True)
def own_journal(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test journals into a file of its own (``TRADEBENCH_JOURNAL``), never into the
    user's data folder; subprocesses inherit it."""
    path = tmp_path_factory.mktemp("journal") / "journal.sqlite"
    monkeypatch.setenv("TRADEBENCH_JOURNAL", str(path))
    return path
