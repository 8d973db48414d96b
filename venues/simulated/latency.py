"""Latency: how long an order, a cancel or a modify takes to reach the matching engine."""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

_MASK64: Final = (1 << 64) - 1
# Knuth's MMIX LCG constants: the same seed gives the same jitter on every platform and build.
_LCG_MUL: Final = 6364136223846793005
_LCG_ADD: Final = 1442695040888963407


@mypyc_attr(allow_interpreted_subclasses=True)
class LatencyModel:
    """Fixed delays plus a seeded, deterministic jitter drawn uniformly from [0, jitter_ns].

    ``order_ns`` applies to new orders; ``cancel_ns`` to cancels and modifies. With everything at
    0 (the default) a command reaches the matching engine at the instant it is sent.
    """

    def __init__(
        self, order_ns: int = 0, cancel_ns: int = 0, jitter_ns: int = 0, seed: int = 0
    ) -> None:
        if order_ns < 0 or cancel_ns < 0 or jitter_ns < 0:
            raise ValueError(
                f"latencies must not be negative: order {order_ns} ns, cancel {cancel_ns} ns, "
                f"jitter {jitter_ns} ns"
            )
        self.order_ns: Final = order_ns
        self.cancel_ns: Final = cancel_ns
        self.jitter_ns: Final = jitter_ns
        self.seed: Final = seed
        self._state = seed & _MASK64

    def order_delay_ns(self) -> int:
        return self.order_ns + self._jitter()

    def cancel_delay_ns(self) -> int:
        """The delay of a cancel or a modify."""
        return self.cancel_ns + self._jitter()

    def _jitter(self) -> int:
        if self.jitter_ns == 0:
            return 0
        self._state = (self._state * _LCG_MUL + _LCG_ADD) & _MASK64
        # the high bits of an LCG are the well-mixed ones
        return (self._state >> 16) % (self.jitter_ns + 1)

    def __repr__(self) -> str:
        return (
            f"LatencyModel(order {self.order_ns} ns, cancel {self.cancel_ns} ns, "
            f"jitter {self.jitter_ns} ns, seed {self.seed})"
        )
