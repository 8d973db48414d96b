"""Broker disconnects, missed and repeated fills: every fill is booked exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from core.enums import OrderSide, OrderStatus, OrderType

BUY = OrderSide.BUY
SELL = OrderSide.SELL


def test_fill_while_disconnected_is_booked_once_after_reconnect(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "5", kind=OrderType.LIMIT, price="99.00")
        other = h.submit(BUY, "2", kind=OrderType.LIMIT, price="90.00")
        await wait(lambda: other.status == OrderStatus.ACCEPTED)
        h.sandbox.refusing_trade_streams = True
        await h.sandbox.drop_trade_streams()
        await wait(lambda: not h.broker.connected)
        h.sandbox.set_mid("SPY", "98.50")  # fills at the broker; nobody is listening
        assert h.sandbox.orders[order.venue_order_id]["status"] == "filled"
        await asyncio.sleep(0.15)  # a few refused reconnects
        assert order.status == OrderStatus.ACCEPTED
        h.sandbox.refusing_trade_streams = False
        await wait(lambda: order.status == OrderStatus.FILLED)
        assert h.fills() == [("5", "98.51", f"{order.venue_order_id}:5")]
        assert other.status == OrderStatus.ACCEPTED
        # the summary is logged once the reconcile has booked what it found
        await wait(
            lambda: any(
                "reconciled 2 working orders after the reconnect, 1 with fills missed" in w
                for w in h.logs("WARNING")
            )
        )
        assert any("alpaca trade stream disconnected" in w for w in h.logs("WARNING"))
        h.sandbox.resend_last_fill()  # the stream's own copy of the missed fill
        await asyncio.sleep(0.1)
        assert len(h.fills()) == 1 and h.position() == "5"
        sell = h.submit(SELL, "5")
        await wait(lambda: sell.status == OrderStatus.FILLED)
        assert h.position() == "0"

    h = run_live(body, start={"journal": True})
    order = h.kernel.order("manual-1")  # the order the body submitted
    db = sqlite3.connect(h.tmp / "journal.sqlite")
    rows = db.execute("SELECT trade_id, qty_raw FROM fills ORDER BY id").fetchall()
    mode = db.execute("SELECT mode FROM runs").fetchone()[0]
    db.close()
    assert mode == "live"
    assert len(rows) == 2 and rows[0][0] == f"{order.venue_order_id}:5"


def test_a_repeated_fill_message_is_ignored(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "4")
        await wait(lambda: order.status == OrderStatus.FILLED)
        h.sandbox.resend_last_fill()
        await wait(lambda: any("duplicate fill ignored" in w for w in h.logs("WARNING")))
        assert len(h.fills()) == 1 and h.position() == "4"
        assert h.kernel.fills_count == 1

    run_live(body)


def test_trade_updates_flow_while_the_reconcile_waits_for_the_broker(
    run_live: Any, wait: Any
) -> None:
    async def body(h: Any) -> None:
        working = h.submit(BUY, "1", kind=OrderType.LIMIT, price="90")
        await wait(lambda: working.status == OrderStatus.ACCEPTED)
        h.sandbox.read_delay_s = 1.5  # the reconcile's reads are slow
        await h.sandbox.drop_trade_streams()
        await wait(lambda: any("trade stream reconnected" in i for i in h.logs("INFO")))
        order = h.submit(BUY, "2")  # its fill comes by the stream only
        await wait(lambda: order.status == OrderStatus.FILLED)
        assert not any("reconciled" in line for line in h.logs())  # still reading
        await wait(lambda: any("reconciled 1 working orders" in i for i in h.logs("INFO")))

    run_live(body)
