"""The intrabar path: where along a bar each working order would trigger and fill.

A bar only tells open, high, low and close, so the venue declares the path prices took:
open -> the extreme nearer to the open (ties: the high first) -> the other extreme -> close,
straight lines in between. A position on the path is (segment, distance from the segment's start);
positions compare as tuples, which orders every fill of a bar in time.
"""

from __future__ import annotations

from typing import Final, final

from core.enums import Liquidity, OrderType
from venues.simulated.state import WorkingOrder

AFTER_PATH: Final = 3  # the segment index of "at the close, after the whole path"


@final
class BarPath:
    def __init__(self, open_raw: int, high_raw: int, low_raw: int, close_raw: int) -> None:
        self.open_raw: Final = open_raw
        self.high_raw: Final = high_raw
        self.low_raw: Final = low_raw
        self.close_raw: Final = close_raw
        high_first = high_raw - open_raw <= open_raw - low_raw
        # the path's two middle points; plain int fields, not a list: a bar with working orders
        # builds one path, and a list would box its four prices
        self.first_raw: Final = high_raw if high_first else low_raw
        self.second_raw: Final = low_raw if high_first else high_raw

    def point(self, k: int) -> int:
        """The path's k-th point: open, the nearer extreme, the other extreme, close."""
        if k == 0:
            return self.open_raw
        if k == 1:
            return self.first_raw
        if k == 2:
            return self.second_raw
        return self.close_raw

    def reach(self, level: int, up: bool, seg0: int, dist0: int, px0: int) -> tuple[int, int]:
        """The first position at or after (seg0, dist0), where the price is ``px0``, at which the
        price is >= ``level`` (``up``) or <= ``level``; segment -1 if the path never gets there."""
        if (px0 >= level) if up else (px0 <= level):
            return seg0, dist0
        k = seg0
        while k < 3:
            end = self.point(k + 1)
            if (end >= level) if up else (end <= level):
                # the segment is monotonic and started short of the level: it crosses it exactly
                dist = level - self.point(k)
                return k, dist if dist >= 0 else -dist  # not abs(): a generic call compiled
            k += 1
        return -1, 0


@final
class FillCandidate:
    """One order's matching opportunity on a bar, at a path position (planned, not yet sized)."""

    def __init__(
        self,
        order: WorkingOrder,
        seg: int,
        dist: int,
        price_raw: int,
        liquidity: int,
        *,
        slips: bool,
        fills: bool,
        emits_trigger: bool,
        marks_triggered: bool,
    ) -> None:
        self.order: Final = order
        self.seg: Final = seg
        self.dist: Final = dist
        self.price_raw: Final = price_raw
        self.liquidity: Final = liquidity
        self.slips: Final = slips  # a market-like fill: the slippage model applies
        self.fills: Final = fills  # False: the candidate only triggers a stop-limit
        self.emits_trigger: Final = emits_trigger
        self.marks_triggered: Final = marks_triggered


def candidate_key(c: FillCandidate) -> tuple[int, int, int]:
    """Earlier on the path first; equal positions in arrival order."""
    return c.seg, c.dist, c.order.seq


def may_trade(o: WorkingOrder, low_raw: int, high_raw: int) -> bool:
    """Can a bar spanning [low, high] trigger or fill ``o`` at all? (a cheap pre-check that spares
    building the path for orders far from the market)"""
    kind = o.order_type
    if kind == OrderType.MARKET:
        return True
    if kind == OrderType.STOP and o.triggered:
        return True
    if kind == OrderType.LIMIT or o.triggered:
        return low_raw <= o.price_raw if o.is_buy else high_raw >= o.price_raw
    return high_raw >= o.trigger_raw if o.is_buy else low_raw <= o.trigger_raw


def fills_like_market(o: WorkingOrder) -> bool:
    """A market order, or a stop that has triggered: it needs no intrabar path."""
    return o.order_type == OrderType.MARKET or (o.order_type == OrderType.STOP and o.triggered)


def plan_market_order(
    o: WorkingOrder, open_raw: int, close_raw: int, same_close: bool, out: list[FillCandidate]
) -> None:
    """Append the candidate of an order that ``fills_like_market``: at the bar's open (a market
    order under SAME_CLOSE: at its close, after the whole path)."""
    if o.order_type == OrderType.MARKET and same_close:
        seg, price = AFTER_PATH, close_raw
    else:
        seg, price = 0, open_raw
    out.append(
        FillCandidate(
            o,
            seg,
            0,
            price,
            Liquidity.TAKER,
            slips=True,
            fills=True,
            emits_trigger=False,
            marks_triggered=False,
        )
    )


def plan_bar_order(o: WorkingOrder, path: BarPath, out: list[FillCandidate]) -> None:
    """Append the candidate(s) of order ``o`` on the bar of ``path`` (an order that
    ``fills_like_market`` goes to ``plan_market_order`` instead).

    IOC and FOK orders meet the market once, when they reach it: at this bar's open.
    """
    open_only = o.fresh and o.immediate
    kind = o.order_type
    open_raw = path.open_raw
    if kind == OrderType.LIMIT or o.triggered:
        _plan_limit(o, path, 0, 0, open_raw, open_only, False, out)
        return
    # an untriggered stop or stop-limit: a buy stop triggers when the path rises to the trigger
    seg, dist = path.reach(o.trigger_raw, o.is_buy, 0, 0, open_raw)
    if seg < 0 or (open_only and (seg != 0 or dist != 0)):
        return
    gapped = seg == 0 and dist == 0
    trigger_px = open_raw if gapped else o.trigger_raw
    if kind == OrderType.STOP:
        out.append(
            FillCandidate(
                o,
                seg,
                dist,
                trigger_px,
                Liquidity.TAKER,
                slips=True,
                fills=True,
                emits_trigger=False,
                marks_triggered=True,
            )
        )
        return
    # a stop-limit works as a limit on the rest of the same path
    _plan_limit(o, path, seg, dist, trigger_px, open_only, True, out)


def _plan_limit(
    o: WorkingOrder,
    path: BarPath,
    seg0: int,
    dist0: int,
    px0: int,
    open_only: bool,
    just_triggered: bool,
    out: list[FillCandidate],
) -> None:
    # a buy limit fills once the path comes down to its price
    seg, dist = path.reach(o.price_raw, not o.is_buy, seg0, dist0, px0)
    at_start = seg == seg0 and dist == dist0
    if seg < 0 or (open_only and not at_start):
        if just_triggered:
            out.append(
                FillCandidate(
                    o,
                    seg0,
                    dist0,
                    0,
                    Liquidity.TAKER,
                    slips=False,
                    fills=False,
                    emits_trigger=True,
                    marks_triggered=True,
                )
            )
        return
    if at_start:
        # already through the limit where it starts working: fill there (price improvement)
        price = px0
        taker = just_triggered or (o.fresh and o.marketable)
        liquidity = Liquidity.TAKER if taker else Liquidity.MAKER
    else:
        price = o.price_raw
        liquidity = Liquidity.MAKER
    out.append(
        FillCandidate(
            o,
            seg,
            dist,
            price,
            liquidity,
            slips=False,
            fills=True,
            emits_trigger=just_triggered,
            marks_triggered=just_triggered,
        )
    )
