"""The journal's errors, and SQLite failures said in words a person can act on.

Only ``sqlite3`` here: the writer process (``background.py``) uses this module without loading
SQLAlchemy or Alembic.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class JournalError(Exception):
    """The journal cannot be used; the message names the file and what to do."""


class JournalCorrupt(JournalError):
    """The file is not a SQLite database, or its pages are damaged."""


class JournalLocked(JournalError):
    """Another program holds the database lock for longer than the busy timeout."""


class DuplicateOrder(JournalError):
    """The database refused an order whose deduplication key was journaled before."""


class JournalVersionError(JournalError):
    """The file's schema is unknown to this Tradebench (written by a newer version)."""


def describe_error(path: Path, error: BaseException) -> JournalError:
    """A SQLite failure as a JournalError a person can act on."""
    original = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    text = str(original)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return JournalLocked(
            f"journal {path} is locked by another program or Tradebench window ({text}); close "
            f"it, wait for its backtest to finish, or choose another journal file"
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return JournalCorrupt(
            f"journal {path} is damaged or not a SQLite database ({text}); it was left "
            f"untouched: restore a backup, or move it aside and start a new journal"
        )
    if isinstance(original, sqlite3.Error):
        return JournalError(f"journal {path}: {type(original).__name__}: {text}")
    return JournalError(f"journal {path}: {text}")


def integrity_error(path: Path, error: BaseException) -> JournalError:
    """A constraint the database enforced, said in the journal's words."""
    original = getattr(error, "orig", None) or error
    text = str(original)
    if "orders.strategy_id, orders.dedup_key" in text:
        return DuplicateOrder(
            f"journal {path} refused a duplicate order: its strategy already sent an order "
            f"with the same deduplication key ({text})"
        )
    return JournalError(f"journal {path} refused a row: {text}")
