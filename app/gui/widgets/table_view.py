"""A sortable, filterable table over a ``RecordTableModel`` (the view of every blotter)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.models.table import FilterProxy, RecordTableModel


class TableView(QTableView):
    """Rows selected whole, compact, sorted by clicking a header."""

    row_activated = Signal(object)  # the source row value of the selected row

    def __init__(
        self, model: RecordTableModel, parent: QWidget | None = None, *, fit: bool = False
    ) -> None:
        """``fit``: columns always as wide as their contents (tables of a few rows)."""
        super().__init__(parent)
        self.source = model
        self.proxy = FilterProxy(model, self)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # arrival order until a click
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents if fit else QHeaderView.ResizeMode.Interactive
        )
        header.setDefaultSectionSize(96)
        header.setHighlightSections(False)
        header.setResizeContentsPrecision(32)  # measure a few rows, not thousands
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        # columns take the width of their contents once there are rows to measure
        self._sized = False
        model.rowsInserted.connect(self._size_columns_once)
        model.modelReset.connect(self._size_columns_once)

    def _size_columns_once(self, *_: object) -> None:
        if not self._sized and self.source.rowCount():
            self._sized = True
            self.resizeColumnsToContents()

    def _on_current_row_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid():
            self.row_activated.emit(self.proxy.source_row(current.row()))

    def selected_row(self) -> Any | None:
        index = self.currentIndex()
        return self.proxy.source_row(index.row()) if index.isValid() else None


class FilteredTable(QWidget):
    """A table with a filter box and a row count."""

    def __init__(
        self, model: RecordTableModel, parent: QWidget | None = None, *, fit: bool = False
    ) -> None:
        super().__init__(parent)
        self.table = TableView(model, self, fit=fit)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: any text in any column")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.table.proxy.set_filter_text)
        self.count = QLabel()
        self.count.setProperty("role", "hint")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        box.addLayout(bar)
        box.addWidget(self.table, 1)
        proxy = self.table.proxy
        for signal in (
            proxy.rowsInserted,
            proxy.rowsRemoved,
            proxy.modelReset,
            proxy.layoutChanged,
        ):
            signal.connect(self._update_count)
        self._update_count()

    def _update_count(self, *_: object) -> None:
        shown = self.table.proxy.rowCount()
        total = self.table.source.rowCount()
        self.count.setText(f"{shown:,} rows" if shown == total else f"{shown:,} of {total:,} rows")
