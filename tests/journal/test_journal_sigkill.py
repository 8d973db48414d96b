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
