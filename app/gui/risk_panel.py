"""The risk panel: the kill switch, each strategy's trading state, allocation, limits, breakers
and drawdown gauge, and the risk blotter.

Every action goes through the run's ``kernel.control`` (``core.riskctl``) in the thread that
drives that kernel (``StrategyRun.in_engine``), so it is an engine event: the journal records it
with who and why, the strategy hears of it, the blotter shows it. The desk keeps what the trader
set per strategy and applies it again to a run that starts over (a replay scrubbed backwards
builds a fresh kernel), and to runs started while the kill switch is tripped.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.bridge import RiskUpdate
from app.gui.formatting import money, timestamp
from app.gui.models.blotters import Blotter
from app.gui.models.table import Column
from app.gui.runs import StrategyRun
from app.gui.theme import Theme
from app.gui.workspace import Workspace
from core.enums import TradingState
from core.events import (
    BreakerTripped,
    KillSwitchChanged,
    OrderRiskDecision,
    RiskConfigChanged,
    TradingStateChanged,
)
from core.kernel import Kernel
from core.riskconfig import RiskConfigError, build_breaker, build_rule, parse_amount
from core.riskctl import RiskControlError

KILL_SHORTCUT = "Ctrl+Shift+K"
DRAWDOWN_BREAKER = "panel-drawdown"  # the total-drawdown breaker the panel edits per strategy
REFRESH_MS = 250

Index = QModelIndex | QPersistentModelIndex


@dataclass
class StrategyLimits:
    """What the trader set for one strategy in the panel (text as typed, validated)."""

    allocation: str = ""
    max_order_qty: str = ""
    max_position: str = ""
    max_drawdown_pct: str = ""
    state: int = TradingState.ACTIVE
    state_reason: str = ""


@dataclass(frozen=True)
class StrategyRisk:
    """One row of the panel: a strategy's risk as its kernel holds it right now."""

    run_id: str
    mode: str
    state: str
    currency: str
    allocation_raw: int
    equity_raw: int
    committed_raw: int
    max_order_qty: str
    max_position: str
    max_drawdown_pct: str
    drawdown_raw: int  # from the peak, for the panel's breaker (0 without one)
    allowed_raw: int  # the breaker's allowed drawdown at the current peak (0: none)
    breakers: str = field(default="")


def _rule_limit(kernel: Kernel, name: str) -> str:
    rule = kernel.risk.rule(name)
    if rule is None:
        return ""
    qty = getattr(rule, "max_qty", None)
    return "" if qty is None else str(qty)


def read_risk(run: StrategyRun) -> StrategyRisk:
    kernel = run.session.kernel
    control = kernel.control
    account = kernel.record(run.run_id).account
    portfolio = kernel.portfolio
    marks = portfolio.marks
    panel_breaker = next((b for b in control.breakers if b.name == DRAWDOWN_BREAKER), None)
    tripped = [b.name for b in control.breakers if b.tripped]
    return StrategyRisk(
        run_id=run.run_id,
        mode=run.mode,
        state=control.state_name(run.run_id),
        currency=account.currency,
        allocation_raw=account.allocation_raw,
        equity_raw=account.equity_raw(marks),
        committed_raw=account.committed_raw(marks),
        max_order_qty=_rule_limit(kernel, "max_order_qty"),
        max_position=_rule_limit(kernel, "max_position"),
        max_drawdown_pct=("" if panel_breaker is None else f"{panel_breaker.limit_bps / 100:g}"),
        drawdown_raw=0 if panel_breaker is None else max(panel_breaker.drawdown_raw(), 0),
        allowed_raw=0 if panel_breaker is None else panel_breaker.allowed_raw,
        breakers=", ".join(f"{name} TRIPPED" for name in tripped) or "armed",
    )


