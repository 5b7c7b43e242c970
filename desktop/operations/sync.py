"""Synchronize a registry: record the start, fetch what is new, apply it in one transaction (or hold
a suspicious shrink for the user), record the end. A failure leaves the previous snapshot as it was."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from desktop.cancellation import CancelToken
from desktop.catalog.db import transaction
from desktop.catalog.sync_records import (
    RunOutcome,
    finish_run,
    record_held,
    run_status,
)
from desktop.operations.services import Services
from desktop.operations.sync_run import (
    PendingSync,
    ShrinkRule,
    SyncResult,
    apply_fetched,
    hold_reason,
    recorded,
    recorded_sync,
    result_of,
)
from desktop.secrets import CredentialStore, registry_password
from desktop.sync.fetch_index import FetchedIndex, ProgressCallback

log = logging.getLogger(__name__)


# --- the operation ---------------------------------------------------------------------------------


def sync_registry(
    services: Services,
    registry_id: int,
    trigger: str = "manual",
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    started: Callable[[PendingSync], None] | None = None,
    accept_removals: bool = False,
) -> SyncResult:
    """Refresh one registry's snapshot. Failures are recorded and returned, never raised; the
    previous snapshot stays, and so does it when the new index would remove a suspicious share of
    it (the run is held until `accept_removals`). `started` hears the recorded run before the
    network is touched."""
    from desktop.catalog.origins import is_subscription, resume_upstream_sync

    if services.catalog(is_subscription, registry_id):  # its sync reads the site's published catalog
        from desktop.operations.subscriptions import sync_subscription

        return sync_subscription(
            services,
            registry_id,
            trigger,
            cancel=cancel,
            progress=progress,
            started=started,
            accept_removals=accept_removals,
        )
    result = _sync_with_endpoint(services, registry_id, trigger, cancel, progress, started, accept_removals)
    if result.ok and trigger == "manual":  # a registry from a bundle syncs itself again once the user does it
        services.catalog(resume_upstream_sync, registry_id)
    return result


def _sync_with_endpoint(
    services: Services,
    registry_id: int,
    trigger: str,
    cancel: CancelToken | None,
    progress: ProgressCallback | None,
    started: Callable[[PendingSync], None] | None,
    accept_removals: bool,
) -> SyncResult:
    rule = ShrinkRule(services.settings.shrink_threshold_percent, accept_removals)

    def fetch(pending: PendingSync) -> FetchedIndex:
        fetched = fetch_for_sync(pending, services.credentials, services.network, cancel, progress)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return fetched

    def apply(pending: PendingSync, fetched: FetchedIndex) -> SyncResult:
        if progress is not None:
            progress("write", 0, None)
        return services.catalog(apply_sync, pending, fetched, rule, cancel, services.clock)

    return recorded_sync(services, registry_id, trigger, started, fetch, apply)


def fetch_for_sync(
    pending: PendingSync,
    credentials: CredentialStore,
    settings: Any,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> FetchedIndex:
    """The network step: the registry's index (or OCI tags), only what is new since the last sync."""
    from desktop.net.access import http_access, oci_access
    from desktop.sync.fetch_index import fetch_index
    from desktop.sync.fetch_oci import fetch_oci

    registry = pending.registry
    password = registry_password(credentials, registry, "required")
    if registry.is_oci:
        return fetch_oci(
            oci_access(registry, password), settings, registry.chart_names, pending.existing, cancel, progress
        )
    return fetch_index(http_access(registry, password), settings, pending.state, cancel, progress)


# --- catalog steps (run where the writer connection lives) -------------------------------------------


def apply_sync(
    db: sqlite3.Connection,
    pending: PendingSync,
    fetched: FetchedIndex,
    rule: ShrinkRule,
    cancel: CancelToken | None,
    clock: Callable[[], float],
) -> SyncResult:
    """Write what changed and close the run, in one transaction — or, when the new index would
    remove a suspicious share of the snapshot, hold it: nothing changes but the run's record. A
    run already ended (cancelled while its download was abandoned) writes nothing; a failure rolls
    back and is left to `recorded_sync` to record."""
    with transaction(db):
        if run_status(db, pending.run_id) != "running":
            return recorded(db, pending)
        reason = None if rule.accept_removals else hold_reason(db, pending.registry.id, fetched, rule, pending.registry)
        if reason is not None:
            outcome = RunOutcome("held", fetched.download.status, fetched.download.wire_bytes, error=reason)
            finish_run(db, pending.run_id, outcome, clock())
            record_held(db, pending.registry.id, reason)
            return result_of(pending.registry, pending.run_id, outcome, fetched)
        outcome = apply_fetched(db, pending.registry.id, fetched, cancel, clock())
        finish_run(db, pending.run_id, outcome, clock())
    return result_of(pending.registry, pending.run_id, outcome, fetched)
