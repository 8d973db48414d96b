"""A generic table model: declared columns over a list of row values, updated in batches.

Each ``Column`` says how to read a row (``value``: what sorting compares) and how to show it
(``text``). Rows may carry a key, so an update replaces the row in place (an order moving from
SUBMITTED to FILLED) instead of adding one. ``max_rows`` bounds the table: the oldest rows go
first, a tenth of the table at a time (the journal keeps everything). Views sort and filter
through ``FilterProxy``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], object]
    text: Callable[[Any], str] | None = None  # default: str(value)
    numeric: bool = False  # right-aligned, sorted as a number
    color: Callable[[Any], str | None] | None = None  # foreground colour of the cell
    tooltip: Callable[[Any], str] | None = None


def _sort_value(value: object, numeric: bool) -> object:
    """A value Qt compares natively: numbers as floats (missing ones first), the rest as text."""
    if numeric:
        return float("-inf") if value is None else float(value)  # type: ignore[arg-type]
    return "" if value is None else str(value)


class RecordTableModel(QAbstractTableModel):
    """Rows of any type under declared columns."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        key: Callable[[Any], Hashable] | None = None,
        max_rows: int = 0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._key = key
        self._max_rows = max_rows
        self._rows: list[Any] = []
        # key -> position counted from the first row ever added (minus _offset: the row)
        self._index: dict[Hashable, int] = {}
        self._offset = 0

    # Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT if self.columns[section].numeric else _LEFT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row) if column.text is not None else _text(column.value(row))
        if role == SORT_ROLE:
            return _sort_value(column.value(row), column.numeric)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric else _LEFT
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            color = column.color(row)
            return None if color is None else QColor(color)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        return None

    # rows -----------------------------------------------------------------------------------
    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def find(self, key: Hashable) -> Any | None:
        i = self._row_of(key)
        return None if i is None else self._rows[i]

    def _row_of(self, key: Hashable) -> int | None:
        at = self._index.get(key)
        return None if at is None else at - self._offset

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        if self._max_rows and len(self._rows) > self._max_rows:
            self._rows = self._rows[-self._max_rows :]
        self._reindex()
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def append(self, rows: Sequence[Any]) -> None:
        """Add rows at the end (one insert for the batch), then trim to ``max_rows``."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        if self._key is not None:
            for i, row in enumerate(rows, first + self._offset):
                self._index[self._key(row)] = i
        self.endInsertRows()
        self._trim()

    def upsert(self, rows: Sequence[Any]) -> None:
        """Replace rows whose key is known, append the others (needs ``key``)."""
        key = self._key
        if key is None:
            raise TypeError("upsert needs a model with a row key")
        fresh: list[Any] = []
        fresh_at: dict[Hashable, int] = {}
        changed_lo, changed_hi = len(self._rows), -1
        for row in rows:
            k = key(row)
            i = self._row_of(k)
            if i is not None:
                self._rows[i] = row
                changed_lo = min(changed_lo, i)
                changed_hi = max(changed_hi, i)
            elif k in fresh_at:
                fresh[fresh_at[k]] = row
            else:
                fresh_at[k] = len(fresh)
                fresh.append(row)
        if changed_hi >= 0:
            self.dataChanged.emit(
                self.index(changed_lo, 0), self.index(changed_hi, len(self.columns) - 1)
            )
        self.append(fresh)

    def remove_where(self, predicate: Callable[[Any], bool]) -> None:
        kept = [r for r in self._rows if not predicate(r)]
        if len(kept) != len(self._rows):
            self.set_rows(kept)

    def _trim(self) -> None:
        limit = self._max_rows
        if not limit or len(self._rows) <= limit + limit // 10:
            return
        excess = len(self._rows) - limit
        self.beginRemoveRows(QModelIndex(), 0, excess - 1)
        if self._key is not None:
            for row in self._rows[:excess]:
                del self._index[self._key(row)]
        del self._rows[:excess]
        self._offset += excess
        self.endRemoveRows()

    def _reindex(self) -> None:
        key = self._key
        self._offset = 0
        self._index = {} if key is None else {key(r): i for i, r in enumerate(self._rows)}


class FilterProxy(QSortFilterProxyModel):
    """Sorts by each column's value (numbers as numbers) and filters on any column's text."""

    def __init__(self, source: RecordTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)

    def set_filter_text(self, text: str) -> None:
        self.setFilterFixedString(text.strip())

    def source_row(self, proxy_row: int) -> Any:
        source = self.mapToSource(self.index(proxy_row, 0))
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model.row_at(source.row())
