"""The parameter form, generated from a strategy's config (``TemplateSpec.params``).

Each parameter gets a field of its type (a check box for a bool, a text field otherwise) with
its default as placeholder, its bounds and help as tooltip, and a message under it as soon as
the text does not parse or is out of bounds; checks that involve several fields (fast < slow)
come from the config itself when the run is built. The instruments are chosen among the
datasets of the data manager; the account and venue settings are the CLI's options.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.gui.data_store import Dataset
from app.gui.runs import RunSettings
from app.market_setup import FEE_HELP, SLIPPAGE_HELP
from strategies import TemplateSpec
from strategies.params import check_value, describe_range
from strategies.registry import ParamSpec, parse_value


def _default_text(p: ParamSpec) -> str:
    return "" if p.required else str(p.default)


class _Field:
    """One parameter's editor and its message label."""

    def __init__(self, spec_name: str, p: ParamSpec) -> None:
        self.p = p
        self.what = f"{p.name}"
        self.spec_name = spec_name
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        bounds = describe_range(p.low, p.high)
        tip = p.help or p.name
        tip += f"\n{p.type_name}" + ("" if bounds == "any value" else f", {bounds}")
        tip += "\nrequired" if p.required else f"\ndefault {p.default!r}"
        self.editor: QCheckBox | QLineEdit
        if p.types == (bool,):
            self.editor = QCheckBox()
            self.editor.setChecked(bool(p.default) if not p.required else False)
        else:
            self.editor = QLineEdit()
            self.editor.setPlaceholderText(_default_text(p) or "required")
            self.editor.textChanged.connect(self.check)
        self.editor.setToolTip(tip)

    def text(self) -> str | None:
        """The value as text, None when left at its default."""
        if isinstance(self.editor, QCheckBox):
            value = self.editor.isChecked()
            return None if not self.p.required and value == self.p.default else str(value).lower()
        text = self.editor.text().strip()
        return text or None

    def set_text(self, text: str) -> None:
        if isinstance(self.editor, QCheckBox):
            self.editor.setChecked(text.lower() in ("1", "true", "yes", "on"))
        else:
            self.editor.setText(text)

    def check(self) -> str:
        """The field's own problem ("" when none), also shown under it."""
        problem = ""
        text = self.text()
        if text is None:
            if self.p.required:
                problem = f"{self.p.name} is required"
        else:
            try:
                value = parse_value(text, self.p.types, self.p.name)
                check_value(self.p.name, value, self.p.low, self.p.high)
            except ValueError as exc:
                problem = str(exc)
        self.message.setText(problem)
        self.message.setVisible(bool(problem))
        return problem


