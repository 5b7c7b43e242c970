"""How long the UI thread's event loop went without running, from the gaps of a 10 ms timer on it."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

INTERVAL_MS = 10


class StallMeter:
    """Start it on the UI thread before the work, stop it after; `report()` says the worst gap."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def report(self) -> str:
        """`longest stall N ms over T ticks; 99th percentile P ms` (the timer's own 10 ms taken off)."""
        interval = INTERVAL_MS / 1000
        worst = max(self.gaps) - interval
        p99 = sorted(self.gaps)[int(len(self.gaps) * 0.99)] - interval
        return f"longest stall {worst * 1000:.0f} ms over {len(self.gaps)} ticks; 99th percentile {p99 * 1000:.0f} ms"
