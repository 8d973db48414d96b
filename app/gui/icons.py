"""Icons drawn from the SVG files in ``resources/icons``, tinted for the current theme.

An SVG may use ``currentColor``; it is replaced by the theme's text colour before rendering, so
one file serves the dark and the light theme.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from app import resources_folder


@cache
def _svg_text(name: str) -> str | None:
    path = resources_folder() / "icons" / f"{name}.svg"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def icon(name: str, color: str) -> QIcon:
    """The icon ``name`` (an empty icon when the file is missing) with ``color`` for
    ``currentColor``, rendered at 16, 24 and 32 pixels."""
    text = _svg_text(name)
    result = QIcon()
    if text is None:
        return result
    renderer = QSvgRenderer(QByteArray(text.replace("currentColor", color).encode()))
    for size in (16, 24, 32):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result
