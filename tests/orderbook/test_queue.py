"""Resting limits on the order-book venue: joining the queue, trades and cancels moving it."""

from __future__ import annotations

import pytest

from core.enums import OrderSide
from core.market import Aggressor
from venues.orderbook import QueueModel, ahead_after_cancels

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def booked(book_harness, **kwargs):
    h = book_harness(**kwargs)
    h.snapshot(
        T0,
        bids=[("100.00", 10), ("99.99", 20)],
        asks=[("100.01", 10), ("100.02", 20)],
    )
    return h


def test_a_resting_limit_joins_behind_the_displayed_size(book_harness):
    h = booked(book_harness)
    at_best = h.submit(BUY, 5, "100.00")
    behind_best = h.submit(BUY, 5, "99.99")
    offer = h.submit(SELL, 5, "100.02")
    new_level = h.submit(BUY, 1, "99.98")
    assert h.kinds(at_best) == ["OrderAccepted"]
    assert h.ahead(at_best) == "10"
    assert h.ahead(behind_best) == "20"
    assert h.ahead(offer) == "20"
    assert h.ahead(new_level) == "0"


def test_trades_at_the_price_eat_the_queue_then_fill_partially(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "100.00")
    h.trade(T0 + 1 * MS, "100.00", 4)
    assert h.ahead(coid) == "6"
    assert h.fills(coid) == []
    h.trade(T0 + 2 * MS, "100.00", 8)  # 6 clear the queue ahead, 2 are ours
    assert h.ahead(coid) == "0"
    assert h.fills(coid) == [("2", "100", "MAKER")]
    h.trade(T0 + 3 * MS, "100.00", 10)
    assert h.fills(coid) == [("2", "100", "MAKER"), ("3", "100", "MAKER")]
    assert h.kinds(coid)[-1] == "OrderFilled"
    assert h.venue.working_order_ids() == []


def test_prints_of_the_other_side_do_not_move_the_queue(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "100.00")
    h.trade(T0 + 1 * MS, "100.00", 50, Aggressor.BUYER)  # a buyer lifted an offer
    h.trade(T0 + 2 * MS, "100.01", 50, Aggressor.SELLER)  # above our bid
    assert h.ahead(coid) == "10"
    assert h.fills(coid) == []
    h.trade(T0 + 3 * MS, "100.00", 11, Aggressor.UNKNOWN)  # unknown: counted at the price
    assert h.fills(coid) == [("1", "100", "MAKER")]


def test_a_print_through_the_price_fills_the_whole_order(book_harness):
    h = booked(book_harness)
    coid = h.submit(SELL, 7, "100.01")
    h.trade(T0 + 1 * MS, "100.02", 1, Aggressor.BUYER)  # the 100.01 level was swept
    assert h.fills(coid) == [("7", "100.01", "MAKER")]


def test_our_orders_at_one_price_share_a_print_in_arrival_order(book_harness):
    h = booked(book_harness)
    first = h.submit(BUY, 3, "100.00")
    second = h.submit(BUY, 3, "100.00")
    h.trade(T0 + 1 * MS, "100.00", 14)  # 10 ahead of both, then 4 for us
    assert h.fills(first) == [("3", "100", "MAKER")]
    assert h.fills(second) == [("1", "100", "MAKER")]


def test_a_trade_shows_up_as_a_decrease_once(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "100.00")
    h.trade(T0 + 1 * MS, "100.00", 4)
    assert h.ahead(coid) == "6"
    h.update(T0 + 2 * MS, bids=[("100.00", 6)])  # the print, seen in the book: not a cancel
    assert h.ahead(coid) == "6"
    h.update(T0 + 3 * MS, bids=[("100.00", 3)])  # 3 canceled, half of them ahead (6 of 6)
    assert h.ahead(coid) == "3"


def test_size_added_to_the_level_queues_behind(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "100.00")
    h.update(T0 + 1 * MS, bids=[("100.00", 40)])
    assert h.ahead(coid) == "10"


@pytest.mark.parametrize(
    ("model", "after_small", "after_large"),
    [
        # level 20 (10 ahead, 10 behind): 6 canceled, then 9 more (level 5)
        (QueueModel.PROPORTIONAL, "7", "2.5"),  # 10 - 6 x 10/20 = 7; 7 - 9 x 7/14 = 2.5
        (QueueModel.BEHIND_FIRST, "10", "5"),  # 6 from behind; then 4 behind left: 10 - 5
        (QueueModel.AHEAD_FIRST, "4", "0"),
    ],
)
def test_cancels_move_the_queue_by_the_model(book_harness, model, after_small, after_large):
    h = booked(book_harness, queue_model=model)
    coid = h.submit(BUY, 5, "100.00")
    h.update(T0 + 1 * MS, bids=[("100.00", 20)])  # 10 join behind us
    h.update(T0 + 2 * MS, bids=[("100.00", 14)])
    assert h.ahead(coid) == after_small
    h.update(T0 + 3 * MS, bids=[("100.00", 5)])
    assert h.ahead(coid) == after_large


def test_the_queue_ahead_never_exceeds_the_level_and_a_deleted_level_puts_us_first(
    book_harness,
):
    h = booked(book_harness, queue_model=QueueModel.BEHIND_FIRST)
    coid = h.submit(BUY, 5, "100.00")
    h.update(T0 + 1 * MS, bids=[("100.00", 4)])  # nothing behind us: all 6 were ahead
    assert h.ahead(coid) == "4"
    h.update(T0 + 2 * MS, bids=[("100.00", 0)])
    assert h.ahead(coid) == "0"
    h.trade(T0 + 3 * MS, "100.00", 2)
    assert h.fills(coid) == [("2", "100", "MAKER")]


def test_the_book_crossing_a_resting_order_fills_it_as_maker(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "100.00")
    # an offer appears at our price: it would have traded with our bid first
    h.update(T0 + 1 * MS, asks=[("100.00", 3)])
    assert h.fills(coid) == [("3", "100", "MAKER")]
    assert h.ahead(coid) == "0"
    h.update(T0 + 2 * MS, bids=[("100.00", 12)])  # the same offer, still displayed: taken
    assert h.fills(coid) == [("3", "100", "MAKER")]
    h.update(T0 + 3 * MS, asks=[("100.00", 5)])  # the level changed: 5 more offered
    assert h.fills(coid) == [("3", "100", "MAKER"), ("2", "100", "MAKER")]


def test_ahead_after_cancels_rounds_down_and_never_goes_negative():
    assert ahead_after_cancels(QueueModel.PROPORTIONAL, 3, 7, 2) == 3 - 2 * 3 // 7
    assert ahead_after_cancels(QueueModel.AHEAD_FIRST, 3, 7, 5) == 0
    assert ahead_after_cancels(QueueModel.BEHIND_FIRST, 3, 7, 7) == 0
    assert ahead_after_cancels(QueueModel.PROPORTIONAL, 0, 7, 7) == 0
    with pytest.raises(ValueError, match="unknown queue model"):
        ahead_after_cancels(9, 3, 7, 2)
    assert QueueModel.parse("Behind-First") == QueueModel.BEHIND_FIRST
    with pytest.raises(ValueError, match="proportional, behind-first, ahead-first"):
        QueueModel.parse("fifo")
