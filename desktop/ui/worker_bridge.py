"""Hands the background worker's events to the UI thread as Qt signals.

Worker threads never emit Qt signals themselves: they queue the event and post one plain QEvent
to wake the bridge, which emits the signals from the UI thread. (Emitting PySide signals with
Python arguments from a worker thread while the UI thread repaints stalled the window for up to
half a second in the benchmark: the two threads wait on each other's locks.) Progress events are
coalesced, so a fast download costs the UI one update per wake-up."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from desktop.jobs.job import JobEvent, Progress
from desktop.operations.sync_run import SyncResult

_WAKE = QEvent.Type(QEvent.registerEventType())


class WorkerBridge(QObject):
    """Lives in the UI thread; its signals are always emitted there."""

    sync_started = Signal(int, str)
    sync_progress = Signal(int, str, int, object)  # registry id, phase, done, total (None when unknown)
    sync_finished = Signal(object)  # SyncResult
    catalog_changed = Signal()
    job_event = Signal(int, object)  # job id, JobEvent: a dialog's own operation reporting

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._progress: dict[int, tuple[Any, ...]] = {}
        self._job_progress: dict[int, tuple[Any, ...]] = {}
        self._woken = False
        self._closed = False

    def close(self) -> None:
        """Before shutting down: late events from threads still running are dropped, so no thread
        enters Qt while the interpreter finalizes."""
        with self._lock:
            self._closed = True

    @property
    def closed(self) -> bool:
        """The app is shutting down: work that finishes now has no window to show it in."""
        with self._lock:
            return self._closed

    def deliver(self, name: str, *args: Any) -> None:
        """Called on any thread: queue the event for the UI thread."""
        with self._lock:
            if self._closed:
                return
            if name == "sync_progress":
                self._progress[args[0]] = args
            elif name == "job_event" and isinstance(args[1], Progress):
                self._job_progress[args[0]] = args
            else:
                self._pending.append((name, args))
            if self._woken:
                return
            self._woken = True
        QCoreApplication.postEvent(self, QEvent(_WAKE))

    def event(self, event: QEvent) -> bool:
        if event.type() != _WAKE:
            return super().event(event)
        self.flush()
        return True

    def flush(self) -> None:
        """Emit what is queued, in order (progress just before the events that followed it)."""
        with self._lock:
            pending, self._pending = self._pending, []
            progress, self._progress = self._progress, {}
            job_progress, self._job_progress = self._job_progress, {}
            self._woken = False
            if self._closed:
                return  # shutting down: the window's parts may already be gone
        for args in progress.values():
            registry_id = args[0]
            if any(name == "sync_finished" and a[0].registry.id == registry_id for name, a in pending):
                continue  # finished already: a late progress would resurrect the spinner
            self.sync_progress.emit(*args)
        for args in job_progress.values():
            self.job_event.emit(*args)
        for name, args in pending:
            getattr(self, name).emit(*args)


class BridgeListener:
    """The worker's listener interface, delivering through the bridge."""

    def __init__(self, bridge: WorkerBridge) -> None:
        self._bridge = bridge

    def sync_started(self, registry_id: int, trigger: str) -> None:
        self._bridge.deliver("sync_started", registry_id, trigger)

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None:
        self._bridge.deliver("sync_progress", registry_id, phase, done, total)

    def sync_finished(self, result: SyncResult) -> None:
        self._bridge.deliver("sync_finished", result)

    def catalog_changed(self) -> None:
        self._bridge.deliver("catalog_changed")

    def job_event(self, job_id: int, event: JobEvent) -> None:
        self._bridge.deliver("job_event", job_id, event)
