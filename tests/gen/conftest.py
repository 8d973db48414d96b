"""Fixtures for the synthetic-data tests (ticks inside bars, the market generator, its book and
its command line).

Helpers are fixtures (not importable modules) because the suite runs with
``--import-mode=importlib``, where test modules cannot import their siblings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest

from app import cli
from core.book import BookDelta, BookDeltas, OrderBook
from core.data.marketgen import SyntheticMarket

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BookReplay:
    """The book after each whole update, one row per market event (quote): best levels
    (0 when a side is empty), levels per side, and how many states were crossed."""

    bid: Int64Array
    bid_size: Int64Array
    ask: Int64Array
    ask_size: Int64Array
    bid_levels: Int64Array
    ask_levels: Int64Array
    crossed: int
    missing_deletes: int


@pytest.fixture
def replay_book() -> Callable[[SyntheticMarket], BookReplay]:
    """Apply the market's snapshot, then each update (rows sharing a sequence) as one
    ``BookDeltas`` batch, recording the top of book after each."""

    def replay(market: SyntheticMarket) -> BookReplay:
        iid = market.instrument_id
        book = OrderBook(iid)
        snapshot = market.book_snapshot()
        book.apply_snapshot(snapshot)
        events = market.book_events()
        n = len(market.quotes)
        out = {name: np.zeros(n, dtype=np.int64) for name in BookReplay.__dataclass_fields__}
        crossed = 0

        def record(index: int) -> None:
            nonlocal crossed
            best_bid, best_ask = book.best_bid(), book.best_ask()
            out["bid"][index], out["bid_size"][index] = best_bid or (0, 0)
            out["ask"][index], out["ask_size"][index] = best_ask or (0, 0)
            out["bid_levels"][index] = book.level_count(1)
            out["ask_levels"][index] = book.level_count(-1)
            crossed += book.is_crossed()

        record(snapshot.sequence - 1)
        ts, side, price = events.ts.tolist(), events.side.tolist(), events.price.tolist()
        size, sequence = events.size.tolist(), events.sequence.tolist()
        bounds = [0, *(np.flatnonzero(np.diff(events.sequence)) + 1).tolist(), len(sequence)]
        for lo, hi in pairwise(bounds):
            seq = sequence[lo]
            deltas = [BookDelta(iid, ts[k], side[k], price[k], size[k], seq) for k in range(lo, hi)]
            book.apply_deltas(BookDeltas(iid, ts[lo], seq, deltas))
            record(seq - 1)
        return BookReplay(
            out["bid"],
            out["bid_size"],
            out["ask"],
            out["ask_size"],
            out["bid_levels"],
            out["ask_levels"],
            crossed,
            book.missing_deletes,
        )

    return replay


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """``run_cli("generate", "--out", ...)``: exit status and what was printed."""

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run
