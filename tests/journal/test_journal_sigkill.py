"""SIGKILL a paper-trading process at several points: the journal opens as it is (no repair),
holds every fill the process acknowledged, and positions rebuilt from it equal the fills' sum.

The child is a real paper loop: a kernel on the wall clock (LiveClock), the simulated venue,
a strategy trading on every bar and a durable journal. It prints ``ACK <trade id>`` from
``on_fill``, which the kernel calls only after the journal committed the fill.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import core
from core.instruments import equity
from core.journal import JournalReader, recover

CHILD = textwrap.dedent(
    """
    import sys, time
    from core.clock import LiveClock
    from core.enums import OrderSide
    from core.instruments import equity
    from core.journal import SqliteJournal
    from core.kernel import Kernel
    from core.market import Bar
    from core.strategy import Strategy
    from core.values import Money, Price, Qty
    from venues.simulated import BpsFee, FillConfig, SimulatedVenue

    class Churn(Strategy):
        def __init__(self, iid):
            super().__init__(strategy_id="churn", instrument_ids=(iid,))
            self.iid = iid
            self.n = 0

        def on_bar(self, bar):
            self.n += 1
            side = OrderSide.BUY if (self.n // 3) % 2 == 0 else OrderSide.SELL
            self.ctx.submit_order(self.iid, side, Qty.of(1 + self.n % 7))

        def on_fill(self, fill):
            print("ACK", fill.trade_id, flush=True)

    inst = equity("AAA", "SIM")
    venue = SimulatedVenue(
        "SIM", instruments=[inst], fees=BpsFee(2), fill=FillConfig(participation=None)
    )
    kernel = Kernel(LiveClock())
    kernel.add_instrument(inst)
    kernel.add_venue(venue)
    kernel.add_strategy(Churn(inst.id), Money.parse("1000000", "USD"))
    journal = SqliteJournal(sys.argv[1])
    journal.begin_run("paper", kernel=kernel, label="churn")
    kernel.start()
    print("READY", journal.run_id, flush=True)
    i = 0
    while True:
        i += 1
        px = 10_000 + (i * 37) % 200
        o, c = Price.parse(f"{px / 100:.2f}"), Price.parse(f"{(px + 3) / 100:.2f}")
        hi, lo = Price.parse(f"{(px + 9) / 100:.2f}"), Price.parse(f"{(px - 9) / 100:.2f}")
        kernel.on_bar(Bar.of(inst.id, time.time_ns(), o, hi, lo, c, Qty.of(10_000)))
    """
)


def _start(script: Path, journal: Path) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    root = str(Path(core.__file__).resolve().parents[1])
    inherited = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root if not inherited else root + os.pathsep + inherited}
    child = subprocess.Popen(
        [sys.executable, str(script), str(journal)],
        cwd=script.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return child, lines


def _kill_after(journal: Path, script: Path, acks_wanted: int) -> tuple[int, list[str]]:
    """Run the child until it acknowledged ``acks_wanted`` fills (0: right after READY), then
    SIGKILL it; returns its run id and every fill it acknowledged."""
    child, lines = _start(script, journal)
    run_id = 0
    acked: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if child.poll() is not None:
                    assert child.stderr is not None
                    raise AssertionError(f"the child died: {child.stderr.read()}") from None
                continue
            if line.startswith("READY"):
                run_id = int(line.split()[1])
            elif line.startswith("ACK"):
                acked.append(line.split()[1])
            if run_id and len(acked) >= acks_wanted:
                break
        else:
            raise AssertionError("the child did not get that far within 60 s")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    time.sleep(0.1)  # let the pump drain what was printed before the kill
    while not lines.empty():
        line = lines.get()
        if line.startswith("ACK"):
            acked.append(line.split()[1])
    assert child.returncode == -signal.SIGKILL
    return run_id, acked


def test_sigkill_loses_no_acknowledged_fill(tmp_path: Path) -> None:
    script = tmp_path / "paper_child.py"
    script.write_text(CHILD, encoding="utf-8")
    journal = tmp_path / "journal.sqlite"  # one file through every kill: each run reopens it
    instrument = equity("AAA", "SIM")
    for acks_wanted in (0, 1, 7, 60):
        run_id, acked = _kill_after(journal, script, acks_wanted)
        with JournalReader(journal) as reader:  # opens as it is: no repair step
            assert reader.integrity_check() == []
            assert not reader.run(run_id).finished
        recovered = recover(journal, [instrument], run_id=run_id)
        journaled = [f.trade_id for f in recovered.fills]
        assert set(acked) <= set(journaled), (acks_wanted, set(acked) - set(journaled))
        assert len(journaled) == len(set(journaled))
        signed = sum(f.side * f.qty_raw for f in recovered.fills)
        assert recovered.position_raw("churn", instrument.id) == signed
        spent = sum(f.side * f.qty_raw * f.px_raw // 10**9 + f.fee_raw for f in recovered.fills)
        assert recovered.cash_raw("churn") == 1_000_000 * 10**9 - spent


GRID_CHILD = textwrap.dedent(
    """
    import sys, time
    from core.clock import LiveClock
    from core.enums import OrderSide, OrderType
    from core.instruments import equity
    from core.journal import SqliteJournal
    from core.kernel import Kernel
    from core.market import Bar
    from core.strategy import Strategy
    from core.values import Money, Price, Qty
    from venues.simulated import FillConfig, SimulatedVenue

    class Grid(Strategy):
        # every 4th bar: a resting bid far below the market, keyed by its grid level
        def __init__(self, iid):
            super().__init__(strategy_id="grid", instrument_ids=(iid,))
            self.iid = iid
            self.n = 0

        def on_bar(self, bar):
            self.n += 1
            if self.n % 4 == 0:
                level = self.n // 4
                self.ctx.submit_order(
                    self.iid, OrderSide.BUY, Qty.of(level), order_type=OrderType.LIMIT,
                    price=Price.parse(f"{50 + level % 10}"), dedup_key=f"grid-{level}",
                )
            else:
                self.ctx.submit_order(self.iid, OrderSide.BUY, Qty.of(1), dedup_key=f"buy-{self.n}")

        def on_fill(self, fill):
            print("ACK", fill.trade_id, flush=True)

    inst = equity("AAA", "SIM")
    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    kernel = Kernel(LiveClock())
    kernel.add_instrument(inst)
    kernel.add_venue(venue)
    kernel.add_strategy(Grid(inst.id), Money.parse("1000000", "USD"))
    journal = SqliteJournal(sys.argv[1])
    journal.begin_run("paper", kernel=kernel, label="grid")
    kernel.start()
    print("READY", journal.run_id, flush=True)
    px = Price.parse("100")
    while True:
        kernel.on_bar(Bar.of(inst.id, time.time_ns(), px, px, px, px, Qty.of(10_000)))
    """
)


def test_a_restart_restores_working_orders_and_never_sends_an_order_twice(tmp_path: Path) -> None:
    from core.clock import LiveClock
    from core.enums import OrderSide, OrderStatus, OrderType
    from core.journal import SqliteJournal, restore_into
    from core.kernel import Kernel
    from core.market import Bar
    from core.strategy import Strategy
    from core.values import Money, Price, Qty
    from venues.simulated import FillConfig, SimulatedVenue

    script = tmp_path / "grid_child.py"
    script.write_text(GRID_CHILD, encoding="utf-8")
    journal_file = tmp_path / "journal.sqlite"
    run_id, acked = _kill_after(journal_file, script, 40)
    inst = equity("AAA", "SIM")
    recovered = recover(journal_file, [inst], run_id=run_id)
    assert len(recovered.open_orders) >= 5  # resting grid bids were working at the kill
    assert set(acked) <= {f.trade_id for f in recovered.fills}

    class Grid(Strategy):  # the same strategy, restarted: it knows nothing of the old process
        def __init__(self) -> None:
            super().__init__(strategy_id="grid", instrument_ids=(inst.id,))

    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    kernel = Kernel(LiveClock())
    kernel.add_instrument(inst)
    kernel.add_venue(venue)
    strategy = Grid()
    kernel.add_strategy(strategy, Money.parse("1000000", "USD"))
    restore_into(kernel, recovered)
    journal = SqliteJournal(journal_file)
    journal.resume_run(run_id, kernel=kernel)
    kernel.start()

    # positions, cash and working orders are what the journal proves
    account = kernel.record("grid").account
    assert account.positions[inst.id].signed_qty_raw == recovered.position_raw("grid", inst.id)
    assert account.cash_raw == recovered.cash_raw("grid")
    restored_ids = sorted(o.client_order_id for o in recovered.open_orders)
    assert sorted(o.client_order_id for o in kernel.orders if o.is_open) == restored_ids
    assert sorted(venue.working_order_ids()) == restored_ids

    # numbering goes on after the last journaled id
    used = max(int(c.rsplit("-", 1)[1]) for c in recovered.client_order_ids["grid"])
    fresh = strategy.ctx.submit_order(inst.id, OrderSide.BUY, Qty.of(1), dedup_key="after-restart")
    assert fresh.client_order_id == f"grid-{used + 1}"
    assert fresh.status != OrderStatus.DENIED

    # the same intent as an order that went out before the crash: refused, never sent
    again = strategy.ctx.submit_order(
        inst.id,
        OrderSide.BUY,
        Qty.of(1),
        order_type=OrderType.LIMIT,
        price=Price.parse("51"),
        dedup_key="grid-1",
    )
    assert again.status == OrderStatus.DENIED
    assert "'grid-1'" in again.reason and "not sent again" in again.reason
    assert again.client_order_id not in venue.working_order_ids()

    # a restored order trades on: a bar through its price fills it, on the same journal row
    bids = [o for o in recovered.open_orders if o.price is not None]
    lowest = min(bids, key=lambda o: o.price.raw if o.price is not None else 0)
    assert lowest.price is not None
    low = Price(lowest.price.raw - Price.parse("1").raw)
    top = Price.parse("100")
    kernel.on_bar(Bar.of(inst.id, time.time_ns(), top, top, low, top, Qty.of(10_000)))
    kernel.on_bar(Bar.of(inst.id, time.time_ns(), top, top, top, top, Qty.of(10_000)))
    assert kernel.order(lowest.client_order_id).status == OrderStatus.FILLED  # type: ignore[union-attr]
    journal.end_run()
    journal.close()
    with JournalReader(journal_file) as reader:
        assert reader.integrity_check() == []
    import sqlite3

    with sqlite3.connect(journal_file) as conn:
        (status,) = conn.execute(
            "SELECT status FROM orders WHERE run_id = ? AND client_order_id = ?",
            (run_id, lowest.client_order_id),
        ).fetchone()
        assert status == "FILLED"
