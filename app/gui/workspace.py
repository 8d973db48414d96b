"""The workstation's state behind the panels: data, strategy files, runs, and their traffic.

Panels call the workspace (start a strategy, load a file, switch a run to paper) and listen to
its signals and to the bridge; the workspace owns the worker threads and routes each engine
message to the run it belongs to.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.gui.bridge import EngineBridge, OrderUpdate
from app.gui.data_store import Dataset, DataStore
from app.gui.messages import AppNote, ReplayProgress
from app.gui.runs import RunSettings, StrategyRun
from app.market_setup import parse_fee, parse_fill, parse_slippage
from core.events import OrderFilled, PositionChanged, StrategyFaulted
from strategies import TEMPLATES, TemplateSpec, build_config, load_strategy_file


class Workspace(QObject):
    run_added = Signal(object)  # StrategyRun
    run_changed = Signal(object)
    run_restarted = Signal(object)
    user_strategies_changed = Signal()

    def __init__(
        self,
        bridge: EngineBridge,
        data: DataStore,
        journal_path: Path | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.data = data
        self.journal_path = journal_path
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="backtest")
        self.runs: dict[str, StrategyRun] = {}
        self.user_specs: dict[str, tuple[Path, TemplateSpec]] = {}
        bridge.subscribe(ReplayProgress, self._on_progress)
        bridge.subscribe(OrderUpdate, self._on_orders)
        bridge.subscribe(PositionChanged, self._on_positions)
        bridge.subscribe(StrategyFaulted, self._on_faults)

    # strategies -----------------------------------------------------------------------------
    @property
    def templates(self) -> dict[str, TemplateSpec]:
        return dict(TEMPLATES)

    def load_strategy_file(self, path: Path) -> TemplateSpec:
        """Import a user's strategy file (ValueError with a readable message otherwise); a file
        loaded again replaces its earlier version."""
        spec = load_strategy_file(path)
        self.user_specs[str(path.resolve())] = (path, spec)
        self.user_strategies_changed.emit()
        return spec

    def note(self, source: str, text: str, level: str = "INFO") -> None:
        self.bridge.post(AppNote(time.time_ns(), source, level, text))

    # runs -------------------------------------------------------------------------------------
    def create_run(
        self,
        spec: TemplateSpec,
        params: dict[str, str],
        datasets: Sequence[Dataset],
        settings: RunSettings,
    ) -> StrategyRun:
        """Validate everything a run needs and build it (ValueError, one readable line, and no
        run when a parameter, a setting or the data does not fit)."""
        if len(datasets) != spec.n_instruments:
            raise ValueError(
                f"{spec.name} trades {spec.n_instruments} instrument(s): choose "
                f"{', '.join(spec.instrument_fields)}"
            )
        instrument_ids = [d.instrument_id for d in datasets]
        if len(set(instrument_ids)) != len(instrument_ids):
            raise ValueError("choose a different instrument for each instrument field")
        if spec.data_kind != "any":
            for d in datasets:
                if d.kind != spec.data_kind:
                    raise ValueError(
                        f"{spec.name} needs {spec.data_kind}, but {d.label} is {d.kind}"
                    )
        config = build_config(spec, instrument_ids, params)
        parse_fee(settings.fee)
        parse_slippage(settings.slippage)
        parse_fill(settings.fill)
        settings.venue()
        settings.allocation()
        if settings.paper_bar_seconds <= 0:
            raise ValueError("the paper feed's bar length must be positive")
        series = [self.data.load(d) for d in datasets]
        run_id = self._free_id(spec.name)
        run = StrategyRun(
            run_id=run_id,
            spec=spec,
            config=config,
            params=dict(params),
            dataset_labels=[d.label for d in datasets],
            series=series,
            settings=settings,
            bridge=self.bridge,
            executor=self.executor,
            journal_path=self.journal_path,
        )
        self.runs[run_id] = run
        run.changed.connect(lambda: self.run_changed.emit(run))
        run.restarted.connect(lambda: self.run_restarted.emit(run))
        self.run_added.emit(run)
        return run

    def _free_id(self, name: str) -> str:
        if name not in self.runs:
            return name
        n = 2
        while f"{name}-{n}" in self.runs:
            n += 1
        return f"{name}-{n}"

    def shutdown(self) -> None:
        """Cancel every replay, end every paper session (journaled), wait for the workers."""
        for run in self.runs.values():
            run.stop_now()
        self.executor.shutdown(wait=True)

    # routing ----------------------------------------------------------------------------------
    def _on_progress(self, batch: list[ReplayProgress]) -> None:
        for progress in batch:
            run = self.runs.get(progress.run_id)
            if run is not None:
                run.on_progress(progress)

    def _on_orders(self, batch: list[OrderUpdate]) -> None:
        fills: dict[str, list[OrderFilled]] = {}
        for update in batch:
            event = update.event
            if isinstance(event, OrderFilled):
                fills.setdefault(event.strategy_id, []).append(event)
        for run_id, run_fills in fills.items():
            run = self.runs.get(run_id)
            if run is not None:
                run.on_fills(run_fills)

    def _on_positions(self, batch: list[PositionChanged]) -> None:
        changes: dict[str, list[PositionChanged]] = {}
        for event in batch:
            changes.setdefault(event.strategy_id, []).append(event)
        for run_id, events in changes.items():
            run = self.runs.get(run_id)
            if run is not None:
                run.on_positions(events)

    def _on_faults(self, batch: list[StrategyFaulted]) -> None:
        for fault in batch:
            run = self.runs.get(fault.strategy_id)
            if run is not None:
                run.on_fault(fault)
