"""The journal's schema: the tables, the duplicate-order constraint, WAL, and migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.journal import JournalReader, JournalVersionError, SqliteJournal
from core.journal.database import (
    current_revision,
    head_revision,
    make_engine,
    upgrade,
    write_connection,
)
from core.journal.schema import Base

TABLES = {
    "runs",
    "strategy_versions",
    "orders",
    "order_events",
    "fills",
    "position_snapshots",
    "risk_decisions",
    "equity_snapshots",
    "round_trips",
    "log_entries",
    "journal_notes",
    "alembic_version",
}


def _columns(path: Path, table: str) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_a_new_journal_has_every_table_at_head_in_wal_mode(journal_file: Path) -> None:
    SqliteJournal(journal_file).close()
    conn = sqlite3.connect(journal_file)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names >= TABLES
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            head_revision()
        )
    finally:
        conn.close()


def test_money_prices_and_quantities_are_integer_columns(journal_file: Path) -> None:
    SqliteJournal(journal_file).close()
    for table in ("orders", "fills", "round_trips", "equity_snapshots", "position_snapshots"):
        for name, declared in _columns(journal_file, table).items():
            if name.endswith("_raw") or name in ("ts", "ts_init", "ts_last"):
                assert declared in ("BIGINT", "INTEGER"), (table, name, declared)
            assert declared not in ("REAL", "FLOAT", "DOUBLE"), (table, name, declared)


def test_the_migrations_build_exactly_the_orm_schema(journal_file: Path) -> None:
    SqliteJournal(journal_file).close()
    engine = make_engine(journal_file, durable=False, busy_timeout_s=1.0)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            conn.rollback()
    finally:
        engine.dispose()
    assert diff == []


def _insert_order(conn: sqlite3.Connection, client_order_id: str, dedup_key: str) -> None:
    conn.execute(
        "INSERT INTO orders (run_id, strategy_id, client_order_id, dedup_key, instrument_id, "
        "side, order_type, qty_raw, time_in_force, reduce_only, status, filled_qty_raw, "
        "ts_init, ts_last) VALUES (1, 'S1', ?, ?, 'AAA.SIM', 'BUY', 'MARKET', 100000000000, "
        "'GTC', 0, 'SUBMITTED', 0, 1, 1)",
        (client_order_id, dedup_key),
    )


def test_a_duplicate_order_is_impossible_in_the_database(journal_file: Path) -> None:
    with SqliteJournal(journal_file) as journal:
        journal.begin_run("paper", base_currency="USD")
    conn = sqlite3.connect(journal_file)
    try:
        _insert_order(conn, "S1-1", "entry-2024-01-02")
        conn.commit()
        # another client order id, same strategy, same intent: refused by the database itself
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
            _insert_order(conn, "S1-2", "entry-2024-01-02")
        conn.rollback()
        _insert_order(conn, "S1-3", "entry-2024-01-03")  # a new intent is fine
        conn.commit()
        assert conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 2
    finally:
        conn.close()


def test_an_older_journal_is_migrated_when_opened(journal_file: Path) -> None:
    engine = make_engine(journal_file, durable=False, busy_timeout_s=1.0)
    try:
        with write_connection(engine) as conn:
            upgrade(conn, "0001")
        with engine.connect() as conn:
            assert current_revision(conn) == "0001"
            conn.rollback()
    finally:
        engine.dispose()
    assert "tags" not in _columns(journal_file, "round_trips")
    conn = sqlite3.connect(journal_file)
    conn.execute(
        "INSERT INTO runs (mode, label, ts_started, engine_version, compiled, base_currency, "
        "data_json, seeds_json, settings_json, parameters_json) "
        "VALUES ('backtest', 'old', 1, '0.0.9', 0, 'USD', '[]', '{}', '{}', '{}')"
    )
    conn.commit()
    conn.close()

    with SqliteJournal(journal_file):  # opening upgrades 0001 -> head, keeping the data
        pass
    assert "tags" in _columns(journal_file, "round_trips")
    assert "action" in _columns(journal_file, "risk_decisions")
    assert "summary" in _columns(journal_file, "risk_events")
    with sqlite3.connect(journal_file) as check:
        indexes = {r[1] for r in check.execute("PRAGMA index_list(orders)")}
        assert "ix_orders_run_id_status" in indexes
        assert check.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0003"
    with JournalReader(journal_file) as reader:
        assert [r.label for r in reader.runs()] == ["old"]


def test_a_journal_from_a_newer_tradebench_is_refused(journal_file: Path) -> None:
    SqliteJournal(journal_file).close()
    with sqlite3.connect(journal_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    with pytest.raises(JournalVersionError, match=r"newer Tradebench.*0999"):
        SqliteJournal(journal_file)
