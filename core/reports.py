"""Backtest reports: JSON (byte-identical for the same inputs and seed) and the CLI table.

Nothing that varies between runs (wall time, host, run date) goes into the report; the CLI
prints those separately.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from core.metrics import NS_PER_SECOND, JsonScalar, Metrics, exact_text, iso_utc
from core.portfolio import RoundTrip
from core.session import BacktestResult
from core.values import Money, format_raw

REPORT_FORMAT = 1
DEFAULT_EQUITY_POINTS = 5_000

JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


def thin_equity(ts: np.ndarray, raw: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` samples: the last sample of each of ``max_points`` equal time
    buckets (so the final equity is always kept). ``max_points`` 0 keeps every sample."""
    if max_points <= 0 or len(ts) <= max_points:
        return ts, raw
    span = int(ts[-1]) - int(ts[0]) + 1
    width = -(-span // max_points)  # ceil: at most max_points buckets, no int64 overflow
    buckets = (ts - ts[0]) // width
    last_of_bucket = np.flatnonzero(np.diff(buckets, append=buckets[-1] + 1))
    return ts[last_of_bucket], raw[last_of_bucket]


def build_report(
    result: BacktestResult,
    *,
    strategy: str,
    parameters: Mapping[str, JsonScalar],
    data: Sequence[Mapping[str, JsonScalar]],
    settings: Mapping[str, JsonScalar],
    equity_points: int = DEFAULT_EQUITY_POINTS,
    faults: Sequence[tuple[str, int, str]] = (),
) -> dict[str, JsonValue]:
    """The run's JSON report. ``faults``: (strategy, time, error) of each strategy that
    raised and was halted (no traceback: its file paths differ between machines)."""
    ts, raw = thin_equity(result.equity_ts, result.equity_raw, equity_points)
    report: dict[str, JsonValue] = {
        "report_format": REPORT_FORMAT,
        "engine_version": result.engine_version,
        "strategy": strategy,
        "parameters": dict(parameters),
        "data": [dict(d) for d in data],
        "settings": dict(settings),
        "events": result.events,
        "orders": result.orders,
        "fills": result.fills,
        "canceled": result.canceled,
        "metrics": dict(result.metrics.to_dict()),
        "per_strategy": {sid: dict(m.to_dict()) for sid, m in result.per_strategy.items()},
        "round_trips": [dict(row) for row in round_trips_to_rows(result.round_trips)],
        "equity": [
            [iso_utc(int(t)), exact_text(int(e))]
            for t, e in zip(ts.tolist(), raw.tolist(), strict=True)
        ],
        "faults": [
            {"strategy": sid, "time": iso_utc(ts_fault), "error": error}
            for sid, ts_fault, error in faults
        ],
    }
    return report


def dumps(report: Mapping[str, JsonValue]) -> str:
    """Canonical JSON text (no NaN, fixed separators, trailing newline)."""
    return json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def round_trips_to_rows(round_trips: Sequence[RoundTrip]) -> list[dict[str, JsonScalar]]:
    """One JSON-safe row per round trip. Prices, quantities and money are exact text."""
    rows: list[dict[str, JsonScalar]] = []
    for rt in round_trips:
        if rt.direction not in (1, -1):
            raise ValueError(f"round trip direction must be +1 or -1, got {rt.direction}")
        rows.append(
            {
                "strategy": rt.strategy_id,
                "instrument": rt.instrument_id,
                "side": "LONG" if rt.direction > 0 else "SHORT",
                "qty": exact_text(rt.qty_raw),
                "entry_time": iso_utc(rt.entry_ts),
                "entry_ts": rt.entry_ts,
                "entry_price": exact_text(rt.entry_px_raw),
                "exit_time": iso_utc(rt.exit_ts),
                "exit_ts": rt.exit_ts,
                "exit_price": exact_text(rt.exit_px_raw),
                "holding_ns": rt.exit_ts - rt.entry_ts,
                "gross": exact_text(rt.gross_pnl_raw),
                "fees": exact_text(rt.fees_raw),
                "net": exact_text(rt.net_pnl_raw),
                "currency": rt.currency,
            }
        )
    return rows


_MISSING: Final = "n/a"


def _money_cell(value: Money | None) -> str:
    return _MISSING if value is None else f"{format_raw(value.raw, 2)} {value.currency}"


def _percent_cell(value: float | None) -> str:
    return _MISSING if value is None else f"{value * 100:.2f}%"


def _ratio_cell(value: float | None) -> str:
    return _MISSING if value is None else f"{value:.2f}"


def _time_cell(ts: int | None) -> str:
    return _MISSING if ts is None else iso_utc(ts)


def _duration_cell(ns: int | None) -> str:
    """``"3d 04:05:06"``. Whole days come first, milliseconds show when present, ns are cut."""
    if ns is None:
        return _MISSING
    seconds, rest = divmod(ns, NS_PER_SECOND)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    millis = rest // 1_000_000
    if millis:
        text += f".{millis:03d}"
    return f"{days}d {text}" if days else text


def metric_rows(metrics: Metrics) -> list[tuple[str, str]]:
    """(label, text) of every figure, in the order the CLI table and the GUI show them.

    Money has 2 decimals (rounded half to even) and the currency. Percentages and ratios have 2
    decimals. Figures with no meaning show ``n/a``.
    """
    m = metrics
    return [
        ("Start", _time_cell(m.start_ts)),
        ("End", _time_cell(m.end_ts)),
        ("Starting equity", _money_cell(m.starting_equity)),
        ("Final equity", _money_cell(m.final_equity)),
        ("Net profit", _money_cell(m.net_profit)),
        ("Total return", _percent_cell(m.total_return)),
        ("CAGR", _percent_cell(m.cagr)),
        ("Annualized volatility", _percent_cell(m.annualized_volatility)),
        ("Sharpe ratio", _ratio_cell(m.sharpe)),
        ("Sortino ratio", _ratio_cell(m.sortino)),
        ("Calmar ratio", _ratio_cell(m.calmar)),
        ("Max drawdown", _percent_cell(m.max_drawdown)),
        ("Max drawdown (money)", _money_cell(m.max_drawdown_money)),
        ("Max drawdown duration", _duration_cell(m.max_drawdown_duration_ns)),
        ("Max drawdown peak", _time_cell(m.max_drawdown_peak_ts)),
        ("Max drawdown trough", _time_cell(m.max_drawdown_trough_ts)),
        ("Max drawdown recovery", _time_cell(m.max_drawdown_recovery_ts)),
        ("Longest drawdown", _duration_cell(m.longest_drawdown_ns)),
        ("Round trips", str(m.round_trip_count)),
        ("Winning / losing", f"{m.winning_count} / {m.losing_count}"),
        ("Win rate", _percent_cell(m.win_rate)),
        ("Gross profit", _money_cell(m.gross_profit)),
        ("Gross loss", _money_cell(m.gross_loss)),
        ("Profit factor", _ratio_cell(m.profit_factor)),
        ("Average win", _money_cell(m.average_win)),
        ("Average loss", _money_cell(m.average_loss)),
        ("Expectancy", _money_cell(m.expectancy)),
        ("Largest win", _money_cell(m.largest_win)),
        ("Largest loss", _money_cell(m.largest_loss)),
        ("Average holding time", _duration_cell(m.average_holding_ns)),
        ("Fees", _money_cell(m.fees)),
        ("Turnover", _money_cell(m.turnover)),
        ("Exposure", _percent_cell(m.exposure)),
    ]


def format_table(metrics: Metrics) -> str:
    """A two-column, human-readable table for the CLI (see ``metric_rows``)."""
    rows = metric_rows(metrics)
    label_width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    rule = "-" * (label_width + 2 + value_width)
    lines = [rule]
    lines += [f"{label:<{label_width}}  {value:>{value_width}}" for label, value in rows]
    lines.append(rule)
    return "\n".join(lines)
