"""Notices catalog changes made outside this window (the CLI in another process) and reloads the tabs."""

from __future__ import annotations

import logging
import sqlite3

from PySide6.QtCore import QObject, QTimer

from desktop.catalog.db import data_version
from desktop.ui.worker_bridge import WorkerBridge

log = logging.getLogger(__name__)
WATCH_INTERVAL_MS = 2000


class CatalogWatch(QObject):
    """Asks SQLite's `PRAGMA data_version` (one cheap read, no query of the tables) on a timer and when
    the window is activated: it changes when another connection has committed, this app's worker or
    another process. A change the worker already announced is not announced twice."""

    def __init__(self, reader: sqlite3.Connection, bridge: WorkerBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._bridge = bridge
        self._seen = self._version()
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        bridge.catalog_changed.connect(self._on_announced)
        self.timer.start()

    def _version(self) -> int | None:
        return data_version(self._reader)  # None when the catalog went away: the tabs' own reads say so

    def _on_announced(self) -> None:
        self._seen = self._version()

    def check(self) -> bool:
        """Reload the tabs (through the bridge's catalog_changed) when the catalog changed unannounced."""
        version = self._version()
        if version is None or version == self._seen:
            return False
        self._seen = version
        self._bridge.catalog_changed.emit()
        return True

    def stop(self) -> None:
        self.timer.stop()
