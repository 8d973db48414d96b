"""Build: the hot engine modules are compiled with mypyc unless TRADEBENCH_PURE_PYTHON=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

# Modules on the hot path of every event. I/O, numpy-heavy and reporting modules stay
# interpreted: compiling them gains nothing and they use dynamic libraries freely.
INTERPRETED = {
    "core/__init__.py",
    "core/equity.py",
    "core/feeds.py",
    "core/metrics.py",
    "core/session.py",
    "core/live.py",
    "core/reports.py",
    "core/riskconfig.py",
    "venues/__init__.py",
    "venues/simulated/__init__.py",
    "venues/orderbook/__init__.py",
    "strategies/__init__.py",
    "strategies/registry.py",
}


def compiled_modules() -> list[str]:
    files = [
        *sorted(HERE.glob("core/*.py")),
        *sorted(HERE.glob("venues/simulated/*.py")),
        *sorted(HERE.glob("venues/orderbook/*.py")),
        *sorted(HERE.glob("strategies/*.py")),
    ]
    rel = [str(f.relative_to(HERE)) for f in files]
    return [f for f in rel if f not in INTERPRETED]


def ext_modules() -> list[object]:
    if os.environ.get("TRADEBENCH_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify

    return list(mypycify(compiled_modules(), opt_level="3", debug_level="0"))


class BuildWithResources(build_py):
    """Ship ``resources/`` (icons, example strategies) inside the ``app`` package: a
    top-level ``resources`` package in site-packages would clash with other projects."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "app" / "resources"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(
            HERE / "resources", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )


setup(ext_modules=ext_modules(), cmdclass={"build_py": BuildWithResources})
