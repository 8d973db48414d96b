"""The build under test is the one CI asked for (compiled engine, or pure Python)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import app
import core
import core.kernel
import strategies.sma_cross
import venues.simulated.engine


@pytest.mark.skipif(
    "TRADEBENCH_EXPECT_COMPILED" not in os.environ, reason="only when tests/run.sh says which"
)
def test_the_engine_build_is_the_expected_one() -> None:
    expected = os.environ["TRADEBENCH_EXPECT_COMPILED"] == "1"
    assert core.COMPILED is expected
    for module in (core.kernel, venues.simulated.engine, strategies.sma_cross):
        assert str(module.__file__).endswith(".py") is not expected, module.__file__


def test_the_package_ships_its_resources() -> None:
    """Icons and the example strategy come with the package (an installed one has them inside
    ``app/``, a checkout beside it)."""
    folder = app.resources_folder()
    for name in ("app", "play", "risk", "stop"):
        assert (folder / "icons" / f"{name}.svg").is_file(), name
    assert (folder / "examples" / "breakout_user_strategy.py").is_file()
    if "TRADEBENCH_EXPECT_COMPILED" in os.environ:  # tests/run.sh: the installed package
        assert folder.parent == Path(app.__file__).resolve().parent
