"""Blotters sort and filter through their proxies; layout, theme, strategy and speed persist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from app.gui.runs import DONE


def test_blotters_sort_and_filter(window: Any, wait_run: Callable[..., None]) -> None:
    run = window.start_selected_strategy()
    assert run is not None
    wait_run(run, DONE)
    table = window.blotter_tables["Fills"]
    view, proxy, model = table.table, table.table.proxy, table.table.source
    total = model.rowCount()
    assert total > 50
    assert table.count.text() == f"{total:,} rows"

    price_column = [c.title for c in model.columns].index("Price")
    view.sortByColumn(price_column, Qt.SortOrder.DescendingOrder)
    prices = [proxy.source_row(r).px_raw for r in range(proxy.rowCount())]
    assert prices == sorted(prices, reverse=True)
    assert prices[0] > prices[-1]
    view.sortByColumn(price_column, Qt.SortOrder.AscendingOrder)
    assert proxy.source_row(0).px_raw == min(prices)

    # numbers sort as numbers, not text ("10" after "9")
    qty_column = [c.title for c in model.columns].index("Time")
    view.sortByColumn(qty_column, Qt.SortOrder.AscendingOrder)
    stamps = [proxy.source_row(r).ts for r in range(proxy.rowCount())]
    assert stamps == sorted(stamps)

    table.filter.setText("sell")
    shown = [proxy.source_row(r) for r in range(proxy.rowCount())]
    sells = [f for f in model.rows if f.side == "SELL"]
    assert len(shown) == len(sells) and 0 < len(sells) < total
    assert all(f.side == "SELL" for f in shown)
    assert table.count.text() == f"{len(sells):,} of {total:,} rows"
    table.filter.clear()
    assert proxy.rowCount() == total

    orders = window.blotter_tables["Orders"]
    orders.filter.setText("FILLED")
    assert orders.table.proxy.rowCount() > 0
    assert all(
        orders.table.proxy.source_row(r).status == "FILLED"
        for r in range(orders.table.proxy.rowCount())
    )


def test_layout_theme_strategy_and_speed_persist(make_window: Callable[..., Any]) -> None:
    first = make_window()
    assert first.theme_name == "dark"
    first.set_theme("light")
    first.docks["Fills"].close()
    first.removeDockWidget(first.docks["Data manager"])
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.docks["Data manager"])
    first.docks["Data manager"].show()
    first.manager.select_template("ema_cross")
    first.manager.form.set_field_text("fast", "7")
    first.manager.form.set_field_text("slow", "21")
    run = first.start_selected_strategy()
    assert run is not None
    first.replay.set_speed(100.0)
    first.close()

    second = make_window()
    assert second.theme_name == "light"
    assert second.theme_actions["light"].isChecked()
    assert not second.docks["Fills"].isVisible()
    assert second.docks["Orders"].isVisible()
    assert (
        second.dockWidgetArea(second.docks["Data manager"]) == Qt.DockWidgetArea.RightDockWidgetArea
    )
    assert second.manager.current_spec().name == "ema_cross"
    assert second.manager.form.params() == {"fast": "7", "slow": "21"}
    assert second.replay.speed == 100.0

    second.reset_layout()
    assert second.docks["Fills"].isVisible()
    assert (
        second.dockWidgetArea(second.docks["Data manager"])
        == Qt.DockWidgetArea.BottomDockWidgetArea
    )
