"""The engine stays headless and reads time only from its clock."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import core

ENGINE_MODULES = [
    "values",
    "instruments",
    "market",
    "enums",
    "events",
    "commands",
    "orders",
    "clock",
    "portfolio",
    "venue",
    "risk",
    "strategy",
    "context",
    "kernel",
    "indicators",
    "replay",
]

_PROBE = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6", "sqlalchemy", "qasync"}:
            raise ImportError(f"core must not import {name}")
        return None
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module("core." + name)
"""


def test_engine_modules_import_without_qt_or_sqlalchemy() -> None:
    root = str(Path(core.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *ENGINE_MODULES],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", [m for m in ENGINE_MODULES if m != "clock"])
def test_only_the_clock_reads_the_wall_clock(name: str) -> None:
    source = Path(core.__file__).resolve().parent / f"{name}.py"
    if not source.exists():
        pytest.skip("sources not shipped with this build")
    text = source.read_text(encoding="utf-8")
    assert not re.search(r"\btime\.(time|time_ns|monotonic|perf_counter)\(|datetime\.now\(", text)
