"""The build under test is the one CI asked for (compiled engine, or pure Python)."""

from __future__ import annotations

import os

import pytest

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
