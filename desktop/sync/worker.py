"""The desktop app's background worker: the one thread that owns the catalog's writer connection, a
bounded pool that runs operations (their network steps there, their catalog steps handed to the
writer), and the sync schedule.

Qt-free: the window hears about progress through a `WorkerListener` whose methods are called on
worker threads (the Qt bridge re-emits them as signals)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from desktop.bundle.registry_push import PushSummary
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import list_registries
from desktop.catalog.settings_store import load_settings
from desktop.catalog.sync_records import mark_interrupted_runs
from desktop.errors import OperationCancelled, UserError
from desktop.helm.chart_archive import ChartFiles
from desktop.operations.bundle_export import (
    ExportPlan,
    ExportResult,
    ExportSelection,
    export_bundle,
    plan_bundle_export,
)
from desktop.operations.bundle_import import ImportSummary, import_bundle
from desktop.operations.bundle_publish import OciTarget, push_bundle
from desktop.operations.chart_files import (
    OfflineCopyRemoval,
    chart_files,
    clear_unused_cache,
    keep_offline,
    kept_chart_provenance,
    pin_version,
    remove_offline_copy,
    unpin_version,
)
from desktop.operations.chart_icons import IconReport, fetch_icons
from desktop.operations.chart_render import LayerOutput, render_layers
from desktop.operations.helm_import import ImportOutcome, import_from_helm
from desktop.operations.profiles import (
    ImportResult,
    ProfileExport,
    apply_profile_import,
    delete_profile,
    export_profile,
    plan_profile_import,
    save_profile,
)
from desktop.operations.prune import prune_registry
from desktop.operations.reachability import Reachability, probe
from desktop.operations.registries import edit_registry, register_registry, remove_registry
from desktop.operations.services import Services
from desktop.operations.settings import save_tenant_settings
from desktop.operations.subscriptions import subscribe
from desktop.operations.sync import sync_registry
from desktop.operations.sync_run import PendingSync, SyncResult, end_sync_failed
from desktop.paths import trusted_keys_beside
from desktop.profiles.model import Profile
from desktop.profiles.palette_import import Choices, ImportPlan
from desktop.profiles.schema_process import SchemaChecks
from desktop.profiles.values import ValuesProblem
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from desktop.sync.pool import DaemonPool
from desktop.sync.schedule import due_registries
from desktop.trust.openpgp import Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEDULE_CHECK_SECONDS = 60.0
ICON_CATCH_UP_DELAY = 10.0  # seconds after start: the window's first moments are the user's
ICON_PACE = 0.01  # seconds between icons in the background
PROGRESS_INTERVAL = 0.1
POOL_SIZE = 4  # threads for what the user asked for
BACKGROUND_POOL_SIZE = 2  # and for work nobody waits on
RENDER_POOL_SIZE = 2  # renders of the layers being edited: a profile's, and the one being typed into


class WorkerListener(Protocol):
    """Called on worker threads; implementations must hand over to their own thread."""

    def sync_started(self, registry_id: int, trigger: str) -> None: ...

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None: ...

    def sync_finished(self, result: SyncResult) -> None: ...

    def catalog_changed(self) -> None: ...

    def job_event(self, job_id: int, kind: str, payload: object) -> None: ...


@dataclass(frozen=True)
class Job(Generic[T]):
    """A user's operation in the background: its id (for its `job_event`s), its result, its cancel."""

    id: int
    future: Future[T]
    cancel: CancelToken


@dataclass
class _RunningSync:
    token: CancelToken
    future: Future[SyncResult]
    trigger: str
    pending: PendingSync | None = None
    progress_at: float = 0.0
    accept_removals: bool = False


@dataclass(order=True)
class _WriterJob:
    priority: int
    sequence: int
    action: Callable[[], None] = field(compare=False)


USER, SYSTEM = 0, 1  # user-started writes go before the schedule's


