"""Tradebench's headless, deterministic engine.

``TRADEBENCH_PURE_PYTHON=1`` makes an installed compiled build run from its Python sources
(for debugging, and for the benchmark's pure-Python column). It must be all or nothing: the
compiled modules share native classes, so the switch covers every engine package at once.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

ENGINE_PACKAGES = ("core", "venues", "strategies")


class _SourceOnlyFinder(importlib.machinery.PathFinder):
    """Finds engine modules as .py sources even where a compiled extension sits beside them."""

    @classmethod
    def find_spec(
        cls,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in ENGINE_PACKAGES or "." not in fullname:
            return None
        for entry in path or sys.path:
            finder = importlib.machinery.FileFinder(
                entry,
                (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
            )
            spec = finder.find_spec(fullname, target)
            if spec is not None:
                return spec
        return None


if os.environ.get("TRADEBENCH_PURE_PYTHON") == "1" and not any(
    isinstance(f, type) and issubclass(f, _SourceOnlyFinder) for f in sys.meta_path
):
    sys.meta_path.insert(0, _SourceOnlyFinder)

from core import values as _values  # noqa: E402  (after the finder, on purpose)

__version__ = "0.1.0"

# True when the engine modules were compiled with mypyc (the build users run).
COMPILED: bool = not str(_values.__file__).endswith(".py")
