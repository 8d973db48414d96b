"""The data manager imports the sample files and generates data off the GUI thread; the chart
aggregates a million bars into pixel-wide buckets and draws only what is in view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.gui.charts.data import ChartData
from app.gui.charts.items import OhlcPyramid
from core.data import generate_bars


def test_import_and_generate_data(window: Any, shared_data: Path, qtbot: Any) -> None:
    manager = window.data_manager
    store = window.data
    assert [d.label for d in store.datasets] == ["SYN.SIM 1m bars"]  # the demo data

    task = manager.import_files([shared_data / "backtrader" / "orcl_daily_1995-2014.csv"])
    qtbot.waitUntil(task.done, timeout=15_000)
    orcl = store.find("bars/ORCL.SIM/1d")
    assert orcl is not None and orcl.rows == 5036
    assert "Stored 5,036 rows of ORCL.SIM" in manager.message.text()
    shown = {manager.model.row_at(r).key for r in range(manager.model.rowCount())}
    assert "bars/ORCL.SIM/1d" in shown

    manager.gen_id.setText("GEN.SIM")
    manager.gen_bars.setValue(500)
    manager.gen_period.setCurrentIndex(3)  # daily
    task = manager.generate()
    qtbot.waitUntil(task.done, timeout=15_000)
    generated = store.find("bars/GEN.SIM/1d")
    assert generated is not None and generated.rows == 500

    # the strategy form offers the new data at once
    window.manager.select_template("pairs_zscore")
    labels = [
        box.itemText(i) for box in window.manager.form._instrument_boxes for i in range(box.count())
    ]
    assert any(text.startswith("ORCL.SIM 1d bars") for text in labels)
    assert any(text.startswith("GEN.SIM 1d bars") for text in labels)


def test_a_bad_file_is_refused_with_a_readable_message(
    window: Any, tmp_path: Path, qtbot: Any
) -> None:
    bad = tmp_path / "bad_daily.csv"
    bad.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,10,11,9,10.5,10.5,100\n"
        "2020-01-03,10,9,11,10.5,10.5,100\n",
        encoding="utf-8",
    )
    task = window.data_manager.import_files([bad])
    qtbot.waitUntil(task.done, timeout=10_000)
    text = window.data_manager.message.text()
    assert text.startswith("Not stored: ")
    assert "bad_daily.csv" in text and "row" in text
    assert "Traceback" not in text
    assert window.data.find("bars/BAD.SIM/1d") is None


def test_the_pyramid_aggregates_exactly() -> None:
    series = generate_bars(10_001, seed=5)
    data = ChartData()
    data.add_series(series)
    bars = data.bars["SYN.SIM"]
    pyramid = OhlcPyramid(bars)
    raw = [c.view() for c in (bars.open, bars.high, bars.low, bars.close, bars.volume)]
    for level in (1, 3):
        size = 4**level
        first, last = 37, 9_990  # cut buckets at both ends: the last one is re-aggregated
        x, o, h, lo, c, v = pyramid.buckets(level, first, last)
        j0 = first // size
        for k in (0, len(o) // 2, len(o) - 1):
            start = (j0 + k) * size
            end = min(start + size, last)
            assert o[k] == raw[0][start]
            assert h[k] == raw[1][start:end].max()
            assert lo[k] == raw[2][start:end].min()
            assert c[k] == raw[3][end - 1]
            assert v[k] == pytest.approx(raw[4][start:end].sum())
            assert x[k] == start + (size - 1) / 2


def test_a_million_bars_draw_about_one_bucket_per_pixel(window: Any, qtbot: Any) -> None:
    data = ChartData()
    data.add_series(generate_bars(1_000_000, seed=2))
    data.bars["SYN.SIM"].revealed = 1_000_000
    chart = window.chart
    chart.set_data(data)
    chart.set_follow(False)
    chart.show_all()
    qtbot.wait(50)
    pixels = chart.candles.getViewBox().width()
    x = chart.candles.visible()[0]
    # the pyramid's levels are powers of 4: at most 4 buckets per pixel, whatever the width
    assert 0 < len(x) <= pixels * 4
    assert x[0] < 1_000 and x[-1] > 999_000  # the whole history, aggregated

    chart._set_x_range(500_000, 500_120)  # zoomed in: the bars themselves
    x, *_ = chart.candles.visible()
    assert len(x) <= 122 and np.all(np.diff(x) == 1.0)
    lo, hi = chart.price.getViewBox().viewRange()[1]
    seen_low = data.bars["SYN.SIM"].low.view()[500_000:500_121].min()
    seen_high = data.bars["SYN.SIM"].high.view()[500_000:500_121].max()
    assert lo <= seen_low and seen_high <= hi
    assert hi - lo < (seen_high - seen_low) * 1.3  # fitted to what is in view