class RiskDesk(QObject):
    """The panel's controller: kill switch, states and limits across every run."""

    changed = Signal()

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.who = getpass.getuser() or "trader"
        self.killed = False
        self.kill_reason = ""
        self.killed_at = 0.0
        self.limits: dict[str, StrategyLimits] = {}
        workspace.run_added.connect(self._on_run)
        workspace.run_restarted.connect(self._on_run)

    def runs(self) -> list[StrategyRun]:
        return list(self.workspace.runs.values())

    # the kill switch ------------------------------------------------------------------------
    def kill(self, reason: str = "kill switch pressed") -> None:
        """Halt every strategy and cancel every working order, at once, no questions."""
        self.killed = True
        self.kill_reason = reason
        self.killed_at = time.time()
        for run in self.runs():
            run.in_engine(self._kill_action(reason))
        self.changed.emit()

    def _kill_action(self, reason: str) -> Callable[[Kernel], object]:
        who = self.who

        def act(kernel: Kernel) -> None:
            if not kernel.control.killed:
                kernel.control.kill(who, reason)

        return act

    def reset_kill(self, reason: str) -> None:
        if not reason.strip():
            raise RiskControlError("say why the kill switch is reset (it is journaled)")
        who = self.who
        self.killed = False
        self.kill_reason = ""

        def act(kernel: Kernel) -> None:
            if kernel.control.killed:
                kernel.control.reset_kill(who, reason)

        for run in self.runs():
            run.in_engine(act)
        self.changed.emit()

    # states and limits ----------------------------------------------------------------------
    def set_state(self, run_id: str, state: int, reason: str) -> None:
        limits = self.limits.setdefault(run_id, StrategyLimits())
        limits.state = state
        limits.state_reason = reason
        who = self.who
        self._run(run_id).in_engine(lambda k: k.control.set_state(run_id, state, who, reason))
        self.changed.emit()

    def set_limit(self, run_id: str, name: str, text: str) -> None:
        """Validate and apply one limit typed in the panel (ValueError says what is wrong)."""
        run = self._run(run_id)
        text = text.strip()
        action = self._limit_action(run, name, text)  # raises before anything changes
        setattr(self.limits.setdefault(run_id, StrategyLimits()), name, text)
        run.in_engine(action)
        self.changed.emit()

    def _limit_action(self, run: StrategyRun, name: str, text: str) -> Callable[[Kernel], object]:
        kernel = run.session.kernel
        currency = kernel.record(run.run_id).account.currency
        who, why, sid = self.who, "set in the risk panel", run.run_id
        where = f"{name.replace('_', ' ')} of {sid}"
        try:
            if name == "allocation":
                amount = parse_amount(text, currency, where)
                return lambda k: k.control.set_allocation(sid, amount, who, why)
            if name in ("max_order_qty", "max_position"):
                if not text:
                    return lambda k: _remove_rule(k, name, who, why)
                rule = build_rule({"type": name, "max_qty": text}, currency, where)
                return lambda k: k.control.set_rule(rule, who, why)
            if name == "max_drawdown_pct":
                if not text:
                    return lambda k: _remove_breaker(k, who, why)
                settings = {"name": DRAWDOWN_BREAKER, "strategy": sid}
                settings.update({"max_drawdown_pct": text, "action": "halt"})
                breaker = build_breaker(settings, currency, where)
                return lambda k: k.control.set_breaker(breaker, who, why)
        except RiskConfigError as exc:
            raise ValueError(str(exc).replace("breaker panel-drawdown", where)) from None
        raise ValueError(f"unknown limit {name}")

    def _run(self, run_id: str) -> StrategyRun:
        run = self.workspace.runs.get(run_id)
        if run is None:
            raise ValueError(f"no strategy {run_id} is running")
        return run

    def _on_run(self, run: StrategyRun) -> None:
        """A new run, or a run that starts over: it gets what the panel holds."""
        limits = self.limits.get(run.run_id)
        if limits is not None:
            for name in ("allocation", "max_order_qty", "max_position", "max_drawdown_pct"):
                text = getattr(limits, name)
                if text:
                    run.in_engine(self._limit_action(run, name, text))
            if limits.state != TradingState.ACTIVE:
                state, reason, who = limits.state, limits.state_reason, self.who
                run.in_engine(lambda k: k.control.set_state(run.run_id, state, who, reason))
        if self.killed:
            run.in_engine(self._kill_action(self.kill_reason))
        self.changed.emit()


def _remove_rule(kernel: Kernel, name: str, who: str, why: str) -> None:
    if kernel.risk.rule(name) is not None:
        kernel.control.remove_rule(name, who, why)


