"""Reading the journal back: runs, metrics, round trips, exports, notes, rebuilt reports.

:class:`JournalReader` opens an existing journal (it never creates one) and is what the CLI and
the GUI call. A backtest's report is rebuilt from the journal alone: the stored metrics (exact),
round trips and equity curve become a ``BacktestResult`` again and go through the very same
``core.reports.build_report``, so ``dumps`` of it is byte-identical to the report written when
the run ended.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import numpy as np
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.journal.database import (
    DEFAULT_BUSY_TIMEOUT_S,
    JournalError,
    describe_error,
    integrity_check,
    open_engine,
    write_connection,
)
from core.journal.records import metrics_from_json
from core.journal.recovery import was_sent
from core.journal.schema import (
    EquitySnapshot,
    FillRow,
    JournalNote,
    LogEntry,
    OrderEventRow,
    OrderRow,
    PositionSnapshot,
    RiskDecision,
    RoundTripRow,
    Run,
    StrategyVersion,
)
from core.journal.writer import wall_clock_ns
from core.metrics import Metrics
from core.portfolio import RoundTrip
from core.reports import JsonValue, build_report
from core.session import BacktestResult

# what export_* writes for one run, in this order (file name = table name)
EXPORT_TABLES: Final[tuple[type[Any], ...]] = (
    Run,
    StrategyVersion,
    OrderRow,
    OrderEventRow,
    FillRow,
    PositionSnapshot,
    RiskDecision,
    EquitySnapshot,
    RoundTripRow,
    LogEntry,
    JournalNote,
)


@dataclass(frozen=True, kw_only=True)
class StrategyInfo:
    strategy_id: str
    class_name: str
    code_hash: str
    parameters: dict[str, Any]
    allocation_raw: int | None
    currency: str | None


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """One run as the journal holds it (``ts_ended`` None: still running, or it crashed)."""

    id: int
    mode: str
    label: str
    ts_started: int
    ts_ended: int | None
    engine_version: str
    compiled: bool
    base_currency: str
    data: list[dict[str, Any]]
    seeds: Any
    settings: dict[str, Any]
    parameters: dict[str, Any]
    events: int | None
    orders: int | None
    fills: int | None
    canceled: bool | None
    wall_s: float | None
    strategies: list[StrategyInfo]

    @property
    def finished(self) -> bool:
        return self.ts_ended is not None

    @property
    def has_result(self) -> bool:
        """A backtest that ended with its metrics stored (its report can be rebuilt)."""
        return self.events is not None


@dataclass(frozen=True, kw_only=True)
class RoundTripRecord:
    """A journaled round trip with its row id and the trader's notes and tags."""

    id: int
    trip: RoundTrip
    notes: str
    tags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class NoteRecord:
    id: int
    ts: int
    author: str
    why: str
    text: str
    change: str | None
    run_id: int | None
    round_trip_id: int | None
    order_id: int | None


