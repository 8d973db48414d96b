"""The strategy manager: templates and the trader's strategy files, the generated parameter
form, and the button that starts a backtest."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.widgets.params import ParamForm
from app.gui.workspace import Workspace
from strategies import TemplateSpec

_SPEC_ROLE = Qt.ItemDataRole.UserRole + 1


class StrategyManager(QWidget):
    """Pick a strategy, fill in its form, start it. ``start_requested`` carries nothing: the
    main window reads the form (it knows the replay speed) and reports back with
    ``show_error``."""

    start_requested = Signal()
    selection_changed = Signal(str)  # the strategy's name

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self._templates = QTreeWidgetItem(["Templates"])
        self._files = QTreeWidgetItem(["Your strategy files"])
        for group in (self._templates, self._files):
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.load_button = QPushButton("Load .py file…")
        self.load_button.setToolTip(
            "A file with one Strategy subclass and its <Name>Config dataclass "
            "(see resources/examples/breakout_user_strategy.py)"
        )
        self.load_button.clicked.connect(self._on_load_button_clicked)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.tree, 1)
        left_box.addWidget(self.load_button)

        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.form = ParamForm()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.start_button = QPushButton("Start backtest")
        self.start_button.setToolTip(
            "Backtest on the chosen data at the replay speed set below the chart "
            '("max": as fast as possible); switch it to paper from Running strategies'
        )
        self.start_button.clicked.connect(self.start_requested)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(4, 0, 0, 0)
        right_box.addWidget(self.title)
        right_box.addWidget(scroll, 1)
        right_box.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        right_box.addLayout(buttons)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([170, 480])
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(split)

        workspace.user_strategies_changed.connect(self._fill_files)
        workspace.data.changed.connect(self._on_data_changed)
        self._fill_templates()
        self._fill_files()
        self.form.set_datasets(workspace.data.datasets)

    # library ----------------------------------------------------------------------------------
    def _fill_templates(self) -> None:
        for name, spec in self.workspace.templates.items():
            item = QTreeWidgetItem([name])
            item.setToolTip(0, spec.description)
            item.setData(0, _SPEC_ROLE, ("template", name))
            self._templates.addChild(item)
        self._templates.setExpanded(True)

    def _fill_files(self) -> None:
        current = self.current_key()
        self._files.takeChildren()
        for key, (path, spec) in self.workspace.user_specs.items():
            item = QTreeWidgetItem([f"{spec.name} ({path.name})"])
            item.setToolTip(0, f"{path}\n{spec.description}")
            item.setData(0, _SPEC_ROLE, ("file", key))
            self._files.addChild(item)
        self._files.setExpanded(True)
        if current is not None:
            self.select(*current)

    def set_icons(self, template_icon: QIcon, file_icon: QIcon) -> None:
        for group, icon in ((self._templates, template_icon), (self._files, file_icon)):
            group.setIcon(0, icon)

    def current_key(self) -> tuple[str, str] | None:
        item = self.tree.currentItem()
        data = None if item is None else item.data(0, _SPEC_ROLE)
        return None if data is None else (str(data[0]), str(data[1]))

    def current_spec(self) -> TemplateSpec | None:
        key = self.current_key()
        if key is None:
            return None
        kind, name = key
        if kind == "template":
            return self.workspace.templates.get(name)
        found = self.workspace.user_specs.get(name)
        return None if found is None else found[1]

    def select(self, kind: str, name: str) -> bool:
        group = self._templates if kind == "template" else self._files
        for i in range(group.childCount()):
            item = group.child(i)
            if tuple(item.data(0, _SPEC_ROLE)) == (kind, name):
                self.tree.setCurrentItem(item)
                return True
        return False

    def select_template(self, name: str) -> None:
        if not self.select("template", name):
            raise KeyError(f"no template {name!r}")

    def load_file(self, path: Path) -> TemplateSpec | None:
        """Load a strategy file and select it (a readable message when it cannot be used)."""
        try:
            spec = self.workspace.load_strategy_file(path)
        except ValueError as exc:
            self.show_error(str(exc))
            return None
        self.select("file", str(path.resolve()))
        self.show_error("")
        return spec

    def _on_load_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Load a strategy file", str(Path.home()), "Python files (*.py)"
        )
        if name:
            self.load_file(Path(name))

    def _on_tree_current_item_changed(self, *_: object) -> None:
        spec = self.current_spec()
        self.title.setText("" if spec is None else spec.name)
        self.form.set_spec(spec)
        self.start_button.setEnabled(spec is not None)
        self.show_error("")
        if spec is not None:
            self.selection_changed.emit(spec.name)

    def _on_data_changed(self) -> None:
        self.form.set_datasets(self.workspace.data.datasets)

    # feedback ---------------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
