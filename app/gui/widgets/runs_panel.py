"""Running strategies: each run's mode, state and progress; the one-click mode switch
(Backtest | Paper | Live); stop; and a faulted strategy's error and traceback."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.models.table import Column, RecordTableModel
from app.gui.runs import LIVE_RUNNING, REPLAYING, STATE_TEXT, StrategyRun
from app.gui.theme import Theme
from app.gui.widgets.table_view import TableView
from app.gui.workspace import Workspace
from core.session import BACKTEST, LIVE, PAPER
from venues.alpaca import BrokerConfig, BrokerConfigError, configured_broker, no_broker_message


def broker_or_reason() -> tuple[BrokerConfig | None, str]:
    """The configured broker, or why there is none usable (read at each look: the trader may
    have just written the file)."""
    try:
        broker = configured_broker()
    except BrokerConfigError as exc:
        return None, f"the broker file is wrong: {exc}"
    if broker is None:
        return None, no_broker_message()
    return broker, ""


def live_warning(run: StrategyRun, broker: BrokerConfig) -> str:
    return (
        f"Switch {run.run_id} to LIVE trading?\n\n"
        f"Its orders go to {broker.name} at {broker.trading_url} (key {broker.key_id}): real "
        f"orders in that account. Working orders on the simulated venue are canceled; a "
        f"strategy holding a simulated position must be flat first.\n\n"
        f"The kill switch (Ctrl+Shift+K) halts it at once."
    )


def _progress_text(run: StrategyRun) -> str:
    done, total = run.progress
    if run.state == REPLAYING and total:
        return f"{done / total:.0%}"
    return STATE_TEXT.get(run.state, run.state)


class RunsPanel(QWidget):
    run_selected = Signal(object)  # StrategyRun | None

    def __init__(self, workspace: Workspace, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.theme = theme
        self.model = RecordTableModel(
            [
                Column("Strategy", lambda r: r.run_id, tooltip=lambda r: r.describe()),
                Column("Template", lambda r: r.spec.name),
                Column("Data", lambda r: ", ".join(r.dataset_labels)),
                Column("Mode", lambda r: r.mode),
                Column("State", lambda r: r.state, lambda r: _progress_text(r)),
                Column(
                    "Strategy status",
                    lambda r: r.status,
                    color=lambda r: self.theme.fault if r.status == "FAULTED" else None,
                    tooltip=lambda r: r.fault.error if r.fault is not None else r.status,
                ),
                Column("Error", lambda r: r.error, tooltip=lambda r: r.error),
            ],
            key=lambda r: r.run_id,
        )
        self.table = TableView(self.model, fit=True)
        self.table.row_activated.connect(self._on_table_row_activated)

        self.mode_buttons = QButtonGroup(self)
        self.mode_buttons.setExclusive(True)
        self.backtest_button = QPushButton("Backtest")
        self.paper_button = QPushButton("Paper")
        self.live_button = QPushButton("Live")
        for i, button in enumerate((self.backtest_button, self.paper_button, self.live_button)):
            button.setCheckable(True)
            button.setProperty("mode", "true")
            self.mode_buttons.addButton(button, i)
        self.backtest_button.setToolTip("Where every strategy starts: replaying history")
        self.paper_button.clicked.connect(self._on_paper_button_clicked)
        self.live_button.clicked.connect(self._on_live_button_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Cancel the backtest, or end paper trading (on_stop runs)")
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.mode_reason = QLabel()
        self.mode_reason.setProperty("role", "hint")
        self.mode_reason.setWordWrap(True)
        switch = QHBoxLayout()
        switch.addWidget(QLabel("Mode:"))
        for button in (self.backtest_button, self.paper_button, self.live_button):
            switch.addWidget(button)
        switch.addSpacing(12)
        switch.addWidget(self.stop_button)
        switch.addStretch(1)

        self.fault_title = QLabel()
        self.fault_title.setProperty("role", "fault")
        self.fault_title.setWordWrap(True)
        self.fault_text = QPlainTextEdit()
        self.fault_text.setReadOnly(True)
        self.fault_text.setMaximumHeight(140)
        self.fault_title.hide()
        self.fault_text.hide()

        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(self.table, 1)
        box.addLayout(switch)
        box.addWidget(self.mode_reason)
        box.addWidget(self.fault_title)
        box.addWidget(self.fault_text)
        self.current: StrategyRun | None = None
        self._stopping: asyncio.Future[None] | None = None
        workspace.run_added.connect(self._on_workspace_run_added)
        workspace.run_changed.connect(self._on_workspace_run_changed)
        self._update_controls()

    # rows ---------------------------------------------------------------------------------------
    def _on_workspace_run_added(self, run: StrategyRun) -> None:
        self.model.upsert([run])
        self.select(run)

    def _on_workspace_run_changed(self, run: StrategyRun) -> None:
        self.model.upsert([run])
        if run is self.current:
            self._update_controls()

    def refresh(self) -> None:
        """Once per frame: progress moves without a change signal."""
        if any(r.busy for r in self.model.rows):
            self.model.upsert(self.model.rows)

    def select(self, run: StrategyRun) -> None:
        for row in range(self.table.proxy.rowCount()):
            if self.table.proxy.source_row(row) is run:
                self.table.selectRow(row)
                break
        self._set_current(run)

    def _on_table_row_activated(self, run: StrategyRun) -> None:
        self._set_current(run)

    def _set_current(self, run: StrategyRun | None) -> None:
        if run is self.current:
            return
        self.current = run
        self._update_controls()
        self.run_selected.emit(run)

    # controls -----------------------------------------------------------------------------------
    def _update_controls(self) -> None:
        run = self.current
        has = run is not None
        for button in (self.backtest_button, self.paper_button, self.live_button, self.stop_button):
            button.setEnabled(has)
        if run is None:
            self.mode_reason.setText("Start a strategy in the strategy manager.")
            self.fault_title.hide()
            self.fault_text.hide()
            return
        {BACKTEST: self.backtest_button, PAPER: self.paper_button, LIVE: self.live_button}[
            run.mode
        ].setChecked(True)
        paper_reason = run.paper_unavailable_reason()
        self.paper_button.setEnabled(run.mode == PAPER or not paper_reason)
        self.paper_button.setToolTip(
            "Trade on in real time with simulated fills: same strategy object, state, "
            "positions and working orders"
            + (f"\n(not now: {paper_reason})" if paper_reason else "")
        )
        self.backtest_button.setEnabled(run.mode == BACKTEST)
        self.stop_button.setEnabled(run.busy)
        broker, no_broker = broker_or_reason()
        live_reason = no_broker or run.live_unavailable_reason()
        self.live_button.setEnabled(run.mode == LIVE or not live_reason)
        if broker is None:
            self.live_button.setToolTip(f"Live is off: {no_broker}")
        else:
            self.live_button.setToolTip(
                f"Trade at {broker.name} ({broker.trading_url}) after you confirm"
                + (f"\n(not now: {live_reason})" if live_reason else "")
            )
        notes = []
        if run.error:
            notes.append(run.error)
        if run.mode == BACKTEST and paper_reason:
            notes.append(f"Paper is not available: {paper_reason}.")
        if broker is None:
            notes.append(f"Live is off: {no_broker}.")
        elif run.state == LIVE_RUNNING:
            notes.append(f"LIVE at {broker.name}: orders go to {broker.trading_url}.")
        self.mode_reason.setText(" ".join(notes))
        fault = run.fault
        self.fault_title.setVisible(fault is not None)
        self.fault_text.setVisible(fault is not None)
        if fault is not None:
            self.fault_title.setText(
                f"{run.run_id} FAULTED and was halted (its orders canceled, positions kept): "
                f"{fault.error}"
            )
            self.fault_text.setPlainText(fault.traceback)

    def _on_paper_button_clicked(self) -> None:
        run = self.current
        if run is None or run.mode == PAPER:
            return
        try:
            run.switch_to_paper()
        except RuntimeError as exc:
            self.mode_reason.setText(str(exc))
        self._update_controls()

    def _on_live_button_clicked(self) -> None:
        run = self.current
        if run is None or run.mode == LIVE:
            self._update_controls()
            return
        broker, no_broker = broker_or_reason()
        reason = no_broker or run.live_unavailable_reason()
        if broker is None or reason:
            self._update_controls()
            self.mode_reason.setText(f"{run.run_id} cannot go live: {reason}")
            return
        self._update_controls()  # the click checked Live: not before the trader says yes
        answer = QMessageBox.warning(
            self,
            "Go live",
            live_warning(run, broker),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            run.error = ""
            try:  # the run may have moved on while the question was open
                run.switch_to_live(broker)
            except RuntimeError as exc:
                run.error = str(exc)
        self._update_controls()

    def _on_stop_button_clicked(self) -> None:
        run = self.current
        if run is not None:
            self._stopping = asyncio.ensure_future(run.stop())
