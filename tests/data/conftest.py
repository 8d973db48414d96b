"""Shared fixtures: the real market data folder (skipped when absent) and hand-made files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _shared_data_dir() -> Path:
    configured = os.environ.get("TRADEBENCH_SHARED_DATA")
    if configured:
        return Path(configured)
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The third-party sample data (see its README); never copied into the repository."""
    root = _shared_data_dir()
    if not (root / "README.md").is_file():
        pytest.skip(f"shared market data not found at {root} (set TRADEBENCH_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
