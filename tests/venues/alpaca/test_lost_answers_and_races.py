"""Answers that never come and replaces that race a fill: the kernel ends as the broker did."""

from __future__ import annotations

import json
from typing import Any

from core.enums import OrderSide, OrderStatus, OrderType
from venues.alpaca.sandbox import NEW_FILLS_FIRST, OLD_FILLS_FIRST

BUY = OrderSide.BUY


def test_a_submit_whose_answer_was_lost_is_found_when_it_shows_up(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        h.sandbox.lose_next_answer(delay_s=0.2)  # the broker has it only 0.2 s later
        order = h.submit(BUY, "4")
        await wait(lambda: order.status == OrderStatus.FILLED)
        assert h.of("manual-1") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
        assert h.position() == "4"
        assert any("submit of manual-1 got no answer" in e for e in h.logs("ERROR"))

    run_live(body)


def test_a_submit_the_broker_never_got_is_rejected_after_the_lookups(
    run_live: Any, wait: Any
) -> None:
    async def body(h: Any) -> None:
        h.sandbox.lose_next_answer(delay_s=None)
        order = h.submit(BUY, "4")
        await wait(lambda: order.is_closed)
        assert order.status == OrderStatus.REJECTED
        assert order.reason.startswith("not received by the broker: POST ")
        assert h.sandbox.order_by_client_id("tb-t1-manual-1") is None

    run_live(body)


def test_old_order_filling_before_the_replace_refuses_the_modify(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "5", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        old_id = order.venue_order_id
        h.sandbox.next_replace = OLD_FILLS_FIRST
        h.modify(order, qty="7", price="95")
        await wait(lambda: "OrderModifyRejected" in h.of("manual-1"))
        await h.broker.settle()
        assert order.status == OrderStatus.FILLED and str(order.qty) == "5"
        assert h.of("manual-1")[2:] == [
            "OrderPendingUpdate", "OrderFilled", "OrderModifyRejected",
        ]  # fmt: skip
        assert h.fills() == [("5", "100.01", h.fills()[0][2])]
        assert h.position() == "5"
        assert h.sandbox.orders[old_id]["status"] == "filled"
        assert h.sandbox.order_by_client_id("tb-t1-manual-1~1")["status"] == "rejected"

    run_live(body)


def test_a_fill_of_the_replacement_before_replaced_is_booked(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "5", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        h.sandbox.next_replace = NEW_FILLS_FIRST
        h.modify(order, qty="6", price="101")  # marketable: fills at once
        await wait(lambda: order.status == OrderStatus.FILLED)
        await h.broker.settle()
        assert h.of("manual-1")[2:] == ["OrderPendingUpdate", "OrderUpdated", "OrderFilled"]
        assert [f[:2] for f in h.fills()] == [("6", "100.01")]
        assert h.position() == "6"

    run_live(body)


def test_a_replace_whose_answer_was_lost_is_not_refused(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "5", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        h.sandbox.lose_next_answer(delay_s=0.1)
        h.modify(order, qty="7", price="91")
        await wait(lambda: "OrderUpdated" in h.of("manual-1"))
        await h.broker.settle()
        assert "OrderModifyRejected" not in h.of("manual-1")
        assert (str(order.qty), str(order.price)) == ("7", "91")
        h.sandbox.set_mid("SPY", "90.50")
        await wait(lambda: order.status == OrderStatus.FILLED)
        assert [f[:2] for f in h.fills()] == [("7", "90.51")]

        lost = h.submit(BUY, "2", kind=OrderType.LIMIT, price="80")
        await wait(lambda: lost.status == OrderStatus.ACCEPTED)
        h.sandbox.lose_next_answer(delay_s=None)  # this replace never reaches the broker
        h.modify(lost, price="81")
        await wait(lambda: "OrderModifyRejected" in h.of("manual-2"))
        assert lost.status == OrderStatus.ACCEPTED and str(lost.price) == "80"
        assert lost.events[-1].reason.startswith("not received by the broker: PATCH ")

    run_live(body)


def test_a_fill_for_an_order_already_closed_is_not_dropped_silently(
    run_live: Any, wait: Any
) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "3", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        h.cancel(order)
        await wait(lambda: order.status == OrderStatus.CANCELED)
        broker_order = dict(h.sandbox.orders[order.venue_order_id])
        broker_order.update(status="filled", filled_qty="3", filled_avg_price="90")
        update = {"event": "fill", "execution_id": "late", "price": "90", "qty": "3",
                  "order": broker_order}  # fmt: skip
        h.sandbox.send_raw_trade_update(json.dumps({"stream": "trade_updates", "data": update}))
        await wait(lambda: any("NOT booked" in e for e in h.logs("ERROR")))
        error = next(e for e in h.logs("ERROR") if "NOT booked" in e)
        assert "manual-1" in error and "the order was already closed" in error
        assert "execution late, qty 3 at 90" in error
        assert h.fills() == [] and order.status == OrderStatus.CANCELED

    run_live(body)
