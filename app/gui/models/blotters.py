"""The blotters: orders, fills, positions, accounts and the log, each a small model.

Each model declares its columns and the bridge messages it consumes (``BLOTTER.subscribe``). A
new blotter (the risk engine's decisions, say) is one more class like these: a column list and
an ``on_messages`` that turns messages into rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from app.gui.bridge import EngineBridge, OrderUpdate, OrderView
from app.gui.formatting import fixed, money, timestamp
from app.gui.messages import AccountView, AppNote, EngineSnapshot, PositionView, ReplayProgress
from app.gui.models.table import Column, RecordTableModel
from app.gui.theme import Theme
from core.enums import Liquidity
from core.events import OrderFilled, StrategyFaulted, StrategyLogged

MAX_BLOTTER_ROWS = 20_000  # per blotter; the journal keeps every row


class Blotter(RecordTableModel):
    """A table model fed by the bridge."""

    title = ""
    consumes: tuple[type, ...] = ()

    def __init__(
        self,
        columns: Sequence[Column],
        theme: Theme,
        *,
        key: Any = None,
        max_rows: int = MAX_BLOTTER_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(columns, key=key, max_rows=max_rows, parent=parent)
        self.theme = theme

    def subscribe(self, bridge: EngineBridge) -> None:
        for kind in self.consumes:
            bridge.subscribe(kind, self.on_messages)

    def on_messages(self, batch: list[Any]) -> None:
        raise NotImplementedError

    def forget_run(self, run_id: str) -> None:
        """Drop the rows of a run that starts over (a replay scrubbed backwards)."""
        self.remove_where(lambda row: getattr(row, "strategy_id", None) == run_id)

    def _pnl_color(self, raw: int) -> str | None:
        if raw > 0:
            return self.theme.positive
        if raw < 0:
            return self.theme.negative
        return None


class OrdersBlotter(Blotter):
    title = "Orders"
    consumes = (OrderUpdate,)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        columns = [
            Column("Time", lambda o: o.ts_last, lambda o: timestamp(o.ts_last), numeric=True),
            Column("Strategy", lambda o: o.strategy_id),
            Column("Order", lambda o: o.client_order_id),
            Column("Instrument", lambda o: o.instrument_id),
            Column("Side", lambda o: o.side, color=self._side_color),
            Column("Type", lambda o: o.order_type),
            Column("Qty", lambda o: o.qty_raw, lambda o: fixed(o.qty_raw), numeric=True),
            Column("Price", lambda o: o.price_raw, lambda o: fixed(o.price_raw), numeric=True),
            Column(
                "Trigger", lambda o: o.trigger_raw, lambda o: fixed(o.trigger_raw), numeric=True
            ),
            Column("Filled", lambda o: o.filled_raw, lambda o: fixed(o.filled_raw), numeric=True),
            Column(
                "Avg price", lambda o: o.avg_px_raw, lambda o: fixed(o.avg_px_raw), numeric=True
            ),
            Column("Status", lambda o: o.status, color=self._status_color),
            Column("Reason", lambda o: o.reason, tooltip=lambda o: o.reason),
        ]
        super().__init__(columns, theme, key=lambda o: o.client_order_id, parent=parent)

    def on_messages(self, batch: list[OrderUpdate]) -> None:
        views: list[OrderView] = [u.order for u in batch if u.order is not None]
        self.upsert(views)

    def _side_color(self, o: OrderView) -> str:
        return self.theme.buy if o.side == "BUY" else self.theme.sell

    def _status_color(self, o: OrderView) -> str | None:
        if o.status in ("DENIED", "REJECTED"):
            return self.theme.negative
        if o.status == "FILLED":
            return self.theme.positive
        return None


@dataclass(frozen=True, slots=True)
class FillRow:
    strategy_id: str
    client_order_id: str
    instrument_id: str
    trade_id: str
    side: str
    qty_raw: int
    px_raw: int
    fee_raw: int
    fee_currency: str
    liquidity: str
    ts: int


class FillsBlotter(Blotter):
    title = "Fills"
    consumes = (OrderUpdate,)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        columns = [
            Column("Time", lambda f: f.ts, lambda f: timestamp(f.ts), numeric=True),
            Column("Strategy", lambda f: f.strategy_id),
            Column("Order", lambda f: f.client_order_id),
            Column("Instrument", lambda f: f.instrument_id),
            Column(
                "Side",
                lambda f: f.side,
                color=lambda f: self.theme.buy if f.side == "BUY" else self.theme.sell,
            ),
            Column("Qty", lambda f: f.qty_raw, lambda f: fixed(f.qty_raw), numeric=True),
            Column("Price", lambda f: f.px_raw, lambda f: fixed(f.px_raw), numeric=True),
            Column(
                "Fee", lambda f: f.fee_raw, lambda f: money(f.fee_raw, f.fee_currency), numeric=True
            ),
            Column("Liquidity", lambda f: f.liquidity),
            Column("Trade", lambda f: f.trade_id),
        ]
        super().__init__(columns, theme, parent=parent)

    def on_messages(self, batch: list[OrderUpdate]) -> None:
        rows = []
        for update in batch:
            fill = update.event
            if isinstance(fill, OrderFilled):
                rows.append(
                    FillRow(
                        strategy_id=fill.strategy_id,
                        client_order_id=fill.client_order_id,
                        instrument_id=fill.instrument_id,
                        trade_id=fill.trade_id,
                        side="BUY" if fill.side > 0 else "SELL",
                        qty_raw=fill.last_qty.raw,
                        px_raw=fill.last_px.raw,
                        fee_raw=fill.fee.raw,
                        fee_currency=fill.fee.currency,
                        liquidity=Liquidity.NAMES.get(fill.liquidity, str(fill.liquidity)),
                        ts=fill.ts_event,
                    )
                )
        self.append(rows)


def _latest_snapshots(batch: list[Any]) -> list[EngineSnapshot]:
    """The newest snapshot of each run in the batch."""
    latest: dict[str, EngineSnapshot] = {}
    for message in batch:
        snapshot = message.snapshot if isinstance(message, ReplayProgress) else message
        latest[snapshot.run_id] = snapshot
    return list(latest.values())


class PositionsBlotter(Blotter):
    title = "Positions"
    consumes = (ReplayProgress, EngineSnapshot)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        columns = [
            Column("Strategy", lambda p: p.strategy_id),
            Column("Instrument", lambda p: p.instrument_id),
            Column(
                "Position",
                lambda p: p.signed_qty_raw,
                lambda p: "FLAT" if p.signed_qty_raw == 0 else fixed(p.signed_qty_raw),
                numeric=True,
                color=lambda p: self._pnl_color(p.signed_qty_raw),
            ),
            Column(
                "Avg price",
                lambda p: p.avg_px_raw,
                lambda p: fixed(p.avg_px_raw) if p.signed_qty_raw else "",
                numeric=True,
            ),
            Column("Mark", lambda p: p.mark_raw, lambda p: fixed(p.mark_raw), numeric=True),
            Column(
                "Unrealized",
                lambda p: p.unrealized_raw,
                lambda p: money(p.unrealized_raw, p.currency),
                numeric=True,
                color=lambda p: self._pnl_color(p.unrealized_raw),
            ),
            Column(
                "Realized",
                lambda p: p.realized_raw,
                lambda p: money(p.realized_raw, p.currency),
                numeric=True,
                color=lambda p: self._pnl_color(p.realized_raw),
            ),
        ]
        super().__init__(
            columns, theme, key=lambda p: (p.strategy_id, p.instrument_id), parent=parent
        )

    def on_messages(self, batch: list[Any]) -> None:
        rows: list[PositionView] = []
        for snapshot in _latest_snapshots(batch):
            rows.extend(snapshot.positions)
        self.upsert(rows)


TOTAL = "TOTAL"


class AccountsBlotter(Blotter):
    title = "Account"
    consumes = (ReplayProgress, EngineSnapshot)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        def pnl(name: str, attr: str) -> Column:
            return Column(
                name,
                lambda a: getattr(a, attr),
                lambda a: money(getattr(a, attr), a.currency),
                numeric=True,
                color=lambda a: self._pnl_color(getattr(a, attr)),
            )

        columns = [
            Column("Strategy", lambda a: a.strategy_id),
            Column("Mode", lambda a: a.mode),
            Column(
                "Status",
                lambda a: a.status,
                color=lambda a: self.theme.fault if a.status == "FAULTED" else None,
            ),
            Column("Cash", lambda a: a.cash_raw, lambda a: money(a.cash_raw, a.currency), True),
            Column(
                "Equity", lambda a: a.equity_raw, lambda a: money(a.equity_raw, a.currency), True
            ),
            pnl("Realized", "realized_raw"),
            pnl("Unrealized", "unrealized_raw"),
            Column("Fees", lambda a: a.fees_raw, lambda a: money(a.fees_raw, a.currency), True),
            pnl("Net PnL", "net_raw"),
        ]
        super().__init__(columns, theme, key=lambda a: a.strategy_id, parent=parent)
        self._accounts: dict[str, AccountView] = {}

    def on_messages(self, batch: list[Any]) -> None:
        for snapshot in _latest_snapshots(batch):
            for account in snapshot.accounts:
                self._accounts[account.strategy_id] = account
        rows = [*self._accounts.values(), self._total()]
        self.upsert(rows)

    def forget_run(self, run_id: str) -> None:
        self._accounts.pop(run_id, None)
        super().forget_run(run_id)

    def _total(self) -> AccountView:
        accounts = list(self._accounts.values())
        currencies = {a.currency for a in accounts}
        # totals add up one currency only; mixed accounts say so instead of summing
        currency = currencies.pop() if len(currencies) == 1 else "mixed"
        same = currency != "mixed"
        return AccountView(
            strategy_id=TOTAL,
            mode="",
            status=f"{len(accounts)} strategies",
            currency=currency,
            allocation_raw=sum(a.allocation_raw for a in accounts) if same else 0,
            cash_raw=sum(a.cash_raw for a in accounts) if same else 0,
            equity_raw=sum(a.equity_raw for a in accounts) if same else 0,
            realized_raw=sum(a.realized_raw for a in accounts) if same else 0,
            unrealized_raw=sum(a.unrealized_raw for a in accounts) if same else 0,
            fees_raw=sum(a.fees_raw for a in accounts) if same else 0,
        )


@dataclass(frozen=True, slots=True)
class LogRow:
    ts: int
    strategy_id: str
    level: str
    message: str
    detail: str  # a fault's traceback, shown as the tooltip


class LogBlotter(Blotter):
    title = "Log"
    consumes = (StrategyLogged, StrategyFaulted, AppNote)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        columns = [
            Column("Time", lambda r: r.ts, lambda r: timestamp(r.ts), numeric=True),
            Column("Source", lambda r: r.strategy_id),
            Column("Level", lambda r: r.level, color=self._level_color),
            Column("Message", lambda r: r.message, tooltip=lambda r: r.detail or r.message),
        ]
        super().__init__(columns, theme, parent=parent)

    def on_messages(self, batch: list[Any]) -> None:
        rows = []
        for m in batch:
            if isinstance(m, StrategyLogged):
                rows.append(LogRow(m.ts_event, m.strategy_id, m.level, m.message, ""))
            elif isinstance(m, StrategyFaulted):
                text = f"faulted and halted (orders canceled): {m.error}"
                rows.append(LogRow(m.ts_event, m.strategy_id, "FAULT", text, m.traceback))
            elif isinstance(m, AppNote):
                rows.append(LogRow(m.ts, m.source, m.level, m.text, ""))
        self.append(rows)

    def _level_color(self, r: LogRow) -> str | None:
        if r.level in ("ERROR", "FAULT"):
            return self.theme.negative
        if r.level == "WARNING":
            return self.theme.overlays[0]
        return None
