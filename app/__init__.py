"""Tradebench's applications: the command line and the desktop workstation."""

from __future__ import annotations

from pathlib import Path


def resources_folder() -> Path:
    """``resources/`` (icons, example strategies): inside the installed package, where the
    build copies it, or beside ``app/`` in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "resources"
    return installed if installed.is_dir() else here.parent / "resources"
