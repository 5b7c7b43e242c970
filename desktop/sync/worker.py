"""The desktop app's background sync thread: it owns the catalog's only writer connection, runs
the schedule, and fetches on short-lived daemon threads so no download can hold up a write.

Qt-free: the window hears about progress through a `WorkerListener` whose methods are called on
worker threads (the Qt bridge re-emits them as signals)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef, cached_archive, missing_offline, store_archive
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import ensure_name_free, find_registry_by_uid, get_registry_by_id, list_registries
from desktop.catalog.settings_store import load_settings, save_settings
from desktop.catalog.sync_records import mark_interrupted_runs, sync_state
from desktop.errors import CancelledError, UserError
from desktop.helm.chart_archive import ChartFiles, read_chart_files
from desktop.net.settings import network_settings
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from desktop.sync.chart_content import ArchiveSource, archive_source, download_archive
from desktop.sync.engine import (
    PreparedRegistration,
    SyncEngine,
    SyncResult,
    SyncTicket,
    check_edit,
    discard_registration,
    fetch_for_sync,
    prepare_registration,
    store_edited_password,
)
from desktop.sync.fetch import FetchedIndex, ProgressCallback
from desktop.sync.schedule import next_sync_at

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEDULE_CHECK_SECONDS = 60.0
PROGRESS_INTERVAL = 0.1


class WorkerListener(Protocol):
    """Called on worker threads; implementations must hand over to their own thread."""

    def sync_started(self, registry_id: int, trigger: str) -> None: ...

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None: ...

    def sync_finished(self, result: SyncResult) -> None: ...

    def catalog_changed(self) -> None: ...


@dataclass
class _RunningSync:
    token: CancelToken
    future: Future[SyncResult]
    trigger: str
    progress_at: float = 0.0
    abandoned: bool = False


@dataclass(order=True)
class _Job:
    priority: int
    sequence: int
    action: Callable[[], None] = field(compare=False)


USER, SYSTEM = 0, 1  # user-started writes go before the schedule's


class CatalogWorker:
    def __init__(
        self,
        catalog_path: Path,
        credentials: CredentialStore,
        listener: WorkerListener,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._catalog_path = catalog_path
        self._credentials = credentials
        self._listener = listener
        self._clock = clock
        self._jobs: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._running: dict[int, _RunningSync] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._engine: SyncEngine | None = None
        self._settings = TenantSettings()
        self._schedule_enabled = True
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._fetching: set[tuple[int, str, str]] = set()  # writer thread only

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, *, schedule: bool = True) -> None:
        """Start the thread; raises what opening the catalog raised (a newer schema, say)."""
        self._schedule_enabled = schedule
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel what runs, finish the write in progress, close the catalog. True when the thread
        ended in time (a download still blocked is simply abandoned: it writes nothing)."""
        self._stopping.set()
        with self._lock:
            for running in self._running.values():
                running.token.cancel()
        self._put(USER, lambda: None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def settings(self) -> TenantSettings:
        return self._settings

    def running(self) -> dict[int, str]:
        """registry id → trigger of the syncs in progress."""
        with self._lock:
            return {registry_id: running.trigger for registry_id, running in self._running.items()}

    # --- jobs ---------------------------------------------------------------------------------

    def register(
        self, draft: RegistryDraft, cancel: CancelToken, progress: ProgressCallback | None = None
    ) -> Future[SyncResult]:
        """Validate and snapshot a new registry; the future fails with the user-facing error, or
        at once with CancelledError when `cancel` is set (a fetch still running is abandoned).
        `progress` is called on a fetch thread."""
        outcome: Future[SyncResult] = Future()
        cancel.on_cancel(lambda: _fail_if_pending(outcome, CancelledError()))

        def check() -> None:
            draft_checked = self._engine_now().check_new(draft)
            self._spawn(lambda: fetch(draft_checked), outcome)

        def fetch(checked: RegistryDraft) -> None:
            network = network_settings(self._settings)
            prepared = prepare_registration(checked, self._credentials, network, cancel, progress)
            if outcome.done():  # cancelled while fetching: forget the password just stored
                discard_registration(prepared, self._credentials)
                return
            self._put(USER, lambda: commit(prepared), outcome)

        def commit(prepared: PreparedRegistration) -> None:
            try:
                if outcome.done():
                    raise CancelledError()
                result = self._engine_now().commit_registration(prepared, cancel)
            except BaseException:
                self._spawn(lambda: discard_registration(prepared, self._credentials), None)
                raise
            _resolve_if_pending(outcome, result)
            self._listener.catalog_changed()

        self._put(USER, check, outcome)
        return outcome

    def update(self, registry_id: int, draft: RegistryDraft, cancel: CancelToken) -> Future[Registry]:
        outcome: Future[Registry] = Future()
        cancel.on_cancel(lambda: _fail_if_pending(outcome, CancelledError()))

        def check() -> None:
            engine = self._engine_now()
            registry = get_registry_by_id(engine.db, registry_id)
            cleaned = draft.cleaned()
            ensure_name_free(engine.db, cleaned.name, except_id=registry_id)
            self._spawn(lambda: fetch(registry, cleaned), outcome)

        def fetch(registry: Registry, cleaned: RegistryDraft) -> None:
            check_edit(registry, cleaned, self._credentials, network_settings(self._settings), cancel)
            if outcome.done():
                return
            store_edited_password(registry, cleaned, self._credentials)
            self._put(USER, lambda: save(registry, cleaned), outcome)

        def save(registry: Registry, cleaned: RegistryDraft) -> None:
            _resolve_if_pending(outcome, self._engine_now().save_edit(registry, cleaned))
            self._listener.catalog_changed()

        self._put(USER, check, outcome)
        return outcome

    def remove(self, registry_id: int) -> Future[None]:
        def remove(engine: SyncEngine) -> None:
            self.cancel_sync(registry_id)
            engine.remove(get_registry_by_id(engine.db, registry_id))

        return self.call(remove)

    def save_settings(self, settings: TenantSettings) -> Future[None]:
        def save(engine: SyncEngine) -> None:
            save_settings(engine.db, settings)
            self._settings = settings

        return self.call(save)

    def call(self, action: Callable[[SyncEngine], T]) -> Future[T]:
        """Run `action(engine)` on the writer thread: for writes other modules own (profiles)."""
        outcome: Future[T] = Future()

        def run() -> None:
            outcome.set_result(action(self._engine_now()))
            self._listener.catalog_changed()

        self._put(USER, run, outcome)
        return outcome

    def chart_files(
        self, registry_id: int, chart: str, version: str, cancel: CancelToken | None = None
    ) -> Future[ChartFiles]:
        """A chart version's files: from the content cache, else downloaded (and then cached)."""
        outcome: Future[ChartFiles] = Future()

        def locate() -> None:
            engine = self._engine_now()
            registry = get_registry_by_id(engine.db, registry_id)
            # The cache first: a version removed upstream is no longer in the snapshot, but its
            # kept archive still is here.
            cached = cached_archive(engine.db, ChartRef(registry.uid, chart, version))
            if cached is not None:
                _resolve_if_pending(outcome, read_chart_files(cached))
                return
            source = archive_source(engine.db, registry, chart, version)
            self._spawn(lambda: download(registry, source), outcome)

        def download(registry: Registry, source: ArchiveSource) -> None:
            data = download_archive(registry, source, self._credentials, network_settings(self._settings), cancel)
            self._put(USER, lambda: store(source, data), outcome)

        def store(source: ArchiveSource, data: bytes) -> None:
            store_archive(self._engine_now().db, source.ref, source.digest, data, self._clock())
            _resolve_if_pending(outcome, read_chart_files(data))

        self._put(USER, locate, outcome)
        return outcome

    def keep_offline(self) -> None:
        """Fetch, in the background, every pinned or profile-used version not yet cached; a
        registry that cannot be reached is tried again after its next sync."""

        def find() -> None:
            engine = self._engine_now()
            for ref in missing_offline(engine.db):
                registry = find_registry_by_uid(engine.db, ref.registry_uid)
                if registry is None or (registry.id, ref.chart, ref.version) in self._fetching:
                    continue
                try:
                    source = archive_source(engine.db, registry, ref.chart, ref.version)
                except UserError:
                    continue  # no longer in the snapshot: the layer is flagged, nothing to fetch
                self._fetching.add((registry.id, ref.chart, ref.version))
                self._spawn(lambda registry=registry, source=source: download(registry, source), None)

        def download(registry: Registry, source: ArchiveSource) -> None:
            key = (registry.id, source.ref.chart, source.ref.version)
            try:
                data = download_archive(registry, source, self._credentials, network_settings(self._settings))
            except UserError as exc:
                log.info("could not keep %s %s offline yet: %s", source.ref.chart, source.ref.version, exc)
                self._put(SYSTEM, lambda: self._fetching.discard(key))
                return
            self._put(SYSTEM, lambda: store(key, source, data))

        def store(key: tuple[int, str, str], source: ArchiveSource, data: bytes) -> None:
            self._fetching.discard(key)
            store_archive(self._engine_now().db, source.ref, source.digest, data, self._clock())
            self._listener.catalog_changed()

        self._put(SYSTEM, find)

    def sync(self, registry_id: int, trigger: str = "manual") -> Future[SyncResult]:
        """Start a sync (or return the one already running for this registry)."""
        with self._lock:
            existing = self._running.get(registry_id)
            if existing is not None:
                return existing.future
            running = _RunningSync(CancelToken(), Future(), trigger)
            self._running[registry_id] = running
        self._put(USER if trigger != "schedule" else SYSTEM, lambda: self._begin_sync(registry_id, running))
        return running.future

    def cancel_sync(self, registry_id: int) -> None:
        with self._lock:
            running = self._running.get(registry_id)
        if running is not None:
            running.token.cancel()

    # --- the sync pipeline ------------------------------------------------------------------------

    def _begin_sync(self, registry_id: int, running: _RunningSync) -> None:
        engine = self._engine_now()
        try:
            registry = get_registry_by_id(engine.db, registry_id)
        except UserError as exc:
            self._forget(registry_id)
            running.future.set_exception(exc)
            return
        ticket = engine.begin_sync(registry, running.trigger)
        self._listener.sync_started(registry_id, running.trigger)

        def progress(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if phase == "download" and now - running.progress_at < PROGRESS_INTERVAL:
                return
            running.progress_at = now
            self._listener.sync_progress(registry_id, phase, done, total)

        def fetch() -> None:
            try:
                fetched = fetch_for_sync(
                    ticket, self._credentials, network_settings(self._settings), running.token, progress
                )
            except BaseException as exc:
                if not running.abandoned:
                    failure = exc  # the except block unbinds `exc`; the job runs later
                    self._put(USER, lambda: self._end_sync(ticket, running, None, failure))
                return
            if not running.abandoned:
                self._put(USER, lambda: self._end_sync(ticket, running, fetched, None))

        # A cancel ends the run now, even if the fetch thread is stuck waiting on a silent server.
        def abandon() -> None:
            running.abandoned = True
            self._put(USER, lambda: self._end_sync(ticket, running, None, CancelledError()))

        threading.Thread(target=fetch, name=f"fetch-{registry_id}", daemon=True).start()
        running.token.on_cancel(abandon)

    def _end_sync(
        self, ticket: SyncTicket, running: _RunningSync, fetched: FetchedIndex | None, error: BaseException | None
    ) -> None:
        if running.future.done():
            return
        engine = self._engine_now()
        if fetched is not None and not running.token.cancelled:
            result = engine.finish_sync(ticket, fetched, running.token)
        else:
            failure = error if error is not None else CancelledError()
            if running.token.cancelled:
                failure = CancelledError("Cancelled by the user.")
            elif not isinstance(failure, UserError):
                log.error("sync of %s failed unexpectedly", ticket.registry.name, exc_info=failure)
            result = engine.fail_sync(ticket, failure)
        self._forget(ticket.registry.id)
        running.future.set_result(result)
        self._listener.sync_finished(result)
        self._listener.catalog_changed()
        if result.ok:
            self.keep_offline()  # the registry answers: fetch what profiles and pins still lack

    def _forget(self, registry_id: int) -> None:
        with self._lock:
            self._running.pop(registry_id, None)

    # --- the writer thread ------------------------------------------------------------------------

    def _engine_now(self) -> SyncEngine:
        assert self._engine is not None, "called off the writer thread"
        return self._engine

    def _put(self, priority: int, action: Callable[[], None], outcome: Future[Any] | None = None) -> None:
        self._jobs.put(_Job(priority, next(self._sequence), _reporting(action, outcome)))

    def _spawn(self, action: Callable[[], None], outcome: Future[Any] | None) -> None:
        """Network and keyring work, off the writer thread."""
        threading.Thread(target=_reporting(action, outcome), name="fetch", daemon=True).start()

    def _run(self) -> None:
        try:
            db = open_catalog(self._catalog_path)
            mark_interrupted_runs(db)
            self._settings = load_settings(db)
            self._engine = SyncEngine(db, self._credentials, network_settings(self._settings), self._clock)
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stopping.is_set():
                wait = self._schedule_due() if self._schedule_enabled else SCHEDULE_CHECK_SECONDS
                try:
                    job = self._jobs.get(timeout=max(0.05, wait))
                except queue.Empty:
                    continue
                job.action()
            self._drain()
        finally:
            db.close()

    def _drain(self) -> None:
        """On stop: finish the writes already queued (a cancelled run gets recorded as such)."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            job.action()

    def _schedule_due(self) -> float:
        """Start the syncs that are due; return how long to wait before looking again."""
        engine = self._engine_now()
        now = self._clock()
        interval = self._settings.sync_interval_seconds
        running = self.running()
        soonest = SCHEDULE_CHECK_SECONDS
        for registry in list_registries(engine.db):
            if registry.id in running:
                continue
            due = next_sync_at(sync_state(engine.db, registry.id), interval, enabled=registry.sync_enabled)
            if due is None:
                continue
            if due <= now:
                self.sync(registry.id, "schedule")
            else:
                soonest = min(soonest, due - now)
        return soonest


def _fail_if_pending(future: Future[Any], error: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_exception(error)


def _resolve_if_pending(future: Future[T], value: T) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_result(value)


def _reporting(action: Callable[[], None], outcome: Future[Any] | None) -> Callable[[], None]:
    """`action`, with its failure handed to `outcome` (user errors) or the log (bugs)."""

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            if outcome is None or not isinstance(exc, UserError):
                log.exception("background job failed")
            if outcome is not None:
                _fail_if_pending(outcome, exc)

    return run
