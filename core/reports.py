"""Backtest reports as JSON: byte-identical for the same inputs and seed.

Nothing that varies between runs (wall time, host, run date) goes into the report; the CLI
prints those separately.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np

from core.metrics import JsonScalar, exact_text, iso_utc, round_trips_to_rows
from core.session import BacktestResult

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
) -> dict[str, JsonValue]:
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
    }
    return report


def dumps(report: Mapping[str, JsonValue]) -> str:
    """Canonical JSON text (no NaN, fixed separators, trailing newline)."""
    return json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