def _remove_breaker(kernel: Kernel, who: str, why: str) -> None:
    if any(b.name == DRAWDOWN_BREAKER for b in kernel.control.breakers):
        kernel.control.remove_breaker(DRAWDOWN_BREAKER, who, why)


# the table -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Col:
    title: str
    text: Callable[[StrategyRisk], str]
    limit: str = ""  # the limit an edit sets ("" : read only)


COLUMNS = (
    _Col("Strategy", lambda r: r.run_id),
    _Col("Mode", lambda r: r.mode),
    _Col("State", lambda r: r.state),
    _Col("Allocation", lambda r: money(r.allocation_raw, r.currency), "allocation"),
    _Col("Committed", lambda r: money(r.committed_raw, r.currency)),
    _Col("Equity", lambda r: money(r.equity_raw, r.currency)),
    _Col("Max order qty", lambda r: r.max_order_qty, "max_order_qty"),
    _Col("Max position", lambda r: r.max_position, "max_position"),
    _Col("Max drawdown %", lambda r: r.max_drawdown_pct, "max_drawdown_pct"),
    _Col("Drawdown", lambda r: money(r.drawdown_raw, r.currency) if r.allowed_raw else ""),
    _Col("Breakers", lambda r: r.breakers),
)
DRAWDOWN_COLUMN = 9
STATE_COLUMN = 2


