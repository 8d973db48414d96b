"""Where a resting order stands in its price level's queue when the level shrinks.

An L2 feed shows only each level's total size. When a level holding one of our orders shrinks
and no trade explains it, someone canceled, and the feed does not say whether from ahead of us
or from behind. A ``QueueModel`` decides how much of such a decrease moves us forward.
"""

from __future__ import annotations

from typing import Final


class QueueModel:
    """How unexplained level decreases (cancels) split between ahead of and behind our order.

    PROPORTIONAL (the default): in proportion to the sizes ahead and behind, so the queue ahead
    shrinks by floor(decrease x ahead / level size before).
    BEHIND_FIRST (pessimistic): cancels come from behind us first; the queue ahead shrinks only
    by what the decrease exceeds the size behind.
    AHEAD_FIRST (optimistic): cancels come from ahead of us first.
    """

    PROPORTIONAL: Final = 1
    BEHIND_FIRST: Final = 2
    AHEAD_FIRST: Final = 3

    NAMES: Final = {1: "proportional", 2: "behind-first", 3: "ahead-first"}

    @staticmethod
    def parse(text: str) -> int:
        wanted = text.strip().lower()
        for value, name in QueueModel.NAMES.items():
            if name == wanted:
                return value
        raise ValueError(
            f"queue model {text!r} not understood; use {', '.join(QueueModel.NAMES.values())}"
        )


def ahead_after_cancels(model: int, ahead: int, level_before: int, decrease: int) -> int:
    """The queue ahead after the level (``level_before``, ``ahead`` of it in front of us) lost
    ``decrease`` to cancels; never negative."""
    if decrease <= 0 or ahead <= 0:
        return ahead if ahead > 0 else 0
    if model == QueueModel.PROPORTIONAL:
        left = ahead - decrease * ahead // level_before
    elif model == QueueModel.BEHIND_FIRST:
        behind = level_before - ahead
        left = ahead - (decrease - behind) if decrease > behind else ahead
    elif model == QueueModel.AHEAD_FIRST:
        left = ahead - decrease
    else:
        raise ValueError(f"unknown queue model {model}")
    return left if left > 0 else 0