def normalize_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Trimmed, unique, sorted; a tag may not contain a comma (they are stored joined)."""
    cleaned: set[str] = set()
    for tag in tags:
        text = tag.strip()
        if "," in text:
            raise ValueError(f"a tag cannot contain a comma: {tag!r}")
        if text:
            cleaned.add(text)
    return tuple(sorted(cleaned))


def _split_tags(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


class JournalReader:
    """Read access to a journal file, plus the trader's edits (notes and tags)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        self.path: Path
        self.path, self._engine = open_engine(path, create=False, busy_timeout_s=busy_timeout_s)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # runs -----------------------------------------------------------------------------------
    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        with self._read() as conn:
            ids = [int(i) for i in conn.execute(select(Run.id).order_by(Run.id)).scalars()]
            return [self._run_info(conn, run_id) for run_id in ids]

    def run(self, run_id: int) -> RunInfo:
        with self._read() as conn:
            return self._run_info(conn, run_id)

    def metrics(self, run_id: int) -> Metrics | None:
        """The run's metrics, exact (None before end_run, or for a paper/live session)."""
        with self._read() as conn:
            text = conn.execute(select(Run.metrics_json).where(Run.id == run_id)).scalar()
        return None if text is None else metrics_from_json(json.loads(text))

    def per_strategy_metrics(self, run_id: int) -> dict[str, Metrics]:
        with self._read() as conn:
            text = conn.execute(select(Run.per_strategy_json).where(Run.id == run_id)).scalar()
        if text is None:
            return {}
        return {sid: metrics_from_json(m) for sid, m in json.loads(text).items()}

    def round_trips(self, run_id: int) -> list[RoundTripRecord]:
        """The run's round trips in the report's order (by exit, then entry, time)."""
        with self._read() as conn:
            rows = _orm(conn).scalars(
                select(RoundTripRow).where(RoundTripRow.run_id == run_id).order_by(RoundTripRow.id)
            )
            return [_trip_record(r) for r in rows]

    def equity(self, run_id: int, strategy_id: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ts, equity_raw) int64 arrays of the run's equity snapshots (total by default)."""
        strategy_filter: ColumnElement[bool] = (
            EquitySnapshot.strategy_id.is_(None)
            if strategy_id is None
            else EquitySnapshot.strategy_id == strategy_id
        )
        with self._read() as conn:
            rows = conn.execute(
                select(EquitySnapshot.ts, EquitySnapshot.equity_raw)
                .where(EquitySnapshot.run_id == run_id, strategy_filter)
                .order_by(EquitySnapshot.id)
            ).all()
        ts = np.array([r[0] for r in rows], dtype=np.int64)
        raw = np.array([r[1] for r in rows], dtype=np.int64)
        return ts, raw

    def counts(self, run_id: int) -> dict[str, int]:
        """Rows per table for one run."""
        out: dict[str, int] = {}
        with self._read() as conn:
            for model in EXPORT_TABLES[1:]:
                table = _table(model)
                n = conn.exec_driver_sql(
                    f"SELECT COUNT(*) FROM {table.name} WHERE run_id = ?", (run_id,)
                ).scalar()
                out[table.name] = int(n or 0)
        return out

    # reports ----------------------------------------------------------------------------------
    def rebuild_result(self, run_id: int) -> BacktestResult:
        """The run's ``BacktestResult`` from the journal (its equity curve as stored: thinned
        to the run's ``equity_points``)."""
        info = self.run(run_id)
        metrics = self.metrics(run_id)
        if metrics is None or not info.has_result:
            raise JournalError(
                f"run {run_id} has no stored result (a paper/live session, or a backtest that "
                f"did not reach end_run)"
            )
        ts, raw = self.equity(run_id)
        return BacktestResult(
            metrics=metrics,
            round_trips=[r.trip for r in self.round_trips(run_id)],
            equity_ts=ts,
            equity_raw=raw,
            events=info.events or 0,
            orders=info.orders or 0,
            fills=info.fills or 0,
            wall_s=info.wall_s or 0.0,
            compiled=info.compiled,
            engine_version=info.engine_version,
            canceled=bool(info.canceled),
            per_strategy=self.per_strategy_metrics(run_id),
        )

    def rebuild_report(self, run_id: int) -> dict[str, JsonValue]:
        """``core.reports.build_report`` for the run, from the journal alone (pass it to
        ``core.reports.dumps`` for the same bytes as the report written at run time)."""
        info = self.run(run_id)
        return build_report(
            self.rebuild_result(run_id),
            strategy=info.label,
            parameters=info.parameters,
            data=info.data,
            settings=info.settings,
            # the stored curve is already the report's thinned one: keep every stored sample
            equity_points=0,
            faults=self.faults(run_id),
        )

    def faults(self, run_id: int) -> list[tuple[str, int, str]]:
        """(strategy, time, error) of each strategy fault the run journaled, in order."""
        with self._read() as conn:
            rows = conn.execute(
                select(LogEntry.source, LogEntry.ts, LogEntry.message)
                .where(LogEntry.run_id == run_id, LogEntry.level == "FAULT")
                .order_by(LogEntry.id)
            ).all()
        return [(str(sid), int(ts), str(message)) for sid, ts, message in rows]

    # exports ----------------------------------------------------------------------------------
    def export_csv(self, run_id: int, folder: str | os.PathLike[str]) -> list[Path]:
        """One CSV per table (header = column names; money and prices as raw integers)."""
        out = _out_folder(folder)
        written: list[Path] = []
        with self._read() as conn:
            for model in EXPORT_TABLES:
                table = _table(model)
                names, rows = _run_rows(conn, table, run_id)
                path = out / f"{table.name}.csv"
                with path.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(names)
                    writer.writerows(rows)
                written.append(path)
        return written

    def export_parquet(self, run_id: int, folder: str | os.PathLike[str]) -> list[Path]:
        """One Parquet file per table, typed (int64 for raw amounts and times)."""
        import pyarrow as pa  # only exports pay for pyarrow
        import pyarrow.parquet as pq

        out = _out_folder(folder)
        written: list[Path] = []
        with self._read() as conn:
            for model in EXPORT_TABLES:
                table = _table(model)
                names, rows = _run_rows(conn, table, run_id)
                schema = pa.schema([(c.name, _arrow_type(pa, c.type)) for c in table.columns])
                columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
                path = out / f"{table.name}.parquet"
                pq.write_table(pa.Table.from_pydict(columns, schema=schema), path)
                written.append(path)
        return written

    # the trader's edits -----------------------------------------------------------------------
    def annotate_round_trip(
        self,
        round_trip_id: int,
        *,
        author: str,
        why: str = "",
        notes: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> RoundTripRecord:
        """Set a round trip's notes and/or tags; the change is logged with who and why."""
        if not author.strip():
            raise ValueError("say who makes the change (author)")
        with self._write() as conn:
            row = (
                _orm(conn)
                .scalars(select(RoundTripRow).where(RoundTripRow.id == round_trip_id))
                .one_or_none()
            )
            if row is None:
                raise JournalError(f"journal {self.path} has no round trip {round_trip_id}")
            values: dict[str, str] = {}
            changes: list[str] = []
            if notes is not None and notes != row.notes:
                values["notes"] = notes
                changes.append(f"notes: {row.notes!r} -> {notes!r}")
            if tags is not None:
                joined = ",".join(normalize_tags(tags))
                if joined != row.tags:
                    values["tags"] = joined
                    changes.append(f"tags: {row.tags!r} -> {joined!r}")
            if values:
                conn.execute(
                    update(RoundTripRow).where(RoundTripRow.id == round_trip_id).values(**values)
                )
                conn.execute(
                    insert(JournalNote).values(
                        ts=wall_clock_ns(),
                        author=author,
                        why=why,
                        text=notes if notes is not None else "",
                        change="; ".join(changes),
                        run_id=row.run_id,
                        round_trip_id=round_trip_id,
                    )
                )
            updated = (
                _orm(conn)
                .scalars(select(RoundTripRow).where(RoundTripRow.id == round_trip_id))
                .one()
            )
            return _trip_record(updated)

    def add_note(
        self,
        text: str,
        *,
        author: str,
        why: str = "",
        run_id: int | None = None,
        round_trip_id: int | None = None,
        order_id: int | None = None,
    ) -> int:
        """A free-text note on the journal, a run, a round trip or an order; returns its id."""
        if not author.strip():
            raise ValueError("say who writes the note (author)")
        with self._write() as conn:
            result = conn.execute(
                insert(JournalNote).values(
                    ts=wall_clock_ns(),
                    author=author,
                    why=why,
                    text=text,
                    run_id=run_id,
                    round_trip_id=round_trip_id,
                    order_id=order_id,
                )
            )
            pk = result.inserted_primary_key
            return 0 if pk is None else int(pk[0])

    def notes(self, run_id: int | None = None) -> list[NoteRecord]:
        query = select(JournalNote).order_by(JournalNote.id)
        if run_id is not None:
            query = query.where(JournalNote.run_id == run_id)
        with self._read() as conn:
            return [
                NoteRecord(
                    id=n.id,
                    ts=n.ts,
                    author=n.author,
                    why=n.why,
                    text=n.text,
                    change=n.change,
                    run_id=n.run_id,
                    round_trip_id=n.round_trip_id,
                    order_id=n.order_id,
                )
                for n in _orm(conn).scalars(query)
            ]

    # checks -----------------------------------------------------------------------------------
    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check: ``[]`` when the file is sound."""
        return integrity_check(self._engine, self.path)

    def was_sent(self, strategy_id: str, dedup_key: str) -> bool:
        with self._read() as conn:
            return was_sent(conn, strategy_id, dedup_key)

    # internals --------------------------------------------------------------------------------
    def _read(self) -> _Session:
        return _Session(self, write=False)

    def _write(self) -> _Session:
        return _Session(self, write=True)

    def _run_info(self, conn: Connection, run_id: int) -> RunInfo:
        run = _orm(conn).scalars(select(Run).where(Run.id == run_id)).one_or_none()
        if run is None:
            raise JournalError(f"journal {self.path} has no run {run_id}")
        versions = _orm(conn).scalars(
            select(StrategyVersion)
            .where(StrategyVersion.run_id == run_id)
            .order_by(StrategyVersion.id)
        )
        return RunInfo(
            id=run.id,
            mode=run.mode,
            label=run.label,
            ts_started=run.ts_started,
            ts_ended=run.ts_ended,
            engine_version=run.engine_version,
            compiled=run.compiled,
            base_currency=run.base_currency,
            data=json.loads(run.data_json),
            seeds=json.loads(run.seeds_json),
            settings=json.loads(run.settings_json),
            parameters=json.loads(run.parameters_json),
            events=run.events,
            orders=run.orders,
            fills=run.fills,
            canceled=run.canceled,
            wall_s=run.wall_s,
            strategies=[
                StrategyInfo(
                    strategy_id=v.strategy_id,
                    class_name=v.class_name,
                    code_hash=v.code_hash,
                    parameters=json.loads(v.parameters_json),
                    allocation_raw=v.allocation_raw,
                    currency=v.currency,
                )
                for v in versions
            ],
        )


class _Session:
    """One read (deferred) or write (immediate) transaction; errors name the file."""

    def __init__(self, reader: JournalReader, *, write: bool) -> None:
        self._reader = reader
        self._write = write
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        engine = self._reader._engine
        try:
            conn = write_connection(engine) if self._write else engine.connect()
            conn.begin()
        except DBAPIError as exc:
            raise describe_error(self._reader.path, exc) from None
        self._conn = conn
        return conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            if exc is None and self._write:
                conn.commit()
            else:
                conn.rollback()
        except DBAPIError as commit_error:
            raise describe_error(self._reader.path, commit_error) from None
        finally:
            conn.close()
        if isinstance(exc, DBAPIError):
            raise describe_error(self._reader.path, exc) from None


def _orm(conn: Connection) -> Session:
    """An ORM session on the connection's open transaction (it never commits by itself)."""
    return Session(bind=conn, autoflush=False, expire_on_commit=False)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _trip_record(r: RoundTripRow) -> RoundTripRecord:
    return RoundTripRecord(
        id=r.id,
        trip=RoundTrip(
            strategy_id=r.strategy_id,
            instrument_id=r.instrument_id,
            direction=1 if r.direction == "LONG" else -1,
            qty_raw=r.qty_raw,
            entry_ts=r.entry_ts,
            exit_ts=r.exit_ts,
            entry_px_raw=r.entry_px_raw,
            exit_px_raw=r.exit_px_raw,
            gross_pnl_raw=r.gross_raw,
            fees_raw=r.fees_raw,
            currency=r.currency,
        ),
        notes=r.notes,
        tags=_split_tags(r.tags),
    )


def _run_rows(
    conn: Connection, table: Table, run_id: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    names = [c.name for c in table.columns]
    key = table.c.id if table.name == "runs" else table.c.run_id
    rows = conn.execute(select(table).where(key == run_id).order_by(table.c.id)).all()
    return names, [tuple(r) for r in rows]


def _out_folder(folder: str | os.PathLike[str]) -> Path:
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise JournalError(f"{out} is a file; name a folder to export into")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _arrow_type(pa: Any, column_type: Any) -> Any:
    from sqlalchemy import Boolean, Float, Integer

    if isinstance(column_type, Boolean):
        return pa.bool_()
    if isinstance(column_type, Integer):  # BigInteger too
        return pa.int64()
    if isinstance(column_type, Float):
        return pa.float64()
    return pa.string()


# functions for the command line --------------------------------------------------------------


def list_runs(path: str | os.PathLike[str] | None = None) -> list[RunInfo]:
    with JournalReader(path) as reader:
        return reader.runs()


def rebuild_report(path: str | os.PathLike[str] | None, run_id: int) -> dict[str, JsonValue]:
    with JournalReader(path) as reader:
        return reader.rebuild_report(run_id)


def export_run(
    path: str | os.PathLike[str] | None,
    run_id: int,
    folder: str | os.PathLike[str],
    *,
    fmt: str = "csv",
) -> list[Path]:
    """Write a run's tables to ``folder`` as ``csv`` or ``parquet`` files."""
    with JournalReader(path) as reader:
        reader.run(run_id)  # a clear error for an unknown run
        if fmt == "csv":
            return reader.export_csv(run_id, folder)
        if fmt == "parquet":
            return reader.export_parquet(run_id, folder)
        raise ValueError(f"export format must be csv or parquet, got {fmt!r}")