class RiskTableModel(QAbstractTableModel):
    """One row per strategy; the limit columns are edited in place and validated."""

    error = Signal(str)

    def __init__(self, desk: RiskDesk, theme: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.theme = theme
        self.rows: list[StrategyRisk] = []

    def refresh(self) -> None:
        rows = [read_risk(run) for run in self.desk.runs()]
        if [r.run_id for r in rows] != [r.run_id for r in self.rows]:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
        else:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        tooltip = orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole
        if tooltip and COLUMNS[section].limit:
            return "Double-click to edit; empty removes the limit."
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if COLUMNS[index.column()].limit else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.EditRole:
            if col.limit == "allocation":
                return money(row.allocation_raw).replace(",", "")
            return col.text(row)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == STATE_COLUMN:
            colors = {"HALTED": self.theme.negative, "REDUCING": "#d29922"}
            color = colors.get(row.state, self.theme.positive)
            return QColor(color)
        if role == Qt.ItemDataRole.UserRole and index.column() == DRAWDOWN_COLUMN:
            return 0.0 if not row.allowed_raw else min(row.drawdown_raw / row.allowed_raw, 1.0)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        limit = COLUMNS[index.column()].limit
        if role != Qt.ItemDataRole.EditRole or not limit:
            return False
        try:
            self.desk.set_limit(self.rows[index.row()].run_id, limit, str(value))
        except (ValueError, RiskControlError) as exc:
            self.error.emit(str(exc))
            return False
        self.error.emit("")
        self.refresh()
        return True


class DrawdownGauge(QStyledItemDelegate):
    """The drawdown cell as a bar: how much of the allowed drawdown is used (green to red)."""

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        used = float(index.data(Qt.ItemDataRole.UserRole) or 0.0)
        rect = QRect(option.rect)  # type: ignore[attr-defined]
        if used > 0:
            width = int((rect.width() - 4) * used)
            bar = QRect(rect.x() + 2, rect.y() + 3, width, rect.height() - 6)
            theme = self.theme
            color = theme.positive if used < 0.5 else "#d29922" if used < 0.8 else theme.negative
            painter.fillRect(bar, QColor(color))
        super().paint(painter, option, index)


# the blotter -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RiskRow:
    ts: int
    strategy_id: str
    kind: str
    text: str


def _risk_row(message: OrderRiskDecision | RiskUpdate) -> RiskRow | None:
    if isinstance(message, OrderRiskDecision):
        if message.decision == "approved":
            return None  # every order has one: the orders blotter shows those
        return RiskRow(message.ts_event, message.strategy_id, message.decision, message.describe())
    event = message.event
    if isinstance(event, KillSwitchChanged):
        return RiskRow(event.ts_event, message.strategies, "kill switch", event.describe())
    if isinstance(event, TradingStateChanged | BreakerTripped | RiskConfigChanged):
        kind = {
            TradingStateChanged: "state",
            BreakerTripped: "breaker",
            RiskConfigChanged: "setting",
        }[type(event)]
        return RiskRow(event.ts_event, event.scope or message.strategies, kind, event.describe())
    return None


class RiskBlotter(Blotter):
    title = "Risk"
    consumes = (OrderRiskDecision, RiskUpdate)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        columns = [
            Column("Time", lambda r: r.ts, lambda r: timestamp(r.ts), numeric=True),
            Column("Strategy", lambda r: r.strategy_id),
            Column("Kind", lambda r: r.kind, color=self._kind_color),
            Column("What", lambda r: r.text, tooltip=lambda r: r.text),
        ]
        super().__init__(columns, theme, parent=parent)

    def on_messages(self, batch: list[Any]) -> None:
        rows = [row for row in (_risk_row(e) for e in batch) if row is not None]
        if rows:
            self.append(rows)

    def _kind_color(self, row: RiskRow) -> str | None:
        if row.kind in ("denied", "kill switch", "breaker"):
            return self.theme.negative
        return None


# the panel -------------------------------------------------------------------------------------
class RiskPanel(QWidget):
    """Kill switch on top, the strategies' risk table below, state buttons for the selection."""

    def __init__(self, desk: RiskDesk, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)

        self.kill_button = QPushButton("KILL SWITCH")
        self.kill_button.setObjectName("killSwitch")
        self.kill_button.setMinimumHeight(56)
        self.kill_button.setToolTip(
            f"Halt every strategy and cancel every working order now ({KILL_SHORTCUT})"
        )
        self.kill_button.setStyleSheet(
            "QPushButton#killSwitch { background: #b3261e; color: white; font-size: 20px;"
            " font-weight: bold; border-radius: 6px; }"
            "QPushButton#killSwitch:disabled { background: #5c1a16; color: #e6b8b4; }"
        )
        self.kill_button.clicked.connect(lambda: self.desk.kill())
        self.shortcut = QShortcut(QKeySequence(KILL_SHORTCUT), self)
        self.shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.shortcut.activated.connect(lambda: self.desk.kill("kill switch shortcut"))
        box.addWidget(self.kill_button)

        status_row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.reset_button = QPushButton("Reset kill switch…")
        self.reset_button.clicked.connect(self.ask_reset)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.reset_button)
        box.addLayout(status_row)

        self.model = RiskTableModel(desk, theme, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(DRAWDOWN_COLUMN, DrawdownGauge(theme, self.table))
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        box.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.halt_button = QPushButton("Halt")
        self.reduce_button = QPushButton("Reduce only")
        self.activate_button = QPushButton("Activate")
        for button, state in (
            (self.halt_button, TradingState.HALTED),
            (self.reduce_button, TradingState.REDUCING),
            (self.activate_button, TradingState.ACTIVE),
        ):
            button.clicked.connect(lambda _=False, s=state: self._set_selected_state(s))
            buttons.addWidget(button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        box.addWidget(self.message)
        self.model.error.connect(self.message.setText)

        desk.changed.connect(self.refresh)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        desk = self.desk
        if desk.killed:
            self.status.setText(f"KILL SWITCH TRIPPED by {desk.who}: {desk.kill_reason}")
        else:
            self.status.setText("Kill switch armed: every strategy may trade within its limits.")
        self.kill_button.setEnabled(not desk.killed)
        self.reset_button.setEnabled(desk.killed)
        self.model.refresh()

    def selected_run_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()].run_id if rows else None

    def _set_selected_state(self, state: int) -> None:
        run_id = self.selected_run_id()
        if run_id is None:
            self.message.setText("Select a strategy first.")
            return
        name = TradingState.NAMES[state].lower()
        try:
            self.desk.set_state(run_id, state, f"set to {name} in the risk panel")
        except (ValueError, KeyError, RiskControlError) as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")

    def ask_reset(self) -> None:
        """Resetting asks for confirmation: the reason typed is journaled with who reset it."""
        reason, ok = QInputDialog.getText(
            self,
            "Reset the kill switch",
            "Trading resumes for every strategy within its limits.\nWhy is it safe now?",
            QLineEdit.EchoMode.Normal,
        )
        if not ok:
            return
        try:
            self.desk.reset_kill(reason)
        except RiskControlError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
