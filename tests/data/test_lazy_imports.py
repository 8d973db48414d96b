"""pyarrow is loaded only by file I/O: the engine's synthetic-data path must not pay for it.

Each check runs in a fresh interpreter (this test process has pyarrow loaded already), on the same
``core`` package as this test imports (the source tree or an installed build), from a neutral
working directory so that ``-c``'s implicit current-directory entry cannot shadow it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import core


def _run(code: str, cwd: Path) -> str:
    root = str(Path(core.__file__).resolve().parents[1])
    inherited = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root if not inherited else root + os.pathsep + inherited}
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_synthetic_bars_do_not_import_pyarrow(tmp_path: Path) -> None:
    code = (
        "import sys, core.data; from core.data import generate_bars, BarSeries; "
        "generate_bars(1000, seed=1); print('pyarrow' in sys.modules)"
    )
    assert _run(code, tmp_path) == "False"


def test_no_core_data_module_imports_pyarrow_at_import_time(tmp_path: Path) -> None:
    code = """
import importlib, pkgutil, sys
import core.data
from core.data import *
for module in pkgutil.iter_modules(core.data.__path__):
    importlib.import_module("core.data." + module.name)
from core.data import BarSeries, QuoteSeries, generate_bars, generate_quotes
from core.data import validate_bars, validate_quotes
bars = generate_bars(1000, seed=1)
quotes = generate_quotes(1000, seed=2)
validate_bars(bars)
validate_quotes(quotes)
middle = int(bars.ts_event[500])
BarSeries.concat([bars.slice_time(None, middle), bars.slice_time(middle)])
QuoteSeries.concat([quotes.slice_time(None, int(quotes.ts_event[500]))])
print(repr(bars) != "", core.__file__)
print("pyarrow" in sys.modules)
"""
    first, loaded = _run(code, tmp_path).splitlines()
    assert first == f"True {core.__file__}"
    assert loaded == "False"


def test_file_io_imports_pyarrow_on_first_use(tmp_path: Path) -> None:
    code = """
import sys
from pathlib import Path
from core.data import DataCatalog, generate_bars, load_bars
bars = generate_bars(1000, seed=1, instrument_id="SYN.SIM")
before = "pyarrow" in sys.modules
path = DataCatalog(Path("catalog")).write(bars)
loaded = load_bars(path)
print(before, "pyarrow" in sys.modules, loaded.close.tolist() == bars.close.tolist())
"""
    assert _run(code, tmp_path) == "False True True"