class BackgroundWorker:
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
        self._jobs: queue.PriorityQueue[_WriterJob] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._job_ids = itertools.count(1)
        self._running: dict[int, _RunningSync] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)
        self._pool = DaemonPool(POOL_SIZE)
        self._background = DaemonPool(BACKGROUND_POOL_SIZE, "background")
        self._checking = DaemonPool(1, "schema-check")
        self._rendering = DaemonPool(RENDER_POOL_SIZE, "render")
        self.schema_checks = SchemaChecks()  # its `seconds` bounds each check
        self._db: sqlite3.Connection | None = None
        self._settings = TenantSettings()
        self._schedule_enabled = True
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._keeping_offline = False
        self._keep_offline_again = False

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, *, schedule: bool = True) -> None:
        """Start the writer thread; raises what opening the catalog raised (a newer schema, say)."""
        self._schedule_enabled = schedule
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel what runs, finish the writes already queued, close the catalog. True when the
        thread ended in time (a download still blocked is simply abandoned: it writes nothing)."""
        self._stopping.set()
        with self._lock:
            running = list(self._running.values())
        for each in running:
            each.token.cancel()
        with contextlib.suppress(OperationCancelled):
            self._put(USER, lambda: None)
        self._thread.join(timeout)
        self.schema_checks.close()
        return not self._thread.is_alive()

    @property
    def settings(self) -> TenantSettings:
        return self._settings

    def running(self) -> dict[int, str]:
        """registry id → trigger of the syncs in progress."""
        with self._lock:
            return {registry_id: running.trigger for registry_id, running in self._running.items()}

    # --- registries -----------------------------------------------------------------------------

    def register(self, draft: RegistryDraft, cancel: CancelToken | None = None) -> Job[SyncResult]:
        """Check and snapshot a new registry. The future fails with the user-facing error, or at
        once with OperationCancelled when cancelled (a fetch still blocked is abandoned: it then
        stores nothing). Progress arrives as `job_event(id, "progress", (phase, done, total))`."""
        job = self._new_job(cancel)
        job.cancel.on_cancel(lambda: _fail_if_pending(job.future, OperationCancelled()))

        def run() -> SyncResult:
            result = register_registry(self._services(), draft, cancel=job.cancel, progress=self._progress_of(job))
            if not self._stopping.is_set():
                self.fetch_icons(result.registry.id)  # the first snapshot's icons, in the background
            return result

        self._submit(run, job.future, changes_catalog=True)
        return job

    def subscribe(
        self, draft: RegistryDraft, cancel: CancelToken | None = None
    ) -> Job[tuple[SyncResult, ImportSummary]]:
        """Subscribe to the catalog `bundle push` published at an OCI registry and import it; like
        `register`, the future fails with the user-facing error, or at once when cancelled."""
        job: Job[tuple[SyncResult, ImportSummary]] = self._new_job(cancel)
        job.cancel.on_cancel(lambda: _fail_if_pending(job.future, OperationCancelled()))
        self._submit(
            lambda: subscribe(self._services(), draft, cancel=job.cancel, progress=self._progress_of(job)),
            job.future,
            changes_catalog=True,
        )
        return job

    def edit(self, registry_id: int, draft: RegistryDraft, cancel: CancelToken | None = None) -> Job[Registry]:
        job: Job[Registry] = self._new_job(cancel)
        job.cancel.on_cancel(lambda: _fail_if_pending(job.future, OperationCancelled()))
        self._submit(
            lambda: edit_registry(self._services(), registry_id, draft, cancel=job.cancel),
            job.future,
            changes_catalog=True,
        )
        return job

    def remove(self, registry_id: int) -> Future[Registry]:
        self.cancel_sync(registry_id)
        outcome: Future[Registry] = Future()
        self._submit(lambda: remove_registry(self._services(), registry_id), outcome, changes_catalog=True)
        return outcome

    def import_from_helm(self, path: Path, cancel: CancelToken | None = None) -> Job[list[ImportOutcome]]:
        """Events: `("start", count)` once, then `("outcome", ImportOutcome)` per repository."""
        job: Job[list[ImportOutcome]] = self._new_job(cancel)

        def run() -> list[ImportOutcome]:
            return import_from_helm(
                self._services(),
                path,
                cancel=job.cancel,
                on_start=lambda count: self._listener.job_event(job.id, "start", count),
                on_working=lambda name: self._listener.job_event(job.id, "working", name),
                on_outcome=lambda outcome: self._changed_and(job.id, "outcome", outcome),
            )

        self._submit(run, job.future, changes_catalog=True)
        return job

    def save_settings(self, settings: TenantSettings) -> Future[TenantSettings]:
        outcome: Future[TenantSettings] = Future()

        def run(services: Services) -> TenantSettings:
            saved = save_tenant_settings(services, settings)
            self._settings = saved
            return saved

        self._write(run, outcome)
        return outcome

    def keyring_name(self) -> Future[str]:
        """The keyring in use (it may talk to D-Bus, so never on the UI thread)."""
        outcome: Future[str] = Future()
        self._submit(self._credentials.backend_name, outcome)
        return outcome

    # --- chart content --------------------------------------------------------------------------

    def chart_files(
        self, registry_id: int, chart: str, version: str, cancel: CancelToken | None = None
    ) -> Future[ChartFiles]:
        """A chart version's files: from the content cache, else downloaded (and then cached)."""
        outcome: Future[ChartFiles] = Future()
        self._submit(lambda: chart_files(self._services(), registry_id, chart, version, cancel=cancel), outcome)
        return outcome

    def chart_provenance(self, registry_id: int, chart: str, version: str) -> Future[Verdict | None]:
        """Who signed a version kept here, as Helm verifies it (None: not kept here, or chart_provenance off)."""
        outcome: Future[Verdict | None] = Future()

        def judge() -> Verdict | None:
            services = self._services()
            if services.settings.chart_provenance == "off":
                return None
            return kept_chart_provenance(services, registry_id, chart, version)

        self._submit(judge, outcome)
        return outcome

    def check_values(self, text: str, schema: str) -> Future[list[ValuesProblem]]:
        """Values against a chart's schema, in the child process that bounds the check in time, from a
        thread of its own: a costly pattern waits out its limit there, never a download's place."""
        outcome: Future[list[ValuesProblem]] = Future()

        def run() -> None:
            _resolve_if_pending(outcome, self.schema_checks.problems(text, schema))

        self._checking.submit(_reporting(run, outcome))
        return outcome

    def probe(self, registry: Registry) -> Future[Reachability]:
        """Whether the registry answers now (one bounded request, no credentials, no sync), on the
        background pool: the launch's check that the window's 'OK' is still so."""
        outcome: Future[Reachability] = Future()

        def run() -> None:
            _resolve_if_pending(outcome, probe(registry, self._services().network))

        self._background.submit(_reporting(run, outcome))
        return outcome

    def render_layers(
        self,
        profile: Profile,
        rows: list[int],
        cancel: CancelToken | None = None,
        test_values: Mapping[str, str] | None = None,
    ) -> Future[list[LayerOutput]]:
        """The profile's layers at `rows` rendered (manifests' text and images; the profile's
        variables substituted, each its default or its test value), from threads of their own: a
        chart's templates, bounded in their child, never hold up a download or a save; the archives
        are read through the catalog's writer like any other step."""
        outcome: Future[list[LayerOutput]] = Future()
        chosen = dict(test_values or {})

        def run() -> None:
            result = render_layers(self._services(), profile, rows, cancel=cancel, test_values=chosen)
            _resolve_if_pending(outcome, result)

        self._rendering.submit(_reporting(run, outcome))
        return outcome

    def pin(self, registry_id: int, chart: str, version: str) -> Future[Any]:
        outcome: Future[Any] = Future()
        self._submit(lambda: pin_version(self._services(), registry_id, chart, version), outcome, changes_catalog=True)
        return outcome

    def unpin(self, registry_id: int, chart: str, version: str) -> Future[bool]:
        outcome: Future[bool] = Future()
        self._write(lambda services: unpin_version(services, registry_id, chart, version), outcome)
        return outcome

    def remove_offline_copy(self, registry_id: int, chart: str, version: str) -> Future[OfflineCopyRemoval]:
        """Unpin the version and delete its archive, unless a profile uses it."""
        outcome: Future[OfflineCopyRemoval] = Future()
        self._write(lambda services: remove_offline_copy(services, registry_id, chart, version), outcome)
        return outcome

    def clear_unused_cache(self) -> Future[tuple[int, int]]:
        """Delete the cached archives no profile uses and nobody pinned: (count, bytes)."""
        outcome: Future[tuple[int, int]] = Future()
        self._write(clear_unused_cache, outcome)
        return outcome

    def keep_offline(self) -> None:
        """Fetch, in the background, every pinned or profile-used version not yet cached; a
        registry that cannot be reached is tried again after its next sync."""
        with self._lock:
            if self._keeping_offline:
                self._keep_offline_again = True
                return
            self._keeping_offline = True

        def run() -> None:
            while True:
                try:
                    report = keep_offline(self._services(), cancel=None)
                except UserError as exc:  # the worker is closing, say
                    log.info("keeping charts offline stopped: %s", exc.message)
                except Exception:  # a bug: logged; the next call must still run, so the flag below is reset
                    log.exception("keeping charts offline failed")
                else:
                    if report.fetched:
                        self._listener.catalog_changed()
                with self._lock:
                    if not self._keep_offline_again or self._stopping.is_set():
                        self._keeping_offline = False
                        return
                    self._keep_offline_again = False

        self._submit(run, None, background=True)

    def fetch_icons(self, registry_id: int) -> Future[IconReport]:
        """Fetch, in the background, the icons of a registry's new or changed charts."""
        outcome: Future[IconReport] = Future()

        def run() -> IconReport:
            cancel = CancelToken()
            if self._stopping.is_set():
                cancel.cancel()
            try:
                report = fetch_icons(self._services(), registry_id, cancel, pace=ICON_PACE)
            except OperationCancelled:
                return IconReport()
            if report.fetched:
                self._listener.catalog_changed()
            return report

        self._submit(run, outcome, background=True)
        return outcome

    # --- profiles -------------------------------------------------------------------------------

    def save_profile(self, profile: Profile) -> Future[Profile]:
        """Save the profile; then fetch, in the background, the charts its layers need offline."""
        outcome: Future[Profile] = Future()
        self._write_or_check(lambda services: save_profile(services, profile), outcome)
        outcome.add_done_callback(lambda done: self.keep_offline() if done.exception() is None else None)
        return outcome

    def delete_profile(self, profile_id: int) -> Future[None]:
        outcome: Future[None] = Future()
        self._write(lambda services: delete_profile(services, profile_id), outcome)
        return outcome

    def export_profile(self, name: str, kind: str, path: Path) -> Future[ProfileExport]:
        outcome: Future[ProfileExport] = Future()
        self._submit(lambda: export_profile(self._services(), name, kind, path), outcome)
        return outcome

    def plan_profile_import(self, path: Path) -> Future[ImportPlan]:
        outcome: Future[ImportPlan] = Future()
        self._submit(lambda: plan_profile_import(self._services(), path), outcome)
        return outcome

    def apply_profile_import(self, plan: ImportPlan, choices: Choices | None) -> Future[ImportResult]:
        outcome: Future[ImportResult] = Future()
        self._write_or_check(lambda services: apply_profile_import(services, plan, choices), outcome)
        outcome.add_done_callback(lambda done: self.keep_offline() if done.exception() is None else None)
        return outcome

    # --- bundles -------------------------------------------------------------------------------

    def plan_bundle_export(self, selection: ExportSelection) -> Future[ExportPlan]:
        """What an export would hold and about how large it would be; nothing is written."""
        outcome: Future[ExportPlan] = Future()
        self._submit(lambda: plan_bundle_export(self._services(), selection), outcome)
        return outcome

    def export_bundle(
        self,
        path: Path,
        selection: ExportSelection,
        *,
        confirmed: bool = False,
        allow_missing: bool = False,
        cancel: CancelToken | None = None,
    ) -> Job[ExportResult]:
        """Write a bundle; `confirmed`: the user agreed to a `--charts all` bundle over 2 GB;
        `allow_missing`: to one without the archives that cannot be carried. Progress arrives as
        `job_event(id, "progress", (phase, done, total))`."""
        job: Job[ExportResult] = self._new_job(cancel)

        def run() -> ExportResult:
            return export_bundle(
                self._services(),
                path,
                selection,
                confirm_large=lambda _plan: confirmed,
                allow_missing=allow_missing,
                cancel=job.cancel,
                progress=self._progress_of(job),
            )

        self._submit(run, job.future)
        return job

    def import_bundle(
        self, path: Path, *, dry_run: bool = False, accept_removals: bool = False, cancel: CancelToken | None = None
    ) -> Job[ImportSummary]:
        """Verify a bundle, then import it in one transaction (rolled back for a dry run). A cancel
        ends it at its next step, with nothing changed."""
        job: Job[ImportSummary] = self._new_job(cancel)

        def run() -> ImportSummary:
            return import_bundle(
                self._services(),
                path,
                dry_run=dry_run,
                accept_removals=accept_removals,
                cancel=job.cancel,
                progress=self._progress_of(job),
            )

        self._submit(run, job.future, changes_catalog=not dry_run)
        return job

    def push_bundle(self, path: Path, target: OciTarget, cancel: CancelToken | None = None) -> Job[PushSummary]:
        """Verify a bundle and push it into an OCI registry; progress as ("verify", …) then ("push", …)."""
        job: Job[PushSummary] = self._new_job(cancel)
        progress = self._progress_of(job)

        def run() -> PushSummary:
            return push_bundle(
                self._services(),
                path,
                target,
                cancel=job.cancel,
                progress=lambda done, total, _name: progress("push", done, total),
                verified=lambda done, total: progress("verify", done, total),
            )

        self._submit(run, job.future)
        return job

    # --- syncs ----------------------------------------------------------------------------------

    def sync(self, registry_id: int, trigger: str = "manual", *, accept_removals: bool = False) -> Future[SyncResult]:
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
            pool.submit(lambda: self._sync_job(registry_id, running))
            return running.future
        if accept_removals and not existing.accept_removals:
            return _after(existing.future, lambda: self.sync(registry_id, trigger, accept_removals=True))
        return existing.future

    def prune(self, registry_id: int, older_than_days: float | None = None) -> Future[int]:
        """Delete for good the registry's versions removed upstream."""
        outcome: Future[int] = Future()
        self._write(lambda services: prune_registry(services, registry_id, older_than_days), outcome)
        return outcome

    def cancel_sync(self, registry_id: int) -> None:
        with self._lock:
            running = self._running.get(registry_id)
        if running is not None:
            running.token.cancel()

    def _sync_job(self, registry_id: int, running: _RunningSync) -> None:
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
            _fail_if_pending(running.future, exc)
            return
        self._end_sync(registry_id, running, result)

    def _abandon(self, registry_id: int, running: _RunningSync) -> None:
        pending = running.pending
        if pending is None or running.future.done():
            return

        def end() -> None:
            assert self._db is not None
            cancelled = OperationCancelled("Cancelled by the user.")
            self._end_sync(registry_id, running, end_sync_failed(self._db, pending, cancelled, self._clock()))

        with contextlib.suppress(OperationCancelled):
            self._put(USER, _reporting(end, None))

    def _end_sync(self, registry_id: int, running: _RunningSync, result: SyncResult) -> None:
        with self._lock:
            if self._running.get(registry_id) is running:
                del self._running[registry_id]
        try:  # outside the lock: the future's callbacks may start the next sync
            running.future.set_result(result)
        except InvalidStateError:
            return  # the run's other end (a cancel, or the download after it) came first
        self._listener.sync_finished(result)
        self._listener.catalog_changed()
        if result.ok and not self._stopping.is_set():
            self.keep_offline()  # the registry answers: fetch what profiles and pins still lack
            self.fetch_icons(registry_id)

    def _forget(self, registry_id: int, running: _RunningSync) -> None:
        with self._lock:
            if self._running.get(registry_id) is running:  # not a later sync of the same registry
                del self._running[registry_id]

    # --- plumbing ---------------------------------------------------------------------------------

    def _services(self) -> Services:
        keys = trusted_keys_beside(self._catalog_path)
        images = self._catalog_path.parent / "image-registries.json"
        return Services(
            self._on_writer, self._credentials, self._settings, self._clock, keys_folder=keys, image_hosts=images
        )

    def _on_writer(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a catalog step on the writer thread and wait for it (from a pool thread)."""
        if threading.current_thread() is self._thread:
            assert self._db is not None
            return step(self._db, *args, **kwargs)
        outcome: Future[T] = Future()

        def run() -> None:
            assert self._db is not None
            outcome.set_result(step(self._db, *args, **kwargs))

        self._put(USER, _reporting(run, outcome, quiet=True))
        return outcome.result()

    def _new_job(self, cancel: CancelToken | None) -> Job[Any]:
        return Job(next(self._job_ids), Future(), cancel or CancelToken())

    def _progress_of(self, job: Job[Any]) -> Callable[[str, int, int | None], None]:
        last = [0.0]

        def progress(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if phase == "download" and now - last[0] < PROGRESS_INTERVAL:
                return
            last[0] = now
            self._listener.job_event(job.id, "progress", (phase, done, total))

        return progress

    def _changed_and(self, job_id: int, kind: str, payload: object) -> None:
        self._listener.catalog_changed()
        self._listener.job_event(job_id, kind, payload)

    def _submit(
        self,
        action: Callable[[], T],
        outcome: Future[T] | None,
        *,
        changes_catalog: bool = False,
        background: bool = False,
    ) -> None:
        """Run `action` on a pool thread: the user's pool, or (`background`) the one for work nobody
        waits on — icons, keeping charts offline, the schedule's syncs — so that never delays what
        the user asked for (a chart's files behind a hundred icons)."""

        def run() -> None:
            value = action()
            if outcome is not None:
                _resolve_if_pending(outcome, value)
            if changes_catalog:
                self._listener.catalog_changed()

        (self._background if background else self._pool).submit(_reporting(run, outcome))

    def _write_or_check(self, operation: Callable[[Services], T], outcome: Future[T]) -> None:
        """A profile's save: on the writer thread, or — when chart_provenance require makes it fetch and
        check its new charts first — on the user's pool, so no write waits behind the network."""
        if self._settings.chart_provenance == "require":
            self._submit(lambda: operation(self._services()), outcome, changes_catalog=True)
        else:
            self._write(operation, outcome)

    def _write(self, operation: Callable[[Services], T], outcome: Future[T]) -> None:
        """An operation with no network step, queued on the writer thread now: what the user saved
        as the window closes is written before the worker stops (it drains its queue)."""

        def run() -> None:
            _resolve_if_pending(outcome, operation(self._services()))
            self._listener.catalog_changed()

        try:
            self._put(USER, _reporting(run, outcome))
        except OperationCancelled as exc:  # closing: the caller hears it through the future, as from any job
            _fail_if_pending(outcome, exc)

    def _put(self, priority: int, action: Callable[[], None]) -> None:
        with self._lock:
            if self._closed:
                raise OperationCancelled("Chartkeeper is closing: nothing more is written.")
            self._jobs.put(_WriterJob(priority, next(self._sequence), action))

    def _run(self) -> None:
        try:
            db = open_catalog(self._catalog_path)
            mark_interrupted_runs(db)
            self._settings = load_settings(db)
            self._db = db
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        icons_at: float | None = time.monotonic() + ICON_CATCH_UP_DELAY
        try:
            while not self._stopping.is_set():
                wait = SCHEDULE_CHECK_SECONDS
                try:
                    if self._schedule_enabled:
                        wait = self._schedule_due()
                    if icons_at is not None and time.monotonic() >= icons_at:
                        icons_at = None
                        self._catch_up_icons()
                except Exception:  # a damaged page, say: the user's own jobs still run and say what is wrong
                    log.exception("the sync schedule could not read the catalog")
                if icons_at is not None:
                    wait = min(wait, icons_at - time.monotonic())
                try:
                    job = self._jobs.get(timeout=max(0.05, wait))
                except queue.Empty:
                    continue
                job.action()
            with self._lock:
                self._closed = True
            self._drain()
        finally:
            with self._lock:
                self._closed = True  # however the loop ended, a later write is refused, never left waiting
            self._db = None
            db.close()

    def _catch_up_icons(self) -> None:
        """Icons the command line left to the window (it never waits on icon hosts), in the background."""
        assert self._db is not None
        for registry in list_registries(self._db):
            self.fetch_icons(registry.id)

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
        assert self._db is not None
        now = self._clock()
        due, soonest = due_registries(self._db, now, self._settings.sync_interval_seconds)
        running = self.running()
        for registry in due:
            if registry.id not in running:
                self.sync(registry.id, "schedule")
        return SCHEDULE_CHECK_SECONDS if soonest is None else min(SCHEDULE_CHECK_SECONDS, soonest - now)


def _after(first: Future[Any], start: Callable[[], Future[T]]) -> Future[T]:
    """A future for what `start` begins once `first` has ended, however it ended."""
    outcome: Future[T] = Future()

    def begin(_first: Future[Any]) -> None:
        try:
            second = start()
        except BaseException as exc:
            _fail_if_pending(outcome, exc)
            return
        second.add_done_callback(lambda done: _copy_outcome(done, outcome))

    first.add_done_callback(begin)
    return outcome


def _copy_outcome(source: Future[T], target: Future[T]) -> None:
    error = source.exception()
    if error is not None:
        _fail_if_pending(target, error)
    else:
        _resolve_if_pending(target, source.result())


def _fail_if_pending(future: Future[Any], error: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_exception(error)


def _resolve_if_pending(future: Future[T], value: T) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_result(value)


def _reporting(action: Callable[[], None], outcome: Future[Any] | None, *, quiet: bool = False) -> Callable[[], None]:
    """`action`, with its failure handed to `outcome` (user errors) or the log (bugs). `quiet`: the
    waiting caller reports it."""

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            if not quiet and (outcome is None or not isinstance(exc, UserError)):
                log.exception("background job failed")
            if outcome is not None:
                _fail_if_pending(outcome, exc)

    return run
