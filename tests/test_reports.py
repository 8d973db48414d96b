"""Report helpers: equity thinning keeps the last sample of each bucket and never overflows."""

from __future__ import annotations

import numpy as np

from core.reports import thin_equity

MINUTE = 60_000_000_000


def test_thinning_a_long_minute_curve_keeps_at_most_the_asked_points() -> None:
    # 1,000,000 minutes is about 1.9 years of nanoseconds: (ts - ts0) * 5000 overflows int64
    ts = 1_577_836_800_000_000_000 + MINUTE * np.arange(1, 1_000_001, dtype=np.int64)
    raw = np.arange(1_000_000, dtype=np.int64)
    thin_ts, thin_raw = thin_equity(ts, raw, 5_000)
    assert len(thin_ts) <= 5_000
    assert thin_ts[-1] == ts[-1] and thin_raw[-1] == raw[-1]  # the final equity survives
    assert np.all(np.diff(thin_ts) > 0)
    # each kept sample is the last one of its bucket: the next sample starts a new bucket
    width = -(-(int(ts[-1]) - int(ts[0]) + 1) // 5_000)
    kept = np.searchsorted(ts, thin_ts)
    assert np.all((ts[kept[:-1] + 1] - ts[0]) // width > (ts[kept[:-1]] - ts[0]) // width)


def test_short_curves_are_kept_whole() -> None:
    ts = np.array([1, 2, 3], dtype=np.int64)
    raw = np.array([5, 6, 7], dtype=np.int64)
    assert thin_equity(ts, raw, 5_000)[0].tolist() == [1, 2, 3]
    assert thin_equity(ts, raw, 0)[1].tolist() == [5, 6, 7]
