"""Registration and sync in two phases: fetching (network, keyring; any thread) and applying
(catalog writes; only the thread that owns the writer connection).

`SyncEngine.register` and `SyncEngine.sync` run both phases in turn for the CLI; the desktop app's
worker runs the fetch phase on a pool and hands the result to its writer thread."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

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
from desktop.catalog.snapshots import SnapshotDiff, stored_items, write_snapshot
from desktop.catalog.sync_records import (
    RunOutcome,
    SyncState,
    finish_run,
    insert_run,
    record_failure,
    record_success,
    start_run,
    sync_state,
)
from desktop.errors import CancelledError, KeyringError, NetworkError, TLSError, UserError
from desktop.net.oci import OciClient
from desktop.net.settings import NetworkSettings
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.sync.fetch import FetchedIndex, ProgressCallback, fetch_index
from desktop.sync.oci_fetch import fetch_oci

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
    error_kind: str | None = None  # network | other, for the offline state

    @property
    def ok(self) -> bool:
        return self.status in ("updated", "unchanged")


@dataclass
class PreparedRegistration:
    """A checked draft with its first index, its keyring entry already written."""

    draft: RegistryDraft
    uid: str
    fetched: FetchedIndex


@dataclass
class SyncTicket:
    """What the writer hands the fetch phase of a sync, and gets back with the result."""

    registry: Registry
    run_id: int
    state: SyncState
    existing: dict[str, list[Any]] = field(default_factory=dict)  # OCI: the stored items, read incrementally


def error_kind(error: BaseException) -> str:
    """'network' when the registry could not be reached (the app shows it offline), else 'other'."""
    return "network" if isinstance(error, NetworkError) and not isinstance(error, TLSError) else "other"


# --- fetch phase: network and keyring, no catalog -------------------------------------------------


def prepare_registration(
    draft: RegistryDraft,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedRegistration:
    """Check the endpoint and credentials by fetching the first index; then keep the password."""
    if draft.username:
        credentials.check_available()
    if draft.kind == "oci":
        fetched = fetch_oci(draft.oci_access(), settings, draft.chart_names, {}, cancel, progress)
    else:
        fetched = fetch_index(draft.access(), settings, None, cancel, progress)
    uid = os.urandom(16).hex()
    if draft.username and draft.password:
        credentials.set_password(uid, draft.password)
    return PreparedRegistration(draft, uid, fetched)


def discard_registration(prepared: PreparedRegistration, credentials: CredentialStore) -> None:
    """Undo `prepare_registration` when its commit failed or was cancelled."""
    if prepared.draft.username:
        try:
            credentials.delete_password(prepared.uid)
        except UserError as exc:
            log.warning("could not remove an unused password from the keyring: %s", exc)


def fetch_for_sync(
    ticket: SyncTicket,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> FetchedIndex:
    registry = ticket.registry
    password = credentials.get_password(registry.uid) if registry.username else None
    if registry.username and password is None:
        raise KeyringError(
            f"The keyring holds no password for '{registry.name}': edit the registry and enter it again."
        )
    if registry.is_oci:
        return fetch_oci(
            registry.oci_access(password), settings, registry.chart_names, ticket.existing, cancel, progress
        )
    return fetch_index(registry.access(password), settings, ticket.state, cancel, progress)


def check_edit(
    registry: Registry,
    draft: RegistryDraft,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
) -> None:
    """Before an edit is saved: when it changes how the registry is reached, fetch the index with
    the new settings (a kept password is read from the keyring for that)."""
    reaches_differently = (
        draft.endpoint != registry.endpoint
        or draft.username != registry.username
        or draft.ca_pem != registry.ca_pem
        or draft.insecure_skip_tls_verify != registry.insecure_skip_tls_verify
        or draft.password is not None
    )
    if not reaches_differently:
        return
    password = draft.password
    if draft.username and password is None and draft.keep_password:
        password = credentials.get_password(registry.uid)
    checked = replace(draft, password=password)
    if draft.kind == "oci":
        with OciClient(checked.oci_access(), settings, cancel=cancel) as client:
            client.ping()
            for chart in draft.chart_names[:1] or ():
                client.tags(chart)
        return
    fetch_index(checked.access(), settings, None, cancel)


def store_edited_password(registry: Registry, draft: RegistryDraft, credentials: CredentialStore) -> None:
    """After the check: keep a new password, or drop the old one when the login is gone."""
    if draft.username and draft.password:
        credentials.set_password(registry.uid, draft.password)
    elif registry.username and not draft.username:
        credentials.delete_password(registry.uid)


# --- apply phase: the catalog's writer -------------------------------------------------------------


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

    def check_new(self, draft: RegistryDraft) -> RegistryDraft:
        """The draft cleaned, with a name no registry has yet."""
        draft = draft.cleaned()
        ensure_name_free(self.db, draft.name)
        return draft

    def commit_registration(self, prepared: PreparedRegistration, cancel: CancelToken | None = None) -> SyncResult:
        """Store the registry with its first snapshot in one transaction."""
        now = self.clock()
        with transaction(self.db):
            registry_id = insert_registry(self.db, prepared.draft, prepared.uid, now)
            run_id = insert_run(self.db, registry_id, "register", now)
            outcome = self._apply(registry_id, prepared.fetched, cancel)
            finish_run(self.db, run_id, outcome, self.clock(), list_changes=False)
        registry = get_registry_by_id(self.db, registry_id)
        return _result(registry, run_id, outcome, prepared.fetched)

    def begin_sync(self, registry: Registry, trigger: str) -> SyncTicket:
        run_id = start_run(self.db, registry.id, trigger, self.clock())
        existing = stored_items(self.db, registry.id) if registry.is_oci else {}
        return SyncTicket(registry, run_id, sync_state(self.db, registry.id), existing)

    def finish_sync(self, ticket: SyncTicket, fetched: FetchedIndex, cancel: CancelToken | None = None) -> SyncResult:
        try:
            with transaction(self.db):
                outcome = self._apply(ticket.registry.id, fetched, cancel)
                finish_run(self.db, ticket.run_id, outcome, self.clock())
        except BaseException as exc:
            if isinstance(exc, sqlite3.IntegrityError):  # removed while it was syncing
                return self.fail_sync(ticket, CancelledError("The registry was removed during the sync."))
            if isinstance(exc, UserError):
                return self.fail_sync(ticket, exc)
            raise
        return _result(ticket.registry, ticket.run_id, outcome, fetched)

    def fail_sync(self, ticket: SyncTicket, error: BaseException) -> SyncResult:
        """Record a failed or cancelled run; the snapshot is untouched."""
        if isinstance(error, CancelledError):
            outcome = RunOutcome("cancelled", error=error.message)
        elif isinstance(error, UserError):
            outcome = RunOutcome("failed", error=error.message)
        else:
            outcome = RunOutcome("failed", error="Internal error: see the log for details.")
        kind = error_kind(error)
        with transaction(self.db):
            finish_run(self.db, ticket.run_id, outcome, self.clock())
            if outcome.status == "failed" and outcome.error:
                record_failure(self.db, ticket.registry.id, outcome.error, kind)
        result = _result(ticket.registry, ticket.run_id, outcome, None)
        result.error_kind = kind
        return result

    def save_edit(self, registry: Registry, draft: RegistryDraft) -> Registry:
        with transaction(self.db):
            update_registry(self.db, registry.id, draft)
        return get_registry_by_id(self.db, registry.id)

    def _apply(self, registry_id: int, fetched: FetchedIndex, cancel: CancelToken | None) -> RunOutcome:
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
        return RunOutcome(status, download.status, download.wire_bytes, diff, parsed.skipped if parsed else 0)

    # --- both phases in turn, for one thread (the CLI) -------------------------------------

    def register(
        self,
        draft: RegistryDraft,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        """Check the endpoint and credentials by taking the first snapshot; store nothing on failure."""
        draft = self.check_new(draft)
        prepared = prepare_registration(draft, self.credentials, self.settings, cancel, progress)
        try:
            if progress is not None:
                progress("write", 0, None)
            return self.commit_registration(prepared, cancel)
        except BaseException:
            discard_registration(prepared, self.credentials)
            raise

    def sync(
        self,
        registry: Registry,
        trigger: str = "manual",
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        """Refresh the snapshot. Failures are recorded and returned; the previous snapshot stays."""
        ticket = self.begin_sync(registry, trigger)
        try:
            fetched = fetch_for_sync(ticket, self.credentials, self.settings, cancel, progress)
            if progress is not None:
                progress("write", 0, None)
        except UserError as exc:
            return self.fail_sync(ticket, exc)
        except Exception as exc:
            log.exception("sync of %s failed unexpectedly", registry.name)
            self.fail_sync(ticket, exc)
            raise
        return self.finish_sync(ticket, fetched, cancel)

    def update(self, registry: Registry, draft: RegistryDraft, cancel: CancelToken | None = None) -> Registry:
        """Save edited fields. A new endpoint, certificate or login is checked against the server
        first; the snapshot is kept either way."""
        draft = draft.cleaned()
        ensure_name_free(self.db, draft.name, except_id=registry.id)
        check_edit(registry, draft, self.credentials, self.settings, cancel)
        store_edited_password(registry, draft, self.credentials)
        return self.save_edit(registry, draft)

    def remove(self, registry: Registry) -> None:
        with transaction(self.db):
            delete_registry(self.db, registry.id)
        if registry.username:
            try:
                self.credentials.delete_password(registry.uid)
            except UserError as exc:  # the registry is gone; a stale secret is not worth failing for
                log.warning("could not remove the password of %s from the keyring: %s", registry.name, exc)

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
