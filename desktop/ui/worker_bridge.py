"""Hands the sync thread's events to the UI thread as Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.sync.engine import SyncResult


class WorkerBridge(QObject):
    """A WorkerListener living in the UI thread: its methods run on worker threads and only emit,
    and Qt queues each emission to the receivers in the UI thread."""

    sync_started = Signal(int, str)
    sync_progress = Signal(int, str, int, object)  # registry id, phase, done, total (None when unknown)
    sync_finished = Signal(object)  # SyncResult
    catalog_changed = Signal()

    def sync_started_event(self, registry_id: int, trigger: str) -> None:
        self.sync_started.emit(registry_id, trigger)

    def sync_progress_event(self, registry_id: int, phase: str, done: int, total: int | None) -> None:
        self.sync_progress.emit(registry_id, phase, done, total)

    def sync_finished_event(self, result: SyncResult) -> None:
        self.sync_finished.emit(result)

    def catalog_changed_event(self) -> None:
        self.catalog_changed.emit()


class BridgeListener:
    """Adapts the bridge to the worker's listener interface (whose names are the signals')."""

    def __init__(self, bridge: WorkerBridge) -> None:
        self._bridge = bridge

    def sync_started(self, registry_id: int, trigger: str) -> None:
        self._bridge.sync_started_event(registry_id, trigger)

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None:
        self._bridge.sync_progress_event(registry_id, phase, done, total)

    def sync_finished(self, result: SyncResult) -> None:
        self._bridge.sync_finished_event(result)

    def catalog_changed(self) -> None:
        self._bridge.catalog_changed_event()
