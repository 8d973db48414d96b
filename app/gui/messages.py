"""What runs post on the bridge besides engine events: progress, snapshots, plot samples, notes.

All immutable, built on the thread that owns the kernel at the moment it is quiet (between
replay slices, or on the GUI thread in paper mode), so widgets never touch the engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PositionView:
    strategy_id: str
    instrument_id: str
    signed_qty_raw: int
    avg_px_raw: int
    mark_raw: int | None
    unrealized_raw: int
    realized_raw: int
    currency: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """A strategy's account (the account blotter's TOTAL row is one too, ``strategy_id``
    "TOTAL")."""

    strategy_id: str
    mode: str
    status: str
    currency: str
    allocation_raw: int
    cash_raw: int
    equity_raw: int
    realized_raw: int
    unrealized_raw: int
    fees_raw: int

    @property
    def net_raw(self) -> int:
        """What the strategy made after fees: equity less what it was given."""
        return self.equity_raw - self.allocation_raw


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    """Accounts and positions of one run's kernel at event time ``ts``."""

    run_id: str
    ts: int
    accounts: tuple[AccountView, ...]
    positions: tuple[PositionView, ...]


@dataclass(frozen=True, slots=True)
class PlotSamples:
    """New samples of one ``ctx.plot`` line since the last message."""

    name: str
    instrument_id: str
    ts: list[int]
    values: list[float]


@dataclass(frozen=True, slots=True)
class ReplayProgress:
    run_id: str
    done: int
    total: int
    ts: int
    plots: tuple[PlotSamples, ...]
    snapshot: EngineSnapshot


@dataclass(frozen=True, slots=True)
class AppNote:
    """A line for the log blotter from the workstation itself (a run failed, data imported)."""

    ts: int  # wall clock, ns
    source: str
    level: str
    text: str
