"""``tradebench journal``: look into the trade journal from the command line.

    tradebench journal runs                         every run, newest first
    tradebench journal show RUN [--trips N]         a run's settings, metrics and round trips
    tradebench journal risk RUN                     its risk decisions and risk state changes
    tradebench journal export RUN FOLDER [--format csv|parquet]
    tradebench journal report RUN [--out FILE]      the backtest report, rebuilt from the journal
    tradebench journal note TRIP --author A [--text T] [--tag X ...] [--why W]

``--journal PATH`` picks the file (default: ``$TRADEBENCH_JOURNAL``, else ``journal.sqlite`` in
the user's data folder).
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from core.journal import JournalError, JournalReader, default_journal_path
from core.journal.reader import RunInfo
from core.metrics import iso_utc
from core.reports import dumps, format_table
from core.values import Price, Qty


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jp = sub.add_parser("journal", help="list, show, export and annotate journaled runs")
    jp.add_argument("--journal", help=f"journal file (default: {default_journal_path()})")
    actions = jp.add_subparsers(dest="journal_command", required=True)
    actions.add_parser("runs", help="every run, newest first")
    show = actions.add_parser("show", help="a run's settings, metrics and round trips")
    show.add_argument("run", type=int)
    show.add_argument("--trips", type=int, default=20, help="round trips to list (0: all)")
    risk = actions.add_parser("risk", help="a run's risk decisions and risk state changes")
    risk.add_argument("run", type=int)
    export = actions.add_parser("export", help="write a run's tables to CSV or Parquet")
    export.add_argument("run", type=int)
    export.add_argument("folder")
    export.add_argument("--format", choices=["csv", "parquet"], default="csv")
    report = actions.add_parser("report", help="rebuild a backtest's JSON report")
    report.add_argument("run", type=int)
    report.add_argument("--out", help="write it here (default: print it)")
    note = actions.add_parser("note", help="set a round trip's notes and tags")
    note.add_argument("trip", type=int, help="round trip id (see `journal show`)")
    note.add_argument("--author", required=True, help="who writes it")
    note.add_argument("--text", help="the note (replaces the current one)")
    note.add_argument("--tag", action="append", help="a tag (repeatable; replaces the tags)")
    note.add_argument("--why", default="", help="why the change is made")
    jp.set_defaults(func=cmd_journal)


def cmd_journal(args: argparse.Namespace) -> int:
    path = Path(args.journal).expanduser() if args.journal else default_journal_path()
    if not path.exists():
        raise JournalError(
            f"no journal at {path}: run a backtest or paper session first, or pass --journal"
        )
    with JournalReader(path) as reader:
        command = args.journal_command
        if command == "runs":
            _runs(reader, path)
        elif command == "show":
            _show(reader, args.run, args.trips)
        elif command == "risk":
            _risk(path, reader.run(args.run))
        elif command == "export":
            fmt = args.format
            export = reader.export_csv if fmt == "csv" else reader.export_parquet
            written = export(args.run, args.folder)
            print(f"run {args.run}: {len(written)} {fmt} files in {args.folder}")
            for file in written:
                print(f"  {file.name}")
        elif command == "report":
            text = dumps(reader.rebuild_report(args.run))
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
                print(f"report of run {args.run} written to {args.out}")
            else:
                print(text)
        else:
            record = reader.annotate_round_trip(
                args.trip,
                author=args.author,
                why=args.why,
                notes=args.text,
                tags=args.tag,
            )
            tags = ", ".join(record.tags) or "none"
            print(f"round trip {record.id}: notes {record.notes!r}, tags {tags}")
    return 0


def _status(run: RunInfo) -> str:
    if run.finished:
        return "canceled" if run.canceled else "finished"
    return "open (running, or stopped by a crash)"


def _runs(reader: JournalReader, path: Path) -> None:
    runs = reader.runs()
    print(f"journal {path}: {len(runs)} runs")
    if not runs:
        return
    print(f"{'run':>5}  {'mode':<8} {'started (UTC)':<20} {'label':<24} {'fills':>8}  status")
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        started = iso_utc(run.ts_started)[:19].replace("T", " ")
        fills = "" if run.fills is None else f"{run.fills:,}"
        print(
            f"{run.id:>5}  {run.mode:<8} {started:<20} {run.label[:24]:<24} {fills:>8}  "
            f"{_status(run)}"
        )


def _show(reader: JournalReader, run_id: int, trips_wanted: int) -> None:
    run = reader.run(run_id)
    print(f"run {run.id}: {run.mode} {run.label!r}, {_status(run)}")
    build = "compiled" if run.compiled else "interpreted"
    print(f"  engine {run.engine_version} ({build}), started {iso_utc(run.ts_started)}")
    for strategy in run.strategies:
        params = ", ".join(f"{k}={v}" for k, v in strategy.parameters.items()) or "no parameters"
        print(f"  strategy {strategy.strategy_id}: {strategy.class_name} ({params})")
        print(f"    code sha256 {strategy.code_hash}")
    for source in run.data:
        print(f"  data {source.get('source', source)}")
    counts = reader.counts(run_id)
    print("  rows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    metrics = reader.metrics(run_id)
    if metrics is not None:
        print(format_table(metrics))
    trips = reader.round_trips(run_id)
    if not trips:
        print("no round trips")
        return
    shown = trips if trips_wanted <= 0 else trips[:trips_wanted]
    print(f"round trips ({len(shown)} of {len(trips)}):")
    print(
        f"{'id':>7}  {'instrument':<12} {'side':<5} {'qty':>10} {'entry (UTC)':<20} "
        f"{'entry':>12} {'exit':>12} {'net':>12}  notes / tags"
    )
    for record in shown:
        t = record.trip
        side = "LONG" if t.direction > 0 else "SHORT"
        entry = iso_utc(t.entry_ts)[:19].replace("T", " ")
        extra = record.notes + (f" [{', '.join(record.tags)}]" if record.tags else "")
        print(
            f"{record.id:>7}  {t.instrument_id:<12} {side:<5} {Qty(t.qty_raw)!s:>10} "
            f"{entry:<20} {Price(t.entry_px_raw)!s:>12} {Price(t.exit_px_raw)!s:>12} "
            f"{Price(t.net_pnl_raw)!s:>12}  {extra}"
        )


def _risk(path: Path, run: RunInfo) -> None:
    # a read-only connection of its own: plain rows, nothing to map
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        decisions = conn.execute(
            "SELECT decision, COUNT(*) FROM risk_decisions WHERE run_id = ? GROUP BY decision",
            (run.id,),
        ).fetchall()
        refused = conn.execute(
            "SELECT ts, client_order_id, action, decision, rule, reason FROM risk_decisions "
            "WHERE run_id = ? AND decision != 'approved' ORDER BY id",
            (run.id,),
        ).fetchall()
        changes = conn.execute(
            "SELECT ts, summary FROM risk_events WHERE run_id = ? ORDER BY id", (run.id,)
        ).fetchall()
    summary = ", ".join(f"{decision} {n:,}" for decision, n in decisions) or "none"
    print(f"run {run.id} risk decisions: {summary}")
    for ts, coid, action, decision, rule, reason in refused:
        print(f"  {iso_utc(ts)}  {coid} {action} {decision} by {rule}: {reason}")
    print(f"risk state changes: {len(changes)}")
    for ts, text in changes:
        print(f"  {iso_utc(ts)}  {text}")
