"""A writer process for batched journaling: SQLite's work on another core.

A backtest keeps one core busy; the rows it produces are written by a child process. The
engine's process only turns events into row tuples and pickles them down the child's stdin; the
child runs each batch as one ``BEGIN IMMEDIATE ... COMMIT`` with plain ``sqlite3`` (no
SQLAlchemy: the statements are ready-made, see ``rows.py``), and answers on its stdout.

The child is ``python -c`` importing this module, not ``multiprocessing``: spawn would re-run the
user's main script in the child, and fork would copy a process with threads and open SQLite
handles. Where there is no Python executable to start (a frozen desktop bundle), the journal
writes in-process instead (``available()``).

Errors are fail-stop: the child reports the first one and ignores later batches; the parent
raises it at its next send or sync. If the parent dies, the child reads end-of-file, rolls back
the transaction it may be in and exits: committed batches stay, as after any crash.
"""

from __future__ import annotations

import os
import pickle
import queue
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from core.journal.errors import (
    DuplicateOrder,
    JournalCorrupt,
    JournalError,
    JournalLocked,
    describe_error,
    integrity_error,
)

if TYPE_CHECKING:  # the child imports this module: it stays free of SQLAlchemy
    from core.journal.rows import Statement

_REPLY_TIMEOUT_S: Final = 120.0
_ERRORS: Final[dict[str, type[JournalError]]] = {
    cls.__name__: cls for cls in (JournalError, JournalLocked, JournalCorrupt, DuplicateOrder)
}
_CHILD: Final = (
    "import sys; from core.journal.background import serve; serve(sys.argv[1], float(sys.argv[2]))"
)


def available() -> bool:
    """A Python interpreter can be started (not a frozen bundle)."""
    return not getattr(sys, "frozen", False) and bool(sys.executable)


def worth_it() -> bool:
    """Two usable cores or more: the engine keeps one busy, the writer takes another (on one
    core the two would only take turns, plus the cost of the pipe)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        usable = os.cpu_count() or 1
    return usable >= 2


def _error(reply: tuple[Any, ...]) -> JournalError:
    return _ERRORS.get(str(reply[1]), JournalError)(str(reply[2]))


class BackgroundWriter:
    """The parent's handle on the writer process."""

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        root = str(Path(__file__).resolve().parents[2])  # where this ``core`` package lives
        inherited = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + inherited if inherited else "")}
        self._child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), repr(busy_timeout_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._replies: queue.Queue[tuple[Any, ...]] = queue.Queue()
        # a thread that waits on the child's stdout (blocked in read: it costs no CPU)
        threading.Thread(target=self._read_replies, daemon=True).start()
        self._failure: JournalError | None = None

    def send(self, statements: list[Statement]) -> None:
        """Queue one transaction's statements (returns once the pipe took them)."""
        self._check()
        self._write(("rows", statements))

    def sync(self) -> int:
        """Wait until every batch sent so far is committed; returns the rows written."""
        self._check()
        self._write(("sync",))
        try:
            reply = self._replies.get(timeout=_REPLY_TIMEOUT_S)
        except queue.Empty:
            raise self._dead("no answer in time") from None
        if reply[0] == "ok":
            return int(reply[1])
        if reply[0] == "error":
            self._failure = _error(reply)
            raise self._failure
        raise self._dead(str(reply[1]))

    def close(self) -> None:
        """Stop the process once what was sent is written (or at once after a failure)."""
        child = self._child
        try:
            if child.poll() is None:
                self._write(("close",))
                child.wait(timeout=_REPLY_TIMEOUT_S)
        except (JournalError, subprocess.TimeoutExpired):
            pass
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()

    def _write(self, message: tuple[Any, ...]) -> None:
        stdin = self._child.stdin
        assert stdin is not None
        try:
            pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except (OSError, ValueError) as exc:
            raise self._dead(f"{type(exc).__name__}: {exc}") from None

    def _read_replies(self) -> None:
        stdout = self._child.stdout
        assert stdout is not None
        try:
            while True:
                self._replies.put(pickle.load(stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            self._replies.put(("gone", "the writer process ended"))

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failure
        while True:
            try:
                reply = self._replies.get_nowait()
            except queue.Empty:
                return
            if reply[0] == "error":
                self._failure = _error(reply)
                raise self._failure
            if reply[0] == "gone":
                raise self._dead(str(reply[1]))

    def _dead(self, why: str) -> JournalError:
        code = self._child.poll()
        status = "" if code is None else f", exit status {code}"
        self._failure = JournalError(
            f"journal {self.path}: the writer process stopped ({why}{status})"
        )
        return self._failure


def serve(path: str, busy_timeout_s: float) -> None:
    """The child: read pickled batches on stdin, write them, answer on stdout."""
    source: IO[bytes] = sys.stdin.buffer
    sink: IO[bytes] = sys.stdout.buffer
    db = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -65536")
    db.execute("PRAGMA wal_autocheckpoint = 0")  # once, at close, rather than after each batch
    written = 0
    failure: tuple[str, str] | None = None

    def answer(*reply: Any) -> None:
        pickle.dump(reply, sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()

    try:
        while True:
            try:
                message: tuple[Any, ...] = pickle.load(source)
            except EOFError:
                return  # the parent is gone: what was committed stays
            kind = message[0]
            if kind == "rows" and failure is None:
                try:
                    written += _transaction(db, message[1])
                except sqlite3.Error as exc:
                    error = _describe(Path(path), exc)
                    failure = (type(error).__name__, str(error))
                    answer("error", *failure)
            elif kind == "sync":
                if failure is None:
                    answer("ok", written)
                else:
                    answer("error", *failure)
            elif kind == "close":
                if failure is None:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                return
    finally:
        db.close()


def _transaction(db: sqlite3.Connection, statements: list[Statement]) -> int:
    count = 0
    db.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            db.executemany(sql, rows)
            count += len(rows)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return count


def _describe(path: Path, exc: sqlite3.Error) -> JournalError:
    if isinstance(exc, sqlite3.IntegrityError):
        return integrity_error(path, exc)
    return describe_error(path, exc)
