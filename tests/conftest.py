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
