"""The desktop app's background worker, assembled from its parts: the catalog writer thread, the pools
that run operations as jobs (their network steps there, their catalog steps handed to the writer),
the running syncs and the schedule. Its methods are the window's one door to the operations.

Qt-free: the window hears about progress through a `WorkerListener` whose methods are called on
worker threads (the Qt bridge re-emits them as signals)."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from desktop.bundle.registry_push import PushSummary
from desktop.cancellation import CancelToken
from desktop.catalog.settings_store import load_settings
from desktop.helm.chart_archive import ChartFiles
from desktop.jobs.futures import reporting, resolve_if_pending
from desktop.jobs.job import ImportDone, ImportStarted, ImportWorking, Job, JobRunner, WorkerListener
from desktop.jobs.pool import DaemonPool
from desktop.jobs.reading import CatalogReader
from desktop.jobs.running import RunningSyncs
from desktop.jobs.schedule import CHECK_SECONDS, start_due_syncs
from desktop.jobs.upkeep import Upkeep
from desktop.jobs.writer import CatalogWriter
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
    kept_chart_provenance,
    pin_version,
    remove_offline_copy,
    unpin_version,
)
from desktop.operations.chart_icons import IconReport
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
from desktop.operations.sync_run import SyncResult
from desktop.paths import trusted_keys_beside
from desktop.profiles.model import Profile
from desktop.profiles.palette_import import Choices, ImportPlan
from desktop.profiles.schema_process import SchemaChecks
from desktop.profiles.values import ValuesProblem
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from desktop.trust.openpgp import Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")
POOL_SIZE = 4  # threads for what the user asked for
BACKGROUND_POOL_SIZE = 2  # and for work nobody waits on
RENDER_POOL_SIZE = 2  # renders of the layers being edited: a profile's, and the one being typed into


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
        self._writer = CatalogWriter(catalog_path, opened=self._opened, tick=self._tick)
        self._reader = CatalogReader(catalog_path)
        self._pool = DaemonPool(POOL_SIZE)
        self._background = DaemonPool(BACKGROUND_POOL_SIZE, "background")
        self._checking = DaemonPool(1, "schema-check")
        self._rendering = DaemonPool(RENDER_POOL_SIZE, "render")
        self._jobs = JobRunner(self._services, listener, self._writer, (self._pool, self._background))
        self._upkeep = Upkeep(self._services, listener, self._jobs, self._writer.stopping)
        self._syncs = RunningSyncs(
            self._services, listener, self._writer, (self._pool, self._background), clock, self._after_sync
        )
        self.schema_checks = SchemaChecks()  # its `seconds` bounds each check
        self._settings = TenantSettings()
        self._schedule_enabled = True

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, *, schedule: bool = True) -> None:
        """Start the writer thread; raises what opening the catalog raised (a newer schema, say)."""
        self._schedule_enabled = schedule
        self._writer.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel what runs, finish the writes already queued, close the catalog. True when the
        thread ended in time (a download still blocked is simply abandoned: it writes nothing)."""
        self._writer.stopping.set()
        self._syncs.cancel_all()
        stopped = self._writer.stop(timeout)
        self._reader.close()
        self.schema_checks.close()
        return stopped

    @property
    def settings(self) -> TenantSettings:
        return self._settings

    def running(self) -> dict[int, str]:
        """registry id → trigger of the syncs in progress."""
        return self._syncs.triggers()

    def run(self, operation: Callable[..., T], *args: Any, **options: Any) -> Job[T]:
        """Any operation `operation(services, *args, …)` as a job on the user's pool (`JobRunner.run`)."""
        return self._jobs.run(operation, *args, **options)

    def read(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """A catalog query `step(db, …)` on a read-only connection of its own, off the UI thread."""
        return self._reader.read(step, *args, **kwargs)

    # --- registries -----------------------------------------------------------------------------

    def register(self, draft: RegistryDraft, cancel: CancelToken | None = None) -> Job[SyncResult]:
        """Check and snapshot a new registry. The future fails with the user-facing error, or at
        once with OperationCancelled when cancelled (a fetch still blocked is abandoned: it then
        stores nothing). Progress arrives as `Progress` events."""
        return self._jobs.run(
            self._register,
            draft,
            cancel=cancel,
            cancellable=True,
            progress=True,
            changes_catalog=True,
            abandon_on_cancel=True,
        )

    def _register(self, services: Services, draft: RegistryDraft, **job: Any) -> SyncResult:
        result = register_registry(services, draft, **job)
        if not self._writer.stopping.is_set():
            self.fetch_icons(result.registry.id)  # the first snapshot's icons, in the background
        return result

    def subscribe(
        self, draft: RegistryDraft, cancel: CancelToken | None = None
    ) -> Job[tuple[SyncResult, ImportSummary]]:
        """Subscribe to the catalog `bundle push` published at an OCI registry and import it; like
        `register`, the future fails with the user-facing error, or at once when cancelled."""
        return self._jobs.run(
            subscribe,
            draft,
            cancel=cancel,
            cancellable=True,
            progress=True,
            changes_catalog=True,
            abandon_on_cancel=True,
        )

    def edit(self, registry_id: int, draft: RegistryDraft, cancel: CancelToken | None = None) -> Job[Registry]:
        return self._jobs.run(
            edit_registry,
            registry_id,
            draft,
            cancel=cancel,
            cancellable=True,
            changes_catalog=True,
            abandon_on_cancel=True,
        )

    def remove(self, registry_id: int) -> Future[Registry]:
        self.cancel_sync(registry_id)
        return self._jobs.run(remove_registry, registry_id, changes_catalog=True).future

    def import_from_helm(self, path: Path, cancel: CancelToken | None = None) -> Job[list[ImportOutcome]]:
        """Events: `ImportStarted` once, then `ImportWorking` and `ImportDone` per repository."""
        job: Job[list[ImportOutcome]] = self._jobs.new(cancel)

        def done(outcome: ImportOutcome) -> None:
            self._listener.catalog_changed()
            self._jobs.tell(job, ImportDone(outcome))

        def run() -> list[ImportOutcome]:
            return import_from_helm(
                self._services(),
                path,
                cancel=job.cancel,
                on_start=lambda count: self._jobs.tell(job, ImportStarted(count)),
                on_working=lambda name: self._jobs.tell(job, ImportWorking(name)),
                on_outcome=done,
            )

        self._jobs.submit(run, job.future, changes_catalog=True)
        return job

    def save_settings(self, settings: TenantSettings) -> Future[TenantSettings]:
        def run(services: Services) -> TenantSettings:
            saved = save_tenant_settings(services, settings)
            self._settings = saved
            return saved

        return self._jobs.write(run)

    def keyring_name(self) -> Future[str]:
        """The keyring in use (it may talk to D-Bus, so never on the UI thread)."""
        outcome: Future[str] = Future()
        self._jobs.submit(self._credentials.backend_name, outcome)
        return outcome

    # --- chart content --------------------------------------------------------------------------

    def chart_files(
        self, registry_id: int, chart: str, version: str, cancel: CancelToken | None = None
    ) -> Future[ChartFiles]:
        """A chart version's files: from the content cache, else downloaded (and then cached)."""
        return self._jobs.run(chart_files, registry_id, chart, version, cancel=cancel, cancellable=True).future

    def chart_provenance(self, registry_id: int, chart: str, version: str) -> Future[Verdict | None]:
        """Who signed a version kept here, as Helm verifies it (None: not kept here, or chart_provenance off)."""

        def judge(services: Services) -> Verdict | None:
            if services.settings.chart_provenance == "off":
                return None
            return kept_chart_provenance(services, registry_id, chart, version)

        return self._jobs.run(judge).future

    def check_values(self, text: str, schema: str) -> Future[list[ValuesProblem]]:
        """Values against a chart's schema, in the child process that bounds the check in time, from a
        thread of its own: a costly pattern waits out its limit there, never a download's place."""
        outcome: Future[list[ValuesProblem]] = Future()

        def run() -> None:
            resolve_if_pending(outcome, self.schema_checks.problems(text, schema))

        self._checking.submit(reporting(run, outcome))
        return outcome

    def probe(self, registry: Registry) -> Future[Reachability]:
        """Whether the registry answers now (one bounded request, no credentials, no sync), on the
        background pool: the launch's check that the window's 'OK' is still so."""
        outcome: Future[Reachability] = Future()
        self._jobs.submit(lambda: probe(registry, self._services().network), outcome, background=True)
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
            resolve_if_pending(outcome, result)

        self._rendering.submit(reporting(run, outcome))
        return outcome

    def pin(self, registry_id: int, chart: str, version: str) -> Future[Any]:
        return self._jobs.run(pin_version, registry_id, chart, version, changes_catalog=True).future

    def unpin(self, registry_id: int, chart: str, version: str) -> Future[bool]:
        return self._jobs.write(lambda services: unpin_version(services, registry_id, chart, version))

    def remove_offline_copy(self, registry_id: int, chart: str, version: str) -> Future[OfflineCopyRemoval]:
        """Unpin the version and delete its archive, unless a profile uses it."""
        return self._jobs.write(lambda services: remove_offline_copy(services, registry_id, chart, version))

    def clear_unused_cache(self) -> Future[tuple[int, int]]:
        """Delete the cached archives no profile uses and nobody pinned: (count, bytes)."""
        return self._jobs.write(clear_unused_cache)

    def keep_offline(self) -> None:
        """Fetch, in the background, every pinned or profile-used version not yet cached; a
        registry that cannot be reached is tried again after its next sync."""
        self._upkeep.keep_offline()

    def fetch_icons(self, registry_id: int) -> Future[IconReport]:
        """Fetch, in the background, the icons of a registry's new or changed charts."""
        return self._upkeep.fetch_icons(registry_id)

    # --- profiles -------------------------------------------------------------------------------

    def save_profile(self, profile: Profile) -> Future[Profile]:
        """Save the profile; then fetch, in the background, the charts its layers need offline."""
        outcome = self._write_or_check(lambda services: save_profile(services, profile))
        outcome.add_done_callback(lambda done: self.keep_offline() if done.exception() is None else None)
        return outcome

    def delete_profile(self, profile_id: int) -> Future[None]:
        return self._jobs.write(lambda services: delete_profile(services, profile_id))

    def export_profile(self, name: str, kind: str, path: Path) -> Future[ProfileExport]:
        return self._jobs.run(export_profile, name, kind, path).future

    def plan_profile_import(self, path: Path) -> Future[ImportPlan]:
        return self._jobs.run(plan_profile_import, path).future

    def apply_profile_import(self, plan: ImportPlan, choices: Choices | None) -> Future[ImportResult]:
        outcome = self._write_or_check(lambda services: apply_profile_import(services, plan, choices))
        outcome.add_done_callback(lambda done: self.keep_offline() if done.exception() is None else None)
        return outcome

    # --- bundles -------------------------------------------------------------------------------

    def plan_bundle_export(self, selection: ExportSelection) -> Future[ExportPlan]:
        """What an export would hold and about how large it would be; nothing is written."""
        return self._jobs.run(plan_bundle_export, selection).future

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
        `Progress` events."""
        return self._jobs.run(
            export_bundle,
            path,
            selection,
            confirm_large=lambda _plan: confirmed,
            allow_missing=allow_missing,
            cancel=cancel,
            cancellable=True,
            progress=True,
        )

    def import_bundle(
        self, path: Path, *, dry_run: bool = False, accept_removals: bool = False, cancel: CancelToken | None = None
    ) -> Job[ImportSummary]:
        """Verify a bundle, then import it in one transaction (rolled back for a dry run). A cancel
        ends it at its next step, with nothing changed."""
        return self._jobs.run(
            import_bundle,
            path,
            dry_run=dry_run,
            accept_removals=accept_removals,
            cancel=cancel,
            cancellable=True,
            progress=True,
            changes_catalog=not dry_run,
        )

    def push_bundle(self, path: Path, target: OciTarget, cancel: CancelToken | None = None) -> Job[PushSummary]:
        """Verify a bundle and push it into an OCI registry; progress as ("verify", …) then ("push", …)."""
        job: Job[PushSummary] = self._jobs.new(cancel)
        progress = self._jobs.progress_of(job)

        def run() -> PushSummary:
            return push_bundle(
                self._services(),
                path,
                target,
                cancel=job.cancel,
                progress=lambda done, total, _name: progress("push", done, total),
                verified=lambda done, total: progress("verify", done, total),
            )

        self._jobs.submit(run, job.future)
        return job

    # --- syncs ----------------------------------------------------------------------------------

    def sync(self, registry_id: int, trigger: str = "manual", *, accept_removals: bool = False) -> Future[SyncResult]:
        """Start a sync (or return the one already running for this registry). `accept_removals`:
        apply a shrink that a previous run held — asked for while a sync that does not accept them
        runs, an accepting one follows it."""
        return self._syncs.start(registry_id, trigger, accept_removals=accept_removals)

    def prune(self, registry_id: int, older_than_days: float | None = None) -> Future[int]:
        """Delete for good the registry's versions removed upstream."""
        return self._jobs.write(lambda services: prune_registry(services, registry_id, older_than_days))

    def cancel_sync(self, registry_id: int) -> None:
        self._syncs.cancel(registry_id)

    def _after_sync(self, registry_id: int) -> None:
        self.keep_offline()  # the registry answers: fetch what profiles and pins still lack
        self.fetch_icons(registry_id)

    # --- plumbing ---------------------------------------------------------------------------------

    def _services(self) -> Services:
        keys = trusted_keys_beside(self._catalog_path)
        images = self._catalog_path.parent / "image-registries.json"
        return Services(
            self._writer.call, self._credentials, self._settings, self._clock, keys_folder=keys, image_hosts=images
        )

    def _write_or_check(self, operation: Callable[[Services], T]) -> Future[T]:
        """A profile's save: on the writer thread, or — when chart_provenance require makes it fetch and
        check its new charts first — on the user's pool, so no write waits behind the network."""
        if self._settings.chart_provenance == "require":
            return self._jobs.run(operation, changes_catalog=True).future
        return self._jobs.write(operation)

    def _opened(self, db: sqlite3.Connection) -> None:
        """On the writer thread, the catalog just opened: its settings; the icons' catch-up is counted from now."""
        self._settings = load_settings(db)
        self._upkeep.started()

    def _tick(self) -> float:
        """On the writer thread between writes: start the syncs due, and the icons' catch-up once it is
        due; how long to wait before looking again."""
        wait = CHECK_SECONDS
        try:
            if self._schedule_enabled:
                interval = self._settings.sync_interval_seconds
                wait = start_due_syncs(self._writer.db, self._clock(), interval, self.running(), self.sync)
        except Exception:  # a damaged page, say: the user's own jobs still run and say what is wrong
            log.exception("the sync schedule could not read the catalog")
        return min(wait, self._upkeep.icons_due(self._writer.db))
