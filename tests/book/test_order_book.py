"""The L2 order book: snapshots, deltas, top of book, crossing, walking the book."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.book import (
    BookDelta,
    BookDeltas,
    BookError,
    BookSide,
    BookSnapshot,
    OrderBook,
    side_name,
)

BID = BookSide.BID
ASK = BookSide.ASK
Raw = Callable[[float | int | str], int]


def test_snapshot_sets_both_sides_best_first(make_book: Callable[..., OrderBook], px: Raw) -> None:
    # levels deliberately out of order: the book sorts them
    book = make_book(
        bids=[(99, 5), (100, 2), (98.5, 1)], asks=[(102, 4), (101, 3), (101.5, 7)], seq=42
    )
    assert book.sequence == 42 and book.ts_event == 1_000
    assert book.best_bid() == (px(100), px(2))
    assert book.best_ask() == (px(101), px(3))
    assert book.depth(BID, 10) == [(px(100), px(2)), (px(99), px(5)), (px(98.5), px(1))]
    assert book.depth(ASK, 2) == [(px(101), px(3)), (px(101.5), px(7))]
    assert book.depth(ASK, 0) == []
    assert book.level(BID, 2) == (px(98.5), px(1))
    assert book.level(BID, 3) is None
    assert book.level_count(BID) == 3 and book.level_count(ASK) == 3
    assert book.spread_raw() == px(1)
    assert book.mid_raw() == px(100.5)
    assert not book.is_crossed() and not book.is_locked()
    assert book.size_at(ASK, px(101.5)) == px(7)
    assert book.size_at(ASK, px(100)) == 0


def test_to_quote_carries_top_of_book(make_book: Callable[..., OrderBook], px: Raw) -> None:
    book = make_book(bids=[(100, 2), (99, 1)], asks=[(100.25, 3)])
    quote = book.to_quote(7_000)
    assert (quote.instrument_id, quote.ts_event) == ("TEST.SIM", 7_000)
    assert (quote.bid_raw, quote.ask_raw) == (px(100), px(100.25))
    assert (quote.bid_size_raw, quote.ask_size_raw) == (px(2), px(3))
    # odd sum of raws: both round down the same way
    assert quote.mid_raw() == book.mid_raw() == px("100.125")


def test_deltas_add_change_and_delete_levels(make_book: Callable[..., OrderBook], px: Raw) -> None:
    book = make_book(bids=[(100, 2), (99, 5)], asks=[(101, 3), (102, 4)], seq=10)
    book.apply_delta(BookDelta("TEST.SIM", 2_000, BID, px(100.5), px(1), 11))  # new best bid
    assert book.best_bid() == (px(100.5), px(1))
    book.apply_delta(BookDelta("TEST.SIM", 2_001, ASK, px(101), px(0.5), 12))  # size change
    assert book.best_ask() == (px(101), px(0.5))
    book.apply_delta(BookDelta("TEST.SIM", 2_002, ASK, px(101), 0, 13))  # delete the best ask
    assert book.best_ask() == (px(102), px(4))
    book.apply_delta(BookDelta("TEST.SIM", 2_003, BID, px(100.5), 0, 14))
    assert book.depth(BID, 5) == [(px(100), px(2)), (px(99), px(5))]
    assert (book.sequence, book.ts_event) == (14, 2_003)
    assert book.missing_deletes == 0


def test_deleting_an_unknown_level_is_counted_not_an_error(
    make_book: Callable[..., OrderBook], px: Raw
) -> None:
    # Binance: "receiving an event that removes a price level that is not in your local order
    # book can happen and is normal" (the snapshot holds only the top 1000 levels)
    book = make_book(bids=[(100, 2)], asks=[(101, 3)])
    book.apply_delta(BookDelta("TEST.SIM", 1, BID, px(50), 0, 2))
    assert book.missing_deletes == 1
    assert book.level_count(BID) == 1


def test_a_batch_is_applied_whole(make_book: Callable[..., OrderBook], px: Raw) -> None:
    book = make_book(bids=[(100, 2)], asks=[(101, 3)], seq=5)
    # the new ask sits below the old bid until the bid's delete (later in the batch) lands:
    # applied delta by delta the book is crossed in between, applied as a batch it never is
    batch = BookDeltas(
        "TEST.SIM",
        9_000,
        6,
        [
            BookDelta("TEST.SIM", 9_000, ASK, px(99.5), px(1), 6),
            BookDelta("TEST.SIM", 9_000, BID, px(100), 0, 6),
            BookDelta("TEST.SIM", 9_000, BID, px(99), px(4), 6),
        ],
    )
    stepwise = make_book(bids=[(100, 2)], asks=[(101, 3)], seq=5)
    stepwise.apply_delta(batch.deltas[0])
    assert stepwise.is_crossed()
    book.apply_deltas(batch)
    assert not book.is_crossed()
    assert book.best_bid() == (px(99), px(4)) and book.best_ask() == (px(99.5), px(1))
    assert (book.sequence, book.ts_event, len(batch)) == (6, 9_000, 3)


def test_crossed_and_locked_books_are_detected(
    make_book: Callable[..., OrderBook], px: Raw
) -> None:
    book = make_book(bids=[(100, 2)], asks=[(101, 3)])
    book.apply_delta(BookDelta("TEST.SIM", 1, BID, px(101), px(1), 2))
    assert book.is_locked() and not book.is_crossed()
    assert book.spread_raw() == 0
    book.apply_delta(BookDelta("TEST.SIM", 1, BID, px(101.5), px(1), 3))
    assert book.is_crossed() and not book.is_locked()
    assert book.spread_raw() == -px(0.5)


def test_walk_takes_levels_best_first_with_a_partial_last_level(
    make_book: Callable[..., OrderBook], px: Raw
) -> None:
    book = make_book(bids=[(100, 2), (99, 5)], asks=[(101, 1), (101.5, 2), (103, 4)])
    # a buy of 2.5 takes all of 101 and 1.5 of 101.5
    assert book.walk(ASK, px(2.5)) == [(px(101), px(1)), (px(101.5), px(1.5))]
    # exactly the first level
    assert book.walk(ASK, px(1)) == [(px(101), px(1))]
    # a sell of 6 goes through both bid levels, partially into the second
    assert book.walk(BID, px(6)) == [(px(100), px(2)), (px(99), px(4))]
    # more than the side holds: everything, short of the order (a partial fill)
    taken = book.walk(BID, px(100))
    assert taken == [(px(100), px(2)), (px(99), px(5))]
    assert sum(q for _, q in taken) == px(7)
    assert book.walk(ASK, 0) == []
    # walking does not change the book
    assert book.depth(ASK, 5) == [(px(101), px(1)), (px(101.5), px(2)), (px(103), px(4))]
    with pytest.raises(ValueError, match="negative"):
        book.walk(ASK, -1)


def test_empty_book_answers_none_and_refuses_a_quote() -> None:
    book = OrderBook("TEST.SIM")
    assert book.best_bid() is None and book.best_ask() is None
    assert book.spread_raw() is None and book.mid_raw() is None
    assert not book.is_crossed() and not book.is_locked()
    assert book.walk(ASK, 10) == []
    assert book.depth(BID, 3) == []
    with pytest.raises(BookError, match="no bid"):
        book.to_quote(1)
    book.apply_delta(BookDelta("TEST.SIM", 1, BID, 5, 1, 1))
    with pytest.raises(BookError, match="no ask"):
        book.to_quote(1)
    assert "TEST.SIM" in repr(book)


def test_negative_prices_sort_correctly(make_book: Callable[..., OrderBook], px: Raw) -> None:
    # calendar spreads trade at negative prices; asks are keyed by minus the price internally
    book = make_book(bids=[(-3, 1), (-2.5, 2)], asks=[(-1, 1), (-2, 4)])
    assert book.best_bid() == (px(-2.5), px(2))
    assert book.best_ask() == (px(-2), px(4))
    assert book.walk(ASK, px(5)) == [(px(-2), px(4)), (px(-1), px(1))]
    assert book.mid_raw() == px(-2.25)


def test_snapshot_replaces_the_book(make_book: Callable[..., OrderBook], px: Raw) -> None:
    book = make_book(bids=[(100, 2)], asks=[(101, 3)], seq=50)
    book.apply_snapshot(BookSnapshot("TEST.SIM", 5, 40, [(px(90), px(1))], []))
    assert book.depth(BID, 5) == [(px(90), px(1))]
    assert book.level_count(ASK) == 0
    assert book.sequence == 40  # a resync may go back to an older snapshot


def test_invalid_events_are_refused(make_book: Callable[..., OrderBook], px: Raw) -> None:
    with pytest.raises(ValueError, match="side"):
        BookDelta("TEST.SIM", 1, 0, px(1), px(1), 1)
    with pytest.raises(BookError, match="negative"):
        BookDelta("TEST.SIM", 1, BID, px(1), -1, 1)
    with pytest.raises(BookError, match="positive sizes"):
        BookSnapshot("TEST.SIM", 1, 1, [(px(1), 0)], [])
    with pytest.raises(BookError, match="twice"):
        BookSnapshot("TEST.SIM", 1, 1, [], [(px(1), 1), (px(1), 2)])
    with pytest.raises(BookError, match="sequence"):
        BookDeltas("TEST.SIM", 1, 2, [BookDelta("TEST.SIM", 1, BID, 1, 1, 3)])
    with pytest.raises(BookError, match=r"OTHER\.SIM"):
        BookDeltas("TEST.SIM", 1, 2, [BookDelta("OTHER.SIM", 1, BID, 1, 1, 2)])
    book = make_book(bids=[(100, 2)], asks=[(101, 3)], seq=10)
    with pytest.raises(BookError, match="older"):
        book.apply_delta(BookDelta("TEST.SIM", 1, BID, px(100), px(1), 9))
    with pytest.raises(BookError, match=r"OTHER\.SIM"):
        book.apply_delta(BookDelta("OTHER.SIM", 1, BID, px(100), px(1), 11))
    with pytest.raises(ValueError, match="side"):
        book.depth(2, 1)
    with pytest.raises(ValueError, match="negative"):
        book.level(BID, -1)
    with pytest.raises(ValueError, match="side"):
        side_name(3)
    assert book.best_bid() == (px(100), px(2))  # nothing was applied
    assert side_name(BID) == "bid" and side_name(ASK) == "ask"
    assert "bid" in repr(BookDelta("TEST.SIM", 1, BID, px(1), 0, 1))


_deltas = st.lists(
    st.tuples(
        st.sampled_from([BID, ASK]),
        st.integers(min_value=1, max_value=40),  # few prices: many updates hit one level
        st.integers(min_value=0, max_value=5),  # 0 deletes
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(_deltas, st.integers(min_value=0, max_value=30))
def test_book_matches_a_plain_dict_model(deltas: list[tuple[int, int, int]], qty: int) -> None:
    book = OrderBook("TEST.SIM")
    model: dict[int, dict[int, int]] = {BID: {}, ASK: {}}
    for seq, (side, price, size) in enumerate(deltas, start=1):
        book.apply_delta(BookDelta("TEST.SIM", seq, side, price, size, seq))
        if size:
            model[side][price] = size
        else:
            model[side].pop(price, None)
    bids = sorted(model[BID].items(), reverse=True)
    asks = sorted(model[ASK].items())
    assert book.depth(BID, 100) == bids
    assert book.depth(ASK, 100) == asks
    assert book.best_bid() == (bids[0] if bids else None)
    assert book.best_ask() == (asks[0] if asks else None)
    assert book.level_count(BID) == len(bids) and book.level_count(ASK) == len(asks)
    if bids and asks:
        assert book.is_crossed() == (bids[0][0] > asks[0][0])
    walked = book.walk(ASK, qty)
    assert sum(q for _, q in walked) == min(qty, sum(q for _, q in asks))
    assert [p for p, _ in walked] == [p for p, _ in asks[: len(walked)]]
