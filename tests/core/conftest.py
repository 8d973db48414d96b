"""Shared setup for the engine tests: make the harness importable and say which build runs."""

from __future__ import annotations

import sys
from pathlib import Path

# The harness module sits beside the tests; import it the same way in every pytest import mode.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def pytest_report_header() -> str:
    import core

    build = "compiled (mypyc)" if core.COMPILED else "interpreted"
    return f"tradebench core: {build}, loaded from {Path(core.__file__).parent}"
