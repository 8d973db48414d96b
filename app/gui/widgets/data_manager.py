"""The data manager: what data there is per instrument and period; import files (the CSV,
Lean and Parquet layouts of ``core.data``) and generate synthetic bars, off the GUI thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.data_store import Dataset, DataStore
from app.gui.formatting import timestamp
from app.gui.models.table import Column, RecordTableModel
from app.gui.runs import readable
from app.gui.widgets.table_view import FilteredTable
from core.data import LAYOUTS
from core.feeds import Series

PERIODS = (("1 minute", 60), ("5 minutes", 300), ("1 hour", 3600), ("1 day", 86_400))


class DataManager(QWidget):
    imported = Signal(str)  # a message: what was stored

    def __init__(self, store: DataStore, executor: object, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.executor = executor
        self.model = RecordTableModel(
            [
                Column("Instrument", lambda d: d.instrument_id),
                Column("Kind", lambda d: d.kind),
                Column("Period", lambda d: d.period_ns or 0, lambda d: d.period_text, True),
                Column("Rows", lambda d: d.rows, lambda d: f"{d.rows:,}", True),
                Column(
                    "First bar / tick",
                    lambda d: d.first_start,
                    lambda d: timestamp(d.first_start),
                    True,
                ),
                Column(
                    "Last bar / tick",
                    lambda d: d.last_start,
                    lambda d: timestamp(d.last_start),
                    True,
                ),
                Column("File", lambda d: str(d.path), tooltip=lambda d: str(d.path)),
            ],
            key=lambda d: d.key,
        )
        self.table = FilteredTable(self.model, fit=True)

        importing = QGroupBox("Import files")
        form = QFormLayout(importing)
        self.import_id = QLineEdit()
        self.import_id.setPlaceholderText("from the file name (orcl_daily… → ORCL.SIM)")
        self.import_id.setToolTip("Instrument id SYMBOL.VENUE for the imported data")
        self.layout_box = QComboBox()
        self.layout_box.addItem("detect", "auto")
        for name in LAYOUTS:
            self.layout_box.addItem(name, name)
        self.layout_box.setToolTip("File layout, when it cannot be detected from the file")
        self.import_button = QPushButton("Import CSV / Parquet / Lean zip…")
        self.import_button.clicked.connect(self._on_import_button_clicked)
        form.addRow("Instrument", self.import_id)
        form.addRow("Layout", self.layout_box)
        form.addRow(self.import_button)

        generating = QGroupBox("Generate synthetic bars")
        gform = QFormLayout(generating)
        self.gen_id = QLineEdit("SYN2.SIM")
        self.gen_bars = QSpinBox()
        self.gen_bars.setRange(2, 5_000_000)
        self.gen_bars.setValue(10_000)
        self.gen_bars.setGroupSeparatorShown(True)
        self.gen_period = QComboBox()
        for text, seconds in PERIODS:
            self.gen_period.addItem(text, seconds)
        self.gen_seed = QSpinBox()
        self.gen_seed.setRange(0, 2**31 - 1)
        self.gen_seed.setValue(7)
        self.gen_price = QLineEdit("100")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self._on_generate_button_clicked)
        for label, widget in (
            ("Instrument", self.gen_id),
            ("Bars", self.gen_bars),
            ("Period", self.gen_period),
            ("Seed", self.gen_seed),
            ("Start price", self.gen_price),
        ):
            gform.addRow(label, widget)
        gform.addRow(self.generate_button)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side = QVBoxLayout()
        side.addWidget(importing)
        side.addWidget(generating)
        side.addWidget(self.busy)
        side.addWidget(self.message)
        side.addStretch(1)
        folder = QLabel(f"Catalog: {store.root}")
        folder.setProperty("role", "hint")
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(folder)
        box = QHBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addLayout(left, 3)
        box.addLayout(side, 1)
        store.changed.connect(self._on_store_changed)
        self._on_store_changed()
        self._task: asyncio.Future[None] | None = None

    def _on_store_changed(self) -> None:
        self.model.set_rows(self.store.datasets)

    def selected(self) -> Dataset | None:
        row = self.table.table.selected_row()
        return row if isinstance(row, Dataset) else None

    # actions ------------------------------------------------------------------------------------
    def _on_import_button_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self,
            "Import market data (files of one instrument)",
            str(Path.home()),
            "Market data (*.csv *.txt *.zip *.parquet);;All files (*)",
        )
        if names:
            self.import_files([Path(n) for n in names])

    def import_files(self, paths: list[Path]) -> asyncio.Future[None]:
        instrument = self.import_id.text().strip() or None
        layout = str(self.layout_box.currentData())
        what = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
        return self._run(
            lambda: self.store.import_files(paths, instrument_id=instrument, layout=layout),
            f"Importing {what}…",
        )

    def _on_generate_button_clicked(self) -> None:
        self.generate()

    def generate(self) -> asyncio.Future[None]:
        bars = self.gen_bars.value()
        seed = self.gen_seed.value()
        iid = self.gen_id.text().strip()
        period = int(self.gen_period.currentData())
        price = self.gen_price.text().strip() or "100"
        return self._run(
            lambda: self.store.generate(
                bars=bars, seed=seed, instrument_id=iid, period_s=period, start_price=price
            ),
            f"Generating {bars:,} bars of {iid}…",
        )

    def _run(self, work: Callable[[], Series], doing: str) -> asyncio.Future[None]:
        self._set_busy(True, doing)
        self._task = asyncio.ensure_future(self._work(work))
        return self._task

    def shutdown(self) -> None:
        """The window is closing: an import or generation not yet started is dropped."""
        if self._task is not None:
            self._task.cancel()

    async def _work(self, work: Callable[[], Series]) -> None:
        loop = asyncio.get_running_loop()
        try:
            series = await loop.run_in_executor(self.executor, work)  # type: ignore[arg-type]
        except Exception as exc:
            self._set_busy(False, f"Not stored: {readable(exc)}", error=True)
            return
        self.store.refresh()
        text = (
            f"Stored {len(series):,} rows of {series.instrument_id}"
            f" ({type(series).__name__.replace('Series', '').lower()})."
        )
        self._set_busy(False, text)
        self.imported.emit(text)

    def _set_busy(self, busy: bool, text: str, *, error: bool = False) -> None:
        self.busy.setVisible(busy)
        for button in (self.import_button, self.generate_button):
            button.setEnabled(not busy)
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "hint")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
