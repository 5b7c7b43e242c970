"""Registration and sync: validate and snapshot a new registry, refresh one atomically, record runs.

Plain blocking code for the one thread that owns catalog writes (the CLI's main thread, or the
desktop app's sync thread)."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.cancellation import CancelToken
from desktop.catalog.db import transaction
from desktop.catalog.registries import (
    delete_registry,
    ensure_name_free,
    get_registry_by_id,
    insert_registry,
    list_registries,
    update_registry,
)
from desktop.catalog.snapshots import SnapshotDiff, write_snapshot
from desktop.catalog.sync_records import (
    RunOutcome,
    finish_run,
    insert_run,
    record_failure,
    record_success,
    start_run,
    sync_state,
)
from desktop.errors import CancelledError, UserError
from desktop.net.client import NetworkSettings
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.sync.fetch import FetchedIndex, ProgressCallback, fetch_index

log = logging.getLogger(__name__)

DAY = 24 * 60 * 60


@dataclass
class SyncResult:
    registry: Registry
    status: str  # updated | unchanged | failed | cancelled
    run_id: int | None = None
    http_status: int | None = None
    bytes: int = 0
    diff: SnapshotDiff = field(default_factory=SnapshotDiff)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("updated", "unchanged")


class SyncEngine:
    """The catalog's writer for registries and snapshots."""

    def __init__(
        self,
        db: sqlite3.Connection,
        credentials: CredentialStore,
        settings: NetworkSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.credentials = credentials
        self.settings = settings or NetworkSettings()
        self.clock = clock

    # --- registration ---------------------------------------------------------------------

    def register(
        self,
        draft: RegistryDraft,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        """Check the endpoint and credentials by taking the first snapshot; store nothing on failure."""
        draft = draft.cleaned()
        ensure_name_free(self.db, draft.name)
        if draft.username:
            self.credentials.check_available()
        fetched = fetch_index(draft.access(), self.settings, None, cancel, progress)
        assert fetched.parsed is not None  # a first fetch always parses
        uid = os.urandom(16).hex()
        if draft.username and draft.password:
            self.credentials.set_password(uid, draft.password)
        try:
            if progress is not None:
                progress("write", 0, None)
            now = self.clock()
            with transaction(self.db):
                registry_id = insert_registry(self.db, draft, uid, now)
                run_id = insert_run(self.db, registry_id, "register", now)
                _diff, outcome = self._apply(registry_id, fetched, cancel)
                finish_run(self.db, run_id, outcome, self.clock())
        except BaseException:
            if draft.username:
                self.credentials.delete_password(uid)
            raise
        registry = get_registry_by_id(self.db, registry_id)
        return self._result(registry, run_id, outcome, fetched)

    def update(self, registry: Registry, draft: RegistryDraft, cancel: CancelToken | None = None) -> Registry:
        """Save edited fields. A new endpoint, certificate or login is checked against the server
        first; the snapshot is kept either way."""
        draft = draft.cleaned()
        ensure_name_free(self.db, draft.name, except_id=registry.id)
        reaches_differently = (
            draft.endpoint != registry.endpoint
            or draft.username != registry.username
            or draft.ca_pem != registry.ca_pem
            or draft.insecure_skip_tls_verify != registry.insecure_skip_tls_verify
            or draft.password is not None
        )
        if reaches_differently:
            fetch_index(draft.access(), self.settings, None, cancel)
        if draft.username and draft.password:
            self.credentials.set_password(registry.uid, draft.password)
        elif registry.username and not draft.username:
            self.credentials.delete_password(registry.uid)
        with transaction(self.db):
            update_registry(self.db, registry.id, draft)
        return get_registry_by_id(self.db, registry.id)

    def remove(self, registry: Registry) -> None:
        with transaction(self.db):
            delete_registry(self.db, registry.id)
        if registry.username:
            try:
                self.credentials.delete_password(registry.uid)
            except UserError as exc:  # the registry is gone; a stale secret is not worth failing for
                log.warning("could not remove the password of %s from the keyring: %s", registry.name, exc)

    # --- sync -----------------------------------------------------------------------------

    def sync(
        self,
        registry: Registry,
        trigger: str = "manual",
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        """Refresh the snapshot. Failures are recorded and returned; the previous snapshot stays."""
        run_id = start_run(self.db, registry.id, trigger, self.clock())
        fetched: FetchedIndex | None = None
        try:
            password = self.credentials.get_password(registry.uid) if registry.username else None
            if registry.username and password is None:
                raise UserError(
                    f"The keyring holds no password for '{registry.name}': edit the registry and enter it again."
                )
            fetched = fetch_index(
                registry.access(password), self.settings, sync_state(self.db, registry.id), cancel, progress
            )
            if progress is not None:
                progress("write", 0, None)
            with transaction(self.db):
                _, outcome = self._apply(registry.id, fetched, cancel)
                finish_run(self.db, run_id, outcome, self.clock())
        except CancelledError:
            outcome = RunOutcome("cancelled", error="Cancelled by the user.")
            self._close_failed_run(registry, run_id, outcome, count_failure=False)
        except UserError as exc:
            outcome = RunOutcome("failed", error=exc.message)
            self._close_failed_run(registry, run_id, outcome, count_failure=True)
        except Exception:
            log.exception("sync of %s failed unexpectedly", registry.name)
            outcome = RunOutcome("failed", error="Internal error: see the log for details.")
            self._close_failed_run(registry, run_id, outcome, count_failure=True)
            raise
        return self._result(registry, run_id, outcome, fetched)

    def _apply(
        self, registry_id: int, fetched: FetchedIndex, cancel: CancelToken | None
    ) -> tuple[SnapshotDiff, RunOutcome]:
        """Inside a transaction: write what changed, and the new sync state."""
        download = fetched.download
        diff = SnapshotDiff()
        parsed = fetched.parsed
        if parsed is not None:
            diff = write_snapshot(self.db, registry_id, parsed.charts, cancel)
        record_success(
            self.db,
            registry_id,
            self.clock(),
            etag=download.etag,
            last_modified=download.last_modified,
            content_digest=fetched.digest,
            api_version=parsed.api_version if parsed else None,
            snapshot_written=parsed is not None,
        )
        status = "unchanged" if diff.is_empty else "updated"
        skipped = parsed.skipped if parsed else 0
        return diff, RunOutcome(status, download.status, download.wire_bytes, diff, skipped)

    def _close_failed_run(self, registry: Registry, run_id: int, outcome: RunOutcome, *, count_failure: bool) -> None:
        with transaction(self.db):
            finish_run(self.db, run_id, outcome, self.clock())
            if count_failure and outcome.error:
                record_failure(self.db, registry.id, outcome.error)

    @staticmethod
    def _result(registry: Registry, run_id: int, outcome: RunOutcome, fetched: FetchedIndex | None) -> SyncResult:
        parsed = fetched.parsed if fetched else None
        return SyncResult(
            registry,
            outcome.status,
            run_id,
            outcome.http_status,
            outcome.bytes,
            outcome.diff or SnapshotDiff(),
            parsed.warnings if parsed else [],
            outcome.skipped,
            outcome.error,
        )

    # --- schedule -------------------------------------------------------------------------

    def due_registries(self, interval: float = DAY) -> list[Registry]:
        """Registries with synchronization on whose last success is `interval` or more ago."""
        now = self.clock()
        due = []
        for registry in list_registries(self.db):
            if not registry.sync_enabled:
                continue
            state = sync_state(self.db, registry.id)
            if state.last_success_at is None or now - state.last_success_at >= interval:
                due.append(registry)
        return due
