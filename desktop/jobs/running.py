"""The syncs in progress, one per registry: started on a pool, cancelled at once, ended exactly once
however they end (done, failed, or abandoned by a cancel while a download is stuck)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass

from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled, UserError
from desktop.jobs.futures import after, fail_if_pending, reporting
from desktop.jobs.job import PROGRESS_INTERVAL, WorkerListener
from desktop.jobs.pool import DaemonPool
from desktop.jobs.writer import USER, CatalogWriter
from desktop.operations.services import Services
from desktop.operations.sync import sync_registry
from desktop.operations.sync_run import PendingSync, SyncResult, end_sync_failed

log = logging.getLogger(__name__)


@dataclass
class _RunningSync:
    token: CancelToken
    future: Future[SyncResult]
    trigger: str
    pending: PendingSync | None = None
    progress_at: float = 0.0
    accept_removals: bool = False


class RunningSyncs:
    """`succeeded(registry_id)` is called after each sync that reached its registry (unless stopping)."""

    def __init__(
        self,
        services: Callable[[], Services],
        listener: WorkerListener,
        writer: CatalogWriter,
        pools: tuple[DaemonPool, DaemonPool],
        clock: Callable[[], float],
        succeeded: Callable[[int], None],
    ) -> None:
        self._services = services
        self._listener = listener
        self._writer = writer
        self._pool, self._background = pools
        self._clock = clock
        self._succeeded = succeeded
        self._running: dict[int, _RunningSync] = {}
        self._lock = threading.Lock()

    def triggers(self) -> dict[int, str]:
        """registry id → trigger of the syncs in progress."""
        with self._lock:
            return {registry_id: running.trigger for registry_id, running in self._running.items()}

    def start(self, registry_id: int, trigger: str, *, accept_removals: bool = False) -> Future[SyncResult]:
        """Start a sync (or return the one already running for this registry). `accept_removals`:
        apply a shrink that a previous run held — asked for while a sync that does not accept them
        runs, an accepting one follows it."""
        with self._lock:
            existing = self._running.get(registry_id)
            if existing is None:
                running = _RunningSync(CancelToken(), Future(), trigger, accept_removals=accept_removals)
                self._running[registry_id] = running
        if existing is None:
            pool = self._background if trigger == "schedule" else self._pool
            pool.submit(lambda: self._run(registry_id, running))
            return running.future
        if accept_removals and not existing.accept_removals:
            return after(existing.future, lambda: self.start(registry_id, trigger, accept_removals=True))
        return existing.future

    def cancel(self, registry_id: int) -> None:
        with self._lock:
            running = self._running.get(registry_id)
        if running is not None:
            running.token.cancel()

    def cancel_all(self) -> None:
        with self._lock:
            running = list(self._running.values())
        for each in running:
            each.token.cancel()

    def _run(self, registry_id: int, running: _RunningSync) -> None:
        def started(pending: PendingSync) -> None:
            running.pending = pending
            self._listener.sync_started(registry_id, running.trigger)
            # A cancel ends the run at once, even if the download is stuck where a cancel cannot
            # reach (a name being resolved): its late result then writes nothing.
            running.token.on_cancel(lambda: self._abandon(registry_id, running))

        def progress(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if phase == "download" and now - running.progress_at < PROGRESS_INTERVAL:
                return
            running.progress_at = now
            self._listener.sync_progress(registry_id, phase, done, total)

        try:
            result = sync_registry(
                self._services(),
                registry_id,
                running.trigger,
                cancel=running.token,
                progress=progress,
                started=started,
                accept_removals=running.accept_removals,
            )
        except BaseException as exc:  # the registry is gone, or the worker is closing
            if not isinstance(exc, UserError):
                log.exception("sync of registry %s failed unexpectedly", registry_id)
            self._forget(registry_id, running)
            fail_if_pending(running.future, exc)
            return
        self._end(registry_id, running, result)

    def _abandon(self, registry_id: int, running: _RunningSync) -> None:
        pending = running.pending
        if pending is None or running.future.done():
            return

        def end() -> None:
            cancelled = OperationCancelled("Cancelled by the user.")
            self._end(registry_id, running, end_sync_failed(self._writer.db, pending, cancelled, self._clock()))

        with contextlib.suppress(OperationCancelled):  # closing: marked interrupted at the next start
            self._writer.put(USER, reporting(end, None))

    def _end(self, registry_id: int, running: _RunningSync, result: SyncResult) -> None:
        self._forget(registry_id, running)
        try:  # outside the lock: the future's callbacks may start the next sync
            running.future.set_result(result)
        except InvalidStateError:
            return  # the run's other end (a cancel, or the download after it) came first
        self._listener.sync_finished(result)
        self._listener.catalog_changed()
        if result.ok and not self._writer.stopping.is_set():
            self._succeeded(registry_id)

    def _forget(self, registry_id: int, running: _RunningSync) -> None:
        with self._lock:
            if self._running.get(registry_id) is running:  # not a later sync of the same registry
                del self._running[registry_id]
