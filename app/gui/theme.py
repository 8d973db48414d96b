"""Dark and light themes: the Qt palette, a short style sheet and the chart colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

DARK = "dark"
LIGHT = "light"
THEMES = (DARK, LIGHT)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    dim_text: str
    button: str
    highlight: str
    border: str
    # charts
    chart_bg: str
    chart_fg: str
    grid: str  # opaque: blended grids are slow to draw without a GPU
    up: str
    down: str
    volume_up: str
    volume_down: str
    equity: str
    drawdown: str
    buy: str
    sell: str
    long_shade: str
    short_shade: str
    crosshair: str
    overlays: tuple[str, ...]
    positive: str
    negative: str
    fault: str


THEME_COLORS: dict[str, Theme] = {
    DARK: Theme(
        name=DARK,
        window="#1e2228",
        base="#16191e",
        alt_base="#1b1f25",
        text="#d7dce2",
        dim_text="#8b949e",
        button="#2a2f37",
        highlight="#2f6fdf",
        border="#353b45",
        chart_bg="#121519",
        chart_fg="#aab2bd",
        grid="#23282f",
        up="#26a69a",
        down="#ef5350",
        volume_up="#26a69a80",
        volume_down="#ef535080",
        equity="#58a6ff",
        drawdown="#f778ba",
        buy="#3fb950",
        sell="#ff7b72",
        long_shade="#26a69a26",
        short_shade="#ef535026",
        crosshair="#8b949e",
        overlays=("#f2cc60", "#bc8cff", "#39c5cf", "#ffa657"),
        positive="#3fb950",
        negative="#ff7b72",
        fault="#ff7b72",
    ),
    LIGHT: Theme(
        name=LIGHT,
        window="#f3f4f6",
        base="#ffffff",
        alt_base="#f6f8fa",
        text="#1f2328",
        dim_text="#59636e",
        button="#e8eaed",
        highlight="#2f6fdf",
        border="#d0d7de",
        chart_bg="#ffffff",
        chart_fg="#424a53",
        grid="#eceef1",
        up="#089981",
        down="#d9363e",
        volume_up="#08998180",
        volume_down="#d9363e80",
        equity="#0969da",
        drawdown="#bf3989",
        buy="#1a7f37",
        sell="#cf222e",
        long_shade="#08998124",
        short_shade="#d9363e24",
        crosshair="#6e7781",
        overlays=("#b08800", "#8250df", "#1b7c83", "#bc4c00"),
        positive="#1a7f37",
        negative="#cf222e",
        fault="#cf222e",
    ),
}


def color(text: str) -> QColor:
    """``#RRGGBB`` or ``#RRGGBBAA`` (Qt itself reads 8 digits as ``#AARRGGBB``)."""
    if len(text) == 9 and text.startswith("#"):
        value = int(text[1:], 16)
        return QColor(value >> 24, (value >> 16) & 255, (value >> 8) & 255, value & 255)
    return QColor(text)


def theme(name: str) -> Theme:
    return THEME_COLORS.get(name, THEME_COLORS[DARK])


def apply_theme(app: QApplication, name: str) -> Theme:
    """Fusion style with the theme's palette, on the whole application."""
    t = theme(name)
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.base,
        QPalette.ColorRole.AlternateBase: t.alt_base,
        QPalette.ColorRole.ToolTipBase: t.base,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.dim_text,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.Button: t.button,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: t.highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: t.highlight,
        QPalette.ColorRole.Mid: t.border,
        QPalette.ColorRole.Dark: t.border,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(disabled, role, QColor(t.dim_text))
    app.setPalette(palette)
    app.setStyleSheet(
        f"""
        QDockWidget::title {{ padding: 4px 6px; background: {t.button}; }}
        QTableView {{ gridline-color: {t.border}; }}
        QHeaderView::section {{ padding: 3px 6px; border: none;
            border-right: 1px solid {t.border}; border-bottom: 1px solid {t.border};
            background: {t.button}; }}
        QLabel[role="error"] {{ color: {t.negative}; }}
        QLabel[role="hint"] {{ color: {t.dim_text}; }}
        QLabel[role="fault"] {{ color: {t.fault}; font-weight: bold; }}
        QPushButton[mode="true"]:checked {{ background: {t.highlight}; color: #ffffff; }}
        """
    )
    return t
