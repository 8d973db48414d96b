"""The SQLite trade journal (interpreted, never compiled: it is I/O, and it uses SQLAlchemy).

* :class:`SqliteJournal` writes a run's orders, order events, fills, positions, risk decisions,
  round trips, equity and logs; it is a kernel listener (batched for backtests, durable per fill
  for paper and live).
* :class:`JournalReader` lists runs, reads metrics and round trips, exports CSV/Parquet, takes
  notes and tags, and rebuilds a backtest's report from the journal alone.
* :func:`recover` rebuilds open orders, positions and cash after a crash.

The file is ``journal.sqlite`` in the user's data folder unless a path or ``TRADEBENCH_JOURNAL``
says otherwise; the schema is migrated with Alembic when the file is opened.

Names are loaded on first use (PEP 562): importing the package costs nothing, and the batched
writer's child process, which needs only ``sqlite3``, never loads SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from core.journal.errors import (
    DuplicateOrder,
    JournalCorrupt,
    JournalError,
    JournalLocked,
    JournalVersionError,
)

if TYPE_CHECKING:
    from core.journal.database import default_journal_path
    from core.journal.reader import (
        JournalReader,
        NoteRecord,
        RoundTripRecord,
        RunInfo,
        StrategyInfo,
        export_run,
        list_runs,
        rebuild_report,
    )
    from core.journal.recovery import JournaledFill, Recovery, recover, restore_into
    from core.journal.writer import SqliteJournal, default_dedup_key

_LAZY = {
    "default_journal_path": "core.journal.database",
    "JournalReader": "core.journal.reader",
    "NoteRecord": "core.journal.reader",
    "RoundTripRecord": "core.journal.reader",
    "RunInfo": "core.journal.reader",
    "StrategyInfo": "core.journal.reader",
    "export_run": "core.journal.reader",
    "list_runs": "core.journal.reader",
    "rebuild_report": "core.journal.reader",
    "JournaledFill": "core.journal.recovery",
    "Recovery": "core.journal.recovery",
    "recover": "core.journal.recovery",
    "restore_into": "core.journal.recovery",
    "SqliteJournal": "core.journal.writer",
    "default_dedup_key": "core.journal.writer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'core.journal' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DuplicateOrder",
    "JournalCorrupt",
    "JournalError",
    "JournalLocked",
    "JournalReader",
    "JournalVersionError",
    "JournaledFill",
    "NoteRecord",
    "Recovery",
    "RoundTripRecord",
    "RunInfo",
    "SqliteJournal",
    "StrategyInfo",
    "default_dedup_key",
    "default_journal_path",
    "export_run",
    "list_runs",
    "rebuild_report",
    "recover",
    "restore_into",
]
