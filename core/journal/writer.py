"""SqliteJournal: the engine's events into the SQLite trade journal.

The journal is a kernel listener (``kernel.add_listener(journal)``, or ``journal.attach(kernel)``
which also lets it read an order's terms when the order is submitted). What it does per event
depends on durability:

* **batched** (backtests): the event is appended to a list and nothing else happens on the hot
  path; every ``batch_rows`` events, at :meth:`flush` and at :meth:`end_run`, the list becomes
  row tuples that one transaction writes (``synchronous=NORMAL``). By default a writer process
  runs those transactions (``background.py``), so SQLite works on another core while the
  backtest goes on; :meth:`sync` waits for it.
* **durable** (paper and live): every order event, a fill included, is committed in-process with
  ``synchronous=FULL`` before the listener returns. The kernel publishes a fill to its listeners
  before the strategy's ``on_order_event``/``on_fill``, so a fill is on disk before the strategy
  hears of it; a crash at any point loses no fill that anybody was told about. Position changes
  and log lines ride along with the next commit.

An order's state in the ``orders`` table is the engine's own state machine
(:class:`core.orders.Order`) replayed over exactly the events journaled so far, so the table
never claims more than the event rows behind it prove.

A failed write stops the journal (``failure``): the caller must stop the session, since the
record is no longer complete. Nothing is retried behind its back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

import core
from core.commands import SubmitOrder
from core.events import (
    BreakerTripped,
    Event,
    KillSwitchChanged,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRiskDecision,
    OrderSubmitted,
    PositionChanged,
    RiskConfigChanged,
    StrategyFaulted,
    StrategyLogged,
    TradingStateChanged,
)
from core.journal.background import BackgroundWriter, worth_it
from core.journal.background import available as background_available
from core.journal.database import (
    DEFAULT_BUSY_TIMEOUT_S,
    JournalError,
    describe_error,
    integrity_error,
    open_engine,
    write_connection,
)
from core.journal.errors import DuplicateOrder
from core.journal.records import (
    LIQUIDITY,
    code_hash_of,
    dumps,
    event_details,
    metrics_to_json,
    parameters_of,
    side_name,
)
from core.journal.rows import (
    INSERT_EQUITY,
    INSERT_EVENT,
    INSERT_FILL,
    INSERT_LOG,
    INSERT_ORDER,
    INSERT_POSITION,
    INSERT_RISK,
    INSERT_RISK_EVENT,
    INSERT_ROUND_TRIP,
    UPDATE_ORDER,
    Row,
    Statement,
    order_row,
    order_update,
)
from core.journal.schema import MODES, FillRow, OrderRow, Run, StrategyVersion
from core.kernel import Kernel
from core.orders import IllegalOrderTransition, Order
from core.reports import DEFAULT_EQUITY_POINTS, thin_equity
from core.risk import Denial
from core.session import BacktestResult
from core.strategy import Strategy
from core.values import Money

DEFAULT_BATCH_ROWS: Final = 50_000
LIQUIDITY_NAMES: Final = {v: k for k, v in LIQUIDITY.items()}

OrderLookup = Callable[[str], Order | None]
DedupKey = Callable[[Order, int], str]


def default_dedup_key(order: Order, run_id: int) -> str:
    """The order's own key (``SubmitOrder.dedup_key``: the strategy names its intent, so the
    same intent after a restart gives the same key and the constraint refuses it); an order
    without one is unique within its run by its client order id."""
    return order.dedup_key or f"run{run_id}:{order.client_order_id}"


def denied_dedup_key(key: str, order: Order, run_id: int) -> str:
    """A denied order never went out: it must not use up its key (a later order for the same
    intent may pass), so its row keeps the key with a suffix that is unique to it."""
    return f"{key}#denied:run{run_id}:{order.client_order_id}"


class _OrderSlot:
    """A journaled order while it is open: its replayed state machine and whether its row
    exists yet (``dedup_key`` is kept until the row is written)."""

    __slots__ = ("dedup_key", "dirty", "is_new", "replica")

    def __init__(self, replica: Order, dedup_key: str, is_new: bool) -> None:
        self.replica = replica
        self.dedup_key = dedup_key
        self.is_new = is_new
        self.dirty = False


class _Terms:
    """What an order was submitted with, read from the kernel when its first event passes."""

    __slots__ = ("cmd", "dedup_key")

    def __init__(self, cmd: SubmitOrder, dedup_key: str) -> None:
        self.cmd = cmd
        self.dedup_key = dedup_key


def wall_clock_ns() -> int:
    """When a run began or ended, for people: the journal's bookkeeping, not engine time (the
    engine reads only its clock, which in a backtest says nothing about today)."""
    return time.time_ns()


class SqliteJournal:
    """The trade journal writer (see the module docstring).

    ``path``: the journal file (default: ``default_journal_path()``); created with its folder
    when missing, migrated when older, refused when it is not a journal. ``durable``: commit
    every order event before returning (default: for paper and live runs, not backtests).
    ``batch_rows``: events per transaction when batched. ``dedup_key(order, run_id)``: an
    order's deduplication key (``UNIQUE(strategy_id, dedup_key)`` across every run).
    ``background``: batched transactions run in a writer process, off the engine's core
    (default: when the machine has a core to spare, see ``background.worth_it``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        durable: bool | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        dedup_key: DedupKey | None = None,
        background: bool | None = None,
    ) -> None:
        if batch_rows <= 0:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        self.path: Path
        self.path, self._engine = open_engine(path, create=True, busy_timeout_s=busy_timeout_s)
        self._conn: Connection = write_connection(self._engine)
        self._durable_choice = durable
        self.durable = bool(durable)
        self._batch_rows = batch_rows
        self._dedup_key: DedupKey = dedup_key if dedup_key is not None else default_dedup_key
        self._lookup: OrderLookup | None = None
        self._kernel: Kernel | None = None
        self.run_id: int | None = None
        self._pending: list[Event] = []
        self._terms: dict[str, _Terms] = {}
        self._open: dict[str, _OrderSlot] = {}
        self._known: set[str] = set()  # client order ids of the run with a row (or queued)
        self._busy_timeout_s = busy_timeout_s
        self._use_background = background
        self._background: BackgroundWriter | None = None
        self.rows_written = 0
        self.failure: JournalError | None = None  # set when a write failed (see flush)

    # wiring ---------------------------------------------------------------------------------
    def attach(self, kernel: Kernel) -> None:
        """Listen to ``kernel`` and read submitted orders' terms from it. A durable journal
        also commits each order, with its deduplication key, before the venue gets it."""
        self._kernel = kernel
        self._lookup = kernel.order
        kernel.add_listener(self)
        if self.durable:
            kernel.before_send = self.record_before_send

    def detach(self) -> None:
        kernel = self._kernel
        if kernel is not None:
            kernel.remove_listener(self)
            if kernel.before_send == self.record_before_send:
                kernel.before_send = None
            self._kernel = None

    def set_order_lookup(self, lookup: OrderLookup) -> None:
        """For a journal added with ``kernel.add_listener`` alone: where orders are found."""
        self._lookup = lookup

    # runs -----------------------------------------------------------------------------------
    def begin_run(
        self,
        mode: str,
        *,
        kernel: Kernel | None = None,
        label: str = "",
        parameters: Mapping[str, Any] | None = None,
        data: Sequence[Mapping[str, Any]] = (),
        settings: Mapping[str, Any] | None = None,
        seeds: Mapping[str, Any] | Sequence[int] | None = None,
        base_currency: str | None = None,
    ) -> int:
        """Start journaling a run; with ``kernel`` the journal attaches to it and records its
        strategies. ``label``, ``parameters``, ``data`` and ``settings`` are what
        ``core.reports.build_report`` takes, so the report can be rebuilt from the journal."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if self.run_id is not None:
            raise JournalError(f"run {self.run_id} is still open; end_run it first")
        self._set_durability(mode)
        if kernel is not None and base_currency is None:
            base_currency = kernel.portfolio.base_currency
        run = {
            "mode": mode,
            "label": label,
            "ts_started": wall_clock_ns(),
            "engine_version": core.__version__,
            "compiled": core.COMPILED,
            "base_currency": base_currency or "",
            "data_json": dumps([dict(d) for d in data]),
            "seeds_json": dumps(seeds if isinstance(seeds, Mapping) else list(seeds or [])),
            "settings_json": dumps(dict(settings or {})),
            "parameters_json": dumps(dict(parameters or {})),
        }
        with self._write() as conn:
            result = conn.execute(insert(Run).values(**run))
            pk = result.inserted_primary_key
            if pk is None:
                raise JournalError("the journal did not return the new run's id")
            self.run_id = int(pk[0])
        if kernel is not None:
            for record in kernel.records:
                account = record.account
                self.record_strategy(
                    record.strategy, allocation=Money(account.allocation_raw, account.currency)
                )
            self._carry_over(kernel)
            self.attach(kernel)
        use = self._use_background
        if not self.durable and (worth_it() if use is None else use) and background_available():
            self._background = BackgroundWriter(self.path, self._busy_timeout_s)
        return self.run_id

    def _carry_over(self, kernel: Kernel) -> None:
        """Orders still working from the kernel's previous mode (a backtest switched to paper)
        get rows in this run, in their state now, so their later events land on them (the
        previous run's rows keep the state they ended in). Their deduplication key stays with
        the row that sent them when that is in this journal. One transaction."""
        run_id = self._require_run()
        working = [o for o in kernel.orders if o.is_open]
        if not working:
            return
        keys = {o.client_order_id: self._dedup_key(o, run_id) for o in working}
        rows = []
        with self._write() as conn:
            taken = {
                (str(sid), str(key))
                for sid, key in conn.execute(
                    select(OrderRow.strategy_id, OrderRow.dedup_key).where(
                        OrderRow.dedup_key.in_(list(keys.values()))
                    )
                )
            }
            for order in working:
                replica = Order(order.terms())
                for event in order.events:
                    replica.apply(event)
                key = keys[order.client_order_id]
                if (order.strategy_id, key) in taken:
                    key = f"{key}#carried:run{run_id}"
                rows.append(order_row(run_id, replica, key))
                self._open[order.client_order_id] = _OrderSlot(replica, key, is_new=False)
                self._known.add(order.client_order_id)
            ids = ", ".join(o.client_order_id for o in working)
            note = f"{len(working)} working order(s) carried over from the previous mode: {ids}"
            conn.exec_driver_sql(INSERT_ORDER, rows)
            conn.exec_driver_sql(
                INSERT_LOG, [(run_id, "journal", kernel.clock.now_ns(), "INFO", note, None)]
            )

    def resume_run(self, run_id: int, *, kernel: Kernel | None = None) -> None:
        """Continue journaling ``run_id`` (a paper/live run after a restart): its open orders
        are replayed from the journal so their later events land on the same rows."""
        from core.journal.recovery import replay_orders

        if self.run_id is not None:
            raise JournalError(f"run {self.run_id} is still open; end_run it first")
        with self._engine.connect() as conn:
            run = conn.execute(select(Run.mode, Run.ts_ended).where(Run.id == run_id)).first()
            if run is None:
                raise JournalError(f"journal {self.path} has no run {run_id}")
            known = conn.execute(
                select(OrderRow.client_order_id).where(OrderRow.run_id == run_id)
            ).scalars()
            self._known = {str(coid) for coid in known}
            replayed = replay_orders(conn, run_id, open_only=True)
            conn.rollback()
        self._set_durability(str(run.mode))
        self.run_id = run_id
        self._open = {o.client_order_id: _OrderSlot(o, "", is_new=False) for _, o in replayed}
        with self._write() as conn:
            conn.execute(update(Run).where(Run.id == run_id).values(ts_ended=None))
        if kernel is not None:
            self.attach(kernel)

    def record_strategy(
        self,
        strategy: Strategy,
        *,
        parameters: Mapping[str, Any] | object | None = None,
        allocation: Money | None = None,
    ) -> None:
        """Which code (sha256 of the class's source file) and parameters a strategy runs with.
        ``parameters`` defaults to the strategy's ``config`` dataclass, when it has one."""
        run_id = self._require_run()
        params = parameters_of(
            parameters if parameters is not None else getattr(strategy, "config", None)
        )
        cls = type(strategy)
        row = {
            "run_id": run_id,
            "strategy_id": strategy.strategy_id,
            "class_name": f"{cls.__module__}.{cls.__qualname__}",
            "code_hash": code_hash_of(cls),
            "parameters_json": dumps(params),
            "allocation_raw": None if allocation is None else allocation.raw,
            "currency": None if allocation is None else allocation.currency,
        }
        with self._write() as conn:
            conn.execute(insert(StrategyVersion).values(**row))

    def record_before_send(self, order: Order) -> Denial | None:
        """The kernel's pre-send step (durable runs): commit the order row, whose UNIQUE
        (strategy, deduplication key) constraint refuses an order that already went out, in
        this run or any earlier one. Nothing reaches the venue before this commit."""
        run_id = self._require_run()
        key = self._dedup_key(order, run_id)
        self.flush()  # rows of earlier events first, in order
        replica = Order(order.terms())
        try:
            self._commit_rows(INSERT_ORDER, [order_row(run_id, replica, key)])
        except DuplicateOrder:
            return Denial(
                "journal",
                f"an order with deduplication key {key!r} of strategy {order.strategy_id} "
                f"is already in the journal: it is not sent again",
            )
        self._open[order.client_order_id] = _OrderSlot(replica, key, is_new=False)
        self._known.add(order.client_order_id)
        return None

    def was_sent(self, strategy_id: str, dedup_key: str) -> bool:
        """Did ``strategy_id`` already send an order with ``dedup_key`` (in any run)? Pending
        events are written first, so the answer covers everything the journal has seen."""
        from core.journal.recovery import was_sent

        if self.run_id is not None:
            self.sync()
        with self._engine.connect() as conn:
            found = was_sent(conn, strategy_id, dedup_key)
            conn.rollback()
        return found

    def record_equity(self, ts: int, equity: Money, *, strategy_id: str | None = None) -> None:
        """One equity sample (paper/live sessions call this on a timer)."""
        run_id = self._require_run()
        self.sync()
        self._commit_rows(INSERT_EQUITY, [(run_id, strategy_id, ts, equity.raw, equity.currency)])

    def end_run(
        self,
        result: BacktestResult | None = None,
        *,
        equity_points: int = DEFAULT_EQUITY_POINTS,
    ) -> None:
        """Flush, and for a backtest store its metrics, round trips and equity curve (thinned
        to ``equity_points`` samples as the report does; 0 keeps every sample)."""
        run_id = self._require_run()
        self.sync()
        self._stop_background()
        values: dict[str, Any] = {"ts_ended": wall_clock_ns()}
        with self._write() as conn:
            if result is not None:
                values.update(
                    events=result.events,
                    orders=result.orders,
                    fills=result.fills,
                    canceled=result.canceled,
                    wall_s=result.wall_s,
                    equity_points=equity_points,
                    engine_version=result.engine_version,
                    compiled=result.compiled,
                    metrics_json=dumps(metrics_to_json(result.metrics)),
                    per_strategy_json=dumps(
                        {sid: metrics_to_json(m) for sid, m in result.per_strategy.items()}
                    ),
                )
                self._write_round_trips(conn, run_id, result)
                ts, raw = thin_equity(result.equity_ts, result.equity_raw, equity_points)
                currency = result.metrics.currency
                equity = [
                    (run_id, None, t, e, currency)
                    for t, e in zip(ts.tolist(), raw.tolist(), strict=True)
                ]
                if equity:  # none when the run was canceled before its first event
                    conn.exec_driver_sql(INSERT_EQUITY, equity)
            else:  # a paper or live session: what it journaled
                values.update(
                    orders=conn.execute(
                        select(func.count()).select_from(OrderRow).where(OrderRow.run_id == run_id)
                    ).scalar_one(),
                    fills=conn.execute(
                        select(func.count()).select_from(FillRow).where(FillRow.run_id == run_id)
                    ).scalar_one(),
                )
            conn.execute(update(Run).where(Run.id == run_id).values(**values))
        self._checkpoint()
        self.detach()
        self.run_id = None
        self._open.clear()
        self._known.clear()
        self._terms.clear()

    def close(self) -> None:
        """Write what is pending and release the file (a run not ended stays open in the
        journal, as after a crash: recovery can pick it up)."""
        try:
            if self.run_id is not None and self.failure is None:
                self.sync()
        finally:
            self._stop_background()
            self.detach()
            self._conn.close()
            self._engine.dispose()

    def __enter__(self) -> SqliteJournal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # the listener ---------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        cls = type(event)
        if cls is OrderSubmitted:
            self._capture_terms(event, False)  # type: ignore[arg-type]  # an OrderEvent
        elif cls is OrderDenied:
            self._capture_terms(event, True)  # type: ignore[arg-type]  # an OrderEvent
        self._pending.append(event)
        if self.durable:
            # order events (fills first of all), faults and risk state changes (a kill switch
            # and who reset it) are on disk before we return
            if isinstance(event, OrderEvent) or cls is StrategyFaulted or cls is KillSwitchChanged:
                self.flush()
        elif len(self._pending) >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        """Write every pending event in one transaction."""
        pending = self._pending
        if not pending:
            return
        run_id = self._require_run()
        if self.failure is not None:
            raise JournalError(f"the journal stopped writing after an error: {self.failure}")
        self._pending = []
        try:
            statements = self._statements(run_id, pending)
            background = self._background
            if background is not None:
                background.send(statements)
            else:
                with self._write() as conn:
                    for sql, rows in statements:
                        conn.exec_driver_sql(sql, rows)
                self.rows_written += sum(len(rows) for _, rows in statements)
        except BaseException as exc:
            # Fail-stop: the transaction rolled back but the in-memory order replicas moved on,
            # so a retry could not be trusted; whoever runs the session must stop it.
            self.failure = exc if isinstance(exc, JournalError) else JournalError(str(exc))
            raise
        for coid in [c for c, slot in self._open.items() if slot.replica.is_closed]:
            del self._open[coid]

    def sync(self) -> None:
        """Flush, and wait until the writer process (if any) committed everything."""
        self.flush()
        background = self._background
        if background is not None:
            try:
                self.rows_written = background.sync()
            except JournalError as exc:
                self.failure = exc
                raise

    # internals ------------------------------------------------------------------------------
    def _set_durability(self, mode: str) -> None:
        choice = self._durable_choice
        self.durable = (mode != "backtest") if choice is None else choice
        level = "FULL" if self.durable else "NORMAL"
        # on the driver's connection: SQLAlchemy would BEGIN first, and SQLite refuses to
        # change the safety level inside a transaction
        driver = self._conn.connection.driver_connection
        if driver is None:
            raise JournalError(f"journal {self.path}: the connection is closed")
        driver.execute(f"PRAGMA synchronous = {level}")
        # Batched runs write big transactions: a larger page cache keeps the indexes' hot pages
        # in memory, and the WAL is copied back into the database once, at end_run, instead of
        # after every batch (pages that several batches touch are copied once).
        driver.execute(f"PRAGMA wal_autocheckpoint = {1000 if self.durable else 0}")
        driver.execute(f"PRAGMA cache_size = {-2000 if self.durable else -65536}")

    def _checkpoint(self) -> None:
        driver = self._conn.connection.driver_connection
        if driver is not None and not self.durable:
            driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
            driver.execute("PRAGMA wal_autocheckpoint = 1000")

    def _stop_background(self) -> None:
        background = self._background
        if background is not None:
            self._background = None
            background.close()

    def _require_run(self) -> int:
        if self.run_id is None:
            raise JournalError("no run is open: call begin_run (or resume_run) first")
        return self.run_id

    def _write(self) -> _WriteTransaction:
        return _WriteTransaction(self)

    def _commit_rows(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._write() as conn:
            conn.exec_driver_sql(sql, rows)

    def _capture_terms(self, event: OrderEvent, denied: bool) -> None:
        if event.client_order_id in self._open:
            return  # committed before it was sent (record_before_send)
        lookup = self._lookup
        order = lookup(event.client_order_id) if lookup is not None else None
        if order is None:
            return  # journaled as an event for an unknown order (see _write_events)
        # The order as the kernel holds it when its first event is published: a modify that
        # the venue applied before that (possible only with zero latency) shows here already.
        run_id = self.run_id or 0
        key = self._dedup_key(order, run_id)
        if denied:
            key = denied_dedup_key(key, order, run_id)
        self._terms[order.client_order_id] = _Terms(order.terms(), key)

    def _statements(self, run_id: int, pending: list[Event]) -> list[Statement]:
        """The rows of ``pending``, in dependency order (orders before what refers to them)."""
        open_slots = self._open
        known = self._known
        terms = self._terms
        new_slots: list[_OrderSlot] = []
        touched: list[_OrderSlot] = []
        event_rows: list[Row] = []
        fill_rows: list[Row] = []
        risk_rows: list[Row] = []
        position_rows: list[Row] = []
        log_rows: list[Row] = []
        risk_event_rows: list[Row] = []
        for event in pending:
            if not isinstance(event, OrderEvent):
                if isinstance(event, OrderRiskDecision):
                    coid = event.client_order_id
                    risk_rows.append(
                        (
                            run_id,
                            run_id,
                            coid,
                            event.strategy_id,
                            coid,
                            event.action,
                            event.decision,
                            event.rule or None,
                            event.reason or None,
                            event.ts_event,
                        )
                    )
                else:
                    _other_row(run_id, event, position_rows, log_rows, risk_event_rows)
                continue
            cls = type(event)
            coid = event.client_order_id
            slot = open_slots.get(coid)
            if slot is None:
                found = terms.pop(coid, None)
                if found is not None:
                    slot = _OrderSlot(Order(found.cmd), found.dedup_key, is_new=True)
                    open_slots[coid] = slot
                    known.add(coid)
                    new_slots.append(slot)
            if slot is not None:
                try:
                    slot.replica.apply(event)
                except IllegalOrderTransition as illegal:
                    log_rows.append(
                        (run_id, "journal", event.ts_event, "ERROR", str(illegal), None)
                    )
                if not slot.dirty:
                    slot.dirty = True
                    if not slot.is_new:
                        touched.append(slot)
            elif coid not in known:  # not even a late event for an order closed earlier
                message = f"event for an order the journal never saw: {event.describe()}"
                log_rows.append((run_id, "journal", event.ts_event, "ERROR", message, None))
                continue
            ts = event.ts_event
            event_rows.append((run_id, run_id, coid, cls.__name__, ts, event_details(event)))
            if cls is OrderFilled:
                fill = cast(OrderFilled, event)
                fee = fill.fee
                fill_rows.append(
                    (
                        run_id,
                        run_id,
                        coid,
                        fill.strategy_id,
                        fill.instrument_id,
                        fill.instrument_id.rpartition(".")[2],
                        fill.trade_id,
                        side_name(fill.side),
                        fill.last_qty.raw,
                        fill.last_px.raw,
                        fee.raw,
                        fee.currency,
                        LIQUIDITY_NAMES.get(fill.liquidity, str(fill.liquidity)),
                        ts,
                    )
                )
        statements: list[Statement] = []
        if new_slots:
            statements.append(
                (INSERT_ORDER, [order_row(run_id, s.replica, s.dedup_key) for s in new_slots])
            )
        for sql, rows in (
            (INSERT_EVENT, event_rows),
            (INSERT_FILL, fill_rows),
            (INSERT_RISK, risk_rows),
            (INSERT_POSITION, position_rows),
            (INSERT_LOG, log_rows),
            (INSERT_RISK_EVENT, risk_event_rows),
        ):
            if rows:
                statements.append((sql, rows))
        if touched:
            statements.append((UPDATE_ORDER, [order_update(run_id, s.replica) for s in touched]))
        for slot in new_slots:
            slot.is_new = False
            slot.dirty = False
        for slot in touched:
            slot.dirty = False
        return statements

    def _write_round_trips(self, conn: Connection, run_id: int, result: BacktestResult) -> None:
        rows = [
            (
                run_id,
                t.strategy_id,
                t.instrument_id,
                "LONG" if t.direction > 0 else "SHORT",
                t.qty_raw,
                t.entry_ts,
                t.exit_ts,
                t.entry_px_raw,
                t.exit_px_raw,
                t.gross_pnl_raw,
                t.fees_raw,
                t.net_pnl_raw,
                t.currency,
            )
            for t in result.round_trips
        ]
        if rows:
            conn.exec_driver_sql(INSERT_ROUND_TRIP, rows)


def _risk_event_row(run_id: int, event: Event) -> Row | None:
    """The risk_events row of a risk state change (None for other events)."""
    if isinstance(event, TradingStateChanged):
        kind, scope, who, reason = "state", event.scope, event.who, event.reason
        details: dict[str, Any] = {"previous": event.previous, "state": event.state}
    elif isinstance(event, KillSwitchChanged):
        kind, scope, who, reason = "kill_switch", "", event.who, event.reason
        details = {
            "tripped": event.tripped,
            "flatten": event.flatten,
            "canceled": event.canceled,
            "flatten_orders": event.flatten_orders,
        }
    elif isinstance(event, BreakerTripped):
        kind, scope, who, reason = "breaker", event.scope, f"breaker {event.name}", "drawdown"
        details = {
            "name": event.name,
            "tripped": event.tripped,
            "intraday": event.intraday,
            "action": event.action,
            "peak_raw": event.peak_raw,
            "equity_raw": event.equity_raw,
            "drawdown_raw": event.drawdown_raw,
            "limit": event.limit_text,
            "currency": event.currency,
        }
    elif isinstance(event, RiskConfigChanged):
        kind, scope, who, reason = "config", event.scope, event.who, event.reason
        details = {"what": event.what, "old": event.old, "new": event.new}
    else:
        return None
    return (run_id, event.ts_event, kind, scope, event.describe(), who, reason, dumps(details))


def _other_row(
    run_id: int,
    event: Event,
    position_rows: list[tuple[Any, ...]],
    log_rows: list[tuple[Any, ...]],
    risk_event_rows: list[tuple[Any, ...]],
) -> None:
    """Rows of the events that are not about one order."""
    risk_row = _risk_event_row(run_id, event)
    if risk_row is not None:
        risk_event_rows.append(risk_row)
        return
    if isinstance(event, PositionChanged):
        pnl = event.realized_pnl
        position_rows.append(
            (
                run_id,
                event.strategy_id,
                event.instrument_id,
                event.ts_event,
                event.signed_qty_raw,
                event.avg_px.raw,
                pnl.raw,
                pnl.currency,
            )
        )
    elif isinstance(event, StrategyLogged):
        log_rows.append(
            (run_id, event.strategy_id, event.ts_event, event.level, event.message, None)
        )
    elif isinstance(event, StrategyFaulted):
        log_rows.append(
            (run_id, event.strategy_id, event.ts_event, "FAULT", event.error, event.traceback)
        )


class _WriteTransaction:
    """``with journal._write() as conn``: one BEGIN IMMEDIATE ... COMMIT on the writer's
    connection; SQLite errors come out as JournalErrors that name the file."""

    def __init__(self, journal: SqliteJournal) -> None:
        self._journal = journal

    def __enter__(self) -> Connection:
        conn = self._journal._conn
        try:
            conn.begin()
        except DBAPIError as exc:
            raise describe_error(self._journal.path, exc) from None
        return conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._journal._conn
        if exc is not None:
            if conn.in_transaction():
                conn.rollback()
            if isinstance(exc, IntegrityError):
                raise integrity_error(self._journal.path, exc) from None
            if isinstance(exc, DBAPIError):
                raise describe_error(self._journal.path, exc) from None
            return
        try:
            conn.commit()
        except DBAPIError as commit_error:
            if conn.in_transaction():
                conn.rollback()
            raise describe_error(self._journal.path, commit_error) from None
