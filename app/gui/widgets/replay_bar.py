"""Replay controls under the chart: play, pause, step, speed, a scrubber, progress, cancel.

They act on the selected run's pacer; the speed also applies to the next backtest started.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSlider,
    QToolButton,
    QWidget,
)

from app.gui.formatting import timestamp
from app.gui.replay import SPEEDS, ReplayPacer, speed_label
from app.gui.runs import PAPER_RUNNING, REPLAYING, STATE_TEXT, STOPPED, StrategyRun

SCRUB_STEPS = 10_000


def total_rows(run: StrategyRun) -> int:
    return sum(len(s) for s in run.series)


class ReplayBar(QWidget):
    speed_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: StrategyRun | None = None
        self.play_button = QToolButton()
        self.play_button.setToolTip("Play (Space)")
        self.play_button.clicked.connect(self.play)
        self.pause_button = QToolButton()
        self.pause_button.setToolTip("Pause (Space)")
        self.pause_button.clicked.connect(self.pause)
        self.step_button = QToolButton()
        self.step_button.setToolTip("Step one bar (pauses)")
        self.step_button.clicked.connect(self.step)
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(speed_label(speed), speed)
        self.speed_box.setToolTip(
            "Replay speed as a multiple of market time (100×: 100 s of market a second); "
            "max: as fast as the engine goes"
        )
        self.speed_box.setCurrentIndex(len(SPEEDS) - 1)
        self.speed_box.currentIndexChanged.connect(self._on_speed_box_changed)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, SCRUB_STEPS)
        self.scrubber.setToolTip("Drag to move the replay (back: it replays again from the start)")
        self.scrubber.sliderReleased.connect(self._on_scrubber_released)
        self.time_label = QLabel("no replay")
        self.time_label.setMinimumWidth(150)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFixedWidth(130)
        self.cancel_button = QToolButton()
        self.cancel_button.setToolTip("Cancel the backtest (its results so far are kept)")
        self.cancel_button.clicked.connect(self.cancel)
        box = QHBoxLayout(self)
        box.setContentsMargins(4, 2, 4, 2)
        for w in (self.play_button, self.pause_button, self.step_button):
            box.addWidget(w)
        box.addWidget(QLabel("Speed"))
        box.addWidget(self.speed_box)
        box.addWidget(self.scrubber, 1)
        box.addWidget(self.time_label)
        box.addWidget(self.progress)
        box.addWidget(self.cancel_button)
        self.refresh()

    @property
    def speed(self) -> float:
        return float(self.speed_box.currentData())

    def set_speed(self, speed: float) -> None:
        at = self.speed_box.findData(speed)
        if at >= 0:
            self.speed_box.setCurrentIndex(at)

    def set_run(self, run: StrategyRun | None) -> None:
        self.run = run
        self.refresh()

    # commands ----------------------------------------------------------------------------------
    def play(self) -> None:
        pacer = self._pacer()
        if pacer is not None:
            pacer.play()
        self.refresh()

    def pause(self) -> None:
        pacer = self._pacer()
        if pacer is not None:
            pacer.pause()
        self.refresh()

    def toggle(self) -> None:
        pacer = self._pacer()
        if pacer is not None:
            (pacer.play if pacer.paused else pacer.pause)()
        self.refresh()

    def step(self) -> None:
        pacer = self._pacer()
        if pacer is not None:
            pacer.step()
        self.refresh()

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def _pacer(self) -> ReplayPacer | None:
        run = self.run
        if run is None or run.pacer is None or run.state != REPLAYING:
            return None
        return run.pacer

    def _on_speed_box_changed(self) -> None:
        pacer = self._pacer()
        if pacer is not None:
            pacer.set_speed(self.speed)
        self.speed_changed.emit(self.speed)

    def _on_scrubber_released(self) -> None:
        run = self.run
        if run is None or run.pacer is None:
            return
        event_ts = run.event_times
        if len(event_ts) == 0:
            return
        i = min(len(event_ts) - 1, round(self.scrubber.value() / SCRUB_STEPS * (len(event_ts) - 1)))
        run.seek(int(event_ts[i]))

    # display -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        run = self.run
        replaying = run is not None and run.state == REPLAYING
        pacer = self._pacer()
        self.play_button.setEnabled(pacer is not None and pacer.paused)
        self.pause_button.setEnabled(pacer is not None and not pacer.paused)
        self.step_button.setEnabled(pacer is not None)
        self.cancel_button.setEnabled(replaying)
        self.scrubber.setEnabled(run is not None and run.pacer is not None)
        if run is None:
            self.time_label.setText("no replay")
            self.progress.setValue(0)
            self.progress.setFormat("")
            return
        if run.state in (PAPER_RUNNING, STOPPED):
            live = sum(len(b) for b in run.chart.bars.values()) - total_rows(run)
            if self.progress.format() != "live":
                self.progress.setValue(1000)
                self.progress.setFormat("live")
            self.time_label.setText(f"{STATE_TEXT[run.state]} · {live:,} live bars")
            return
        done, total = run.progress
        fraction = done / total if total else 0.0
        value = round(fraction * 1000)
        if value != self.progress.value():  # a progress bar repaint costs ~2 ms: per change only
            self.progress.setValue(value)
            self.progress.setFormat(f"{done:,} / {total:,}")
        if not self.scrubber.isSliderDown():
            self.scrubber.setValue(round(fraction * SCRUB_STEPS))
        if run.pacer is not None and done:
            state = "paused" if run.pacer.paused and replaying else run.state
            self.time_label.setText(f"{timestamp(run.pacer.position_ts)} · {state}")
        else:
            self.time_label.setText(run.state)
