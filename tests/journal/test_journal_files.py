"""Which file the journal opens, and the files it refuses: clear errors, files left untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.journal import (
    JournalCorrupt,
    JournalError,
    JournalLocked,
    JournalReader,
    SqliteJournal,
    default_journal_path,
)


def test_the_default_location_is_the_user_data_folder_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRADEBENCH_JOURNAL", raising=False)
    default = default_journal_path()
    assert default.name == "journal.sqlite"
    assert "Tradebench" in str(default) or "tradebench" in str(default).lower()
    chosen = tmp_path / "elsewhere" / "mine.sqlite"
    monkeypatch.setenv("TRADEBENCH_JOURNAL", str(chosen))
    assert default_journal_path() == chosen
    with SqliteJournal() as journal:  # no path: the environment's, folder created
        assert journal.path == chosen
    assert chosen.is_file()


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my trading notes, not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(JournalCorrupt, match=r"notes\.sqlite is not a SQLite database"):
        SqliteJournal(path)
    with pytest.raises(JournalCorrupt, match="left untouched"):
        JournalReader(path)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_damaged_database_is_refused_and_left_alone(journal_file: Path) -> None:
    with SqliteJournal(journal_file) as journal:
        journal.begin_run("backtest", base_currency="USD")
    with sqlite3.connect(journal_file) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(journal_file.read_bytes())
    # keep the 100-byte header, scribble over the schema page and what follows
    data[100:4096] = b"\xde\xad\xbe\xef" * ((4096 - 100) // 4)
    journal_file.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match=r"damaged or not a SQLite database.*untouched"):
        SqliteJournal(journal_file)
    assert journal_file.read_bytes() == bytes(data)


def test_another_programs_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(JournalError, match=r"not a Tradebench journal.*customers"):
        SqliteJournal(path)


def test_the_reader_never_creates_a_journal(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(JournalError, match="no journal at"):
        JournalReader(missing)
    assert not missing.exists()


def test_a_folder_is_not_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="is a folder"):
        SqliteJournal(tmp_path)


def test_a_locked_database_is_reported_clearly(journal_file: Path) -> None:
    SqliteJournal(journal_file).close()
    holder = sqlite3.connect(journal_file, isolation_level=None)
    try:
        # another program holds the file exclusively (no WAL sharing possible)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute(
            "INSERT INTO log_entries (run_id, source, ts, level, message) "
            "VALUES (1, 'x', 1, 'INFO', 'held')"
        )
        with pytest.raises(JournalLocked, match=r"journal\.sqlite is locked by another program"):
            SqliteJournal(journal_file, busy_timeout_s=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_writer_waiting_for_the_lock_is_reported_clearly(journal_file: Path) -> None:
    journal = SqliteJournal(journal_file, busy_timeout_s=0.2)
    holder = sqlite3.connect(journal_file, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, e.g. a second Tradebench window
        with pytest.raises(JournalLocked, match="close it, wait for its backtest to finish"):
            journal.begin_run("backtest", base_currency="USD")
        holder.execute("ROLLBACK")
        assert journal.begin_run("backtest", base_currency="USD") == 1  # works once released
    finally:
        holder.close()
        journal.close()


def test_threads_creating_journals_at_once_each_get_a_sound_one(tmp_path: Path) -> None:
    """Creating a journal migrates it with Alembic, whose context is process-wide: runs that
    start together (the workstation's worker threads) must not run each other's steps."""
    import threading

    from core.journal import SqliteJournal
    from core.journal.database import current_revision, head_revision

    paths = [tmp_path / f"j{i}.sqlite" for i in range(4)] * 2  # two threads per new file
    errors: list[BaseException] = []
    start = threading.Barrier(len(paths))

    def open_one(path: Path) -> None:
        try:
            start.wait()
            SqliteJournal(path, background=False).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for path in set(paths):
        with JournalReader(path) as reader:
            assert reader.runs() == []
        from sqlalchemy import create_engine

        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        engine.dispose()