class ParamForm(QWidget):
    """The form for one strategy; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: TemplateSpec | None = None
        self._fields: list[_Field] = []
        self._instrument_boxes: list[QComboBox] = []
        self._datasets: list[Dataset] = []

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setProperty("role", "hint")
        self.instruments_box = QGroupBox("Data")
        self.instruments_form = QFormLayout(self.instruments_box)
        self.params_box = QGroupBox("Parameters")
        self.params_form = QFormLayout(self.params_box)

        self.settings_box = QGroupBox("Account and venue")
        form = QFormLayout(self.settings_box)
        self.cash = QLineEdit("100000")
        self.cash.setToolTip("Starting cash allocated to the strategy")
        self.currency = QLineEdit("USD")
        self.fee = QLineEdit("bps:1")
        self.fee.setToolTip(FEE_HELP)
        self.slippage = QLineEdit("none")
        self.slippage.setToolTip(SLIPPAGE_HELP)
        self.fill = QComboBox()
        self.fill.addItems(["next-open", "same-close"])
        self.fill.setToolTip(
            "next-open: an order decided on bar t fills from bar t+1; same-close: at the "
            "deciding bar's close (look-ahead, opt-in)"
        )
        self.participation = QLineEdit("0.1")
        self.participation.setToolTip("Largest share of a bar's volume our orders may take")
        self.paper_bar_seconds = QLineEdit("1")
        self.paper_bar_seconds.setToolTip(
            "Bar length of the synthetic live feed when the strategy switches to paper"
        )
        for label, widget in (
            ("Cash", self.cash),
            ("Currency", self.currency),
            ("Fees", self.fee),
            ("Slippage", self.slippage),
            ("Fills", self.fill),
            ("Volume share", self.participation),
            ("Paper bar (s)", self.paper_bar_seconds),
        ):
            form.addRow(label, widget)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.description)
        box.addWidget(self.instruments_box)
        box.addWidget(self.params_box)
        box.addWidget(self.settings_box)
        box.addStretch(1)

    # building ---------------------------------------------------------------------------------
    def set_spec(self, spec: TemplateSpec | None, values: dict[str, str] | None = None) -> None:
        self.spec = spec
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self._fields = []
        self.description.setText("" if spec is None else spec.description)
        if spec is not None:
            for p in spec.params:
                field = _Field(spec.name, p)
                if values and p.name in values:
                    field.set_text(values[p.name])
                if isinstance(field.editor, QLineEdit):
                    field.editor.textChanged.connect(self.changed)
                else:
                    field.editor.toggled.connect(self.changed)
                holder = QWidget()
                inner = QVBoxLayout(holder)
                inner.setContentsMargins(0, 0, 0, 0)
                inner.setSpacing(1)
                inner.addWidget(field.editor)
                inner.addWidget(field.message)
                label = QLabel(p.name.replace("_", " "))
                label.setToolTip(field.editor.toolTip())
                self.params_form.addRow(label, holder)
                self._fields.append(field)
            if not spec.params:
                self.params_form.addRow(QLabel("This strategy has no parameters."))
        self._rebuild_instruments()

    def set_datasets(self, datasets: list[Dataset]) -> None:
        self._datasets = datasets
        self._rebuild_instruments()

    def _rebuild_instruments(self) -> None:
        chosen = [box.currentData() for box in self._instrument_boxes]
        while self.instruments_form.rowCount():
            self.instruments_form.removeRow(0)
        self._instrument_boxes = []
        spec = self.spec
        if spec is None:
            return
        usable = [d for d in self._datasets if spec.data_kind == "any" or d.kind == spec.data_kind]
        for i, name in enumerate(spec.instrument_fields):
            box = QComboBox()
            for d in usable:
                box.addItem(f"{d.label} · {d.rows:,} rows", d.key)
            if i < len(chosen) and chosen[i] is not None:
                at = box.findData(chosen[i])
                if at >= 0:
                    box.setCurrentIndex(at)
            elif i < box.count():
                box.setCurrentIndex(i)
            box.setToolTip(f"Data for {name} (import or generate more in the data manager)")
            box.currentIndexChanged.connect(self.changed)
            self.instruments_form.addRow(name.replace("_", " "), box)
            self._instrument_boxes.append(box)
        if not usable:
            self.instruments_form.addRow(
                QLabel(f"No {spec.data_kind} data yet: import or generate some first.")
            )

    # reading ----------------------------------------------------------------------------------
    def field_problems(self) -> list[str]:
        return [problem for problem in (f.check() for f in self._fields) if problem]

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self._fields:
            text = f.text()
            if text is not None:
                out[f.p.name] = text
        return out

    def chosen_datasets(self) -> list[Dataset]:
        by_key = {d.key: d for d in self._datasets}
        out = []
        for box in self._instrument_boxes:
            d = by_key.get(box.currentData())
            if d is not None:
                out.append(d)
        return out

    def settings(self) -> RunSettings:
        try:
            bar_s = float(self.paper_bar_seconds.text())
        except ValueError:
            raise ValueError(
                f"paper bar length {self.paper_bar_seconds.text()!r} is not a number"
            ) from None
        return RunSettings(
            cash=self.cash.text(),
            currency=self.currency.text().strip().upper() or "USD",
            fee=self.fee.text(),
            slippage=self.slippage.text(),
            fill=self.fill.currentText(),
            participation=self.participation.text(),
            paper_bar_seconds=bar_s,
        )

    def set_field_text(self, name: str, text: str) -> None:
        for f in self._fields:
            if f.p.name == name:
                f.set_text(text)
                return
        raise KeyError(f"no parameter {name!r} in the form")
