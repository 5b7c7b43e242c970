"""Synchronize a registry: record the start, fetch what is new, apply it in one transaction (or hold
a suspicious shrink for the user), record the end. A failure leaves the previous snapshot as it was."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from desktop.cancellation import CancelToken
from desktop.catalog.db import transaction
from desktop.catalog.registries import get_registry_by_id
from desktop.catalog.snapshots import SnapshotDiff, planned_shrink, stored_items, write_snapshot
from desktop.catalog.sync_records import (
    RunOutcome,
    SyncState,
    end_interrupted_run,
    finish_run,
    index_had_generated,
    record_failure,
    record_held,
    record_index_shape,
    record_success,
    run_status,
    start_run,
    sync_state,
)
from desktop.errors import KeyringError, NetworkError, OperationCancelled, TLSError, UserError
from desktop.operations.services import Services
from desktop.registry import Registry
from desktop.secrets import CredentialStore
from desktop.sync.fetch_index import FetchedIndex, ProgressCallback

log = logging.getLogger(__name__)
F = TypeVar("F")

BUG_MESSAGE = "Internal error: see the log for details."
# A shrink smaller than this is a maintainer's tidy-up, not a download cut short: a small registry
# dropping one of its three versions is not held.
MIN_HELD_REMOVALS = 5


class SyncStatus(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    HELD = "held"  # a suspicious shrink, waiting for the user to accept it; the snapshot is unchanged
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class ShrinkRule:
    """When a sync that would mark many versions removed is held instead of applied."""

    threshold_percent: float = 25.0
    accept_removals: bool = False  # the user has seen the shrink and wants it applied


@dataclass
class SyncResult:
    registry: Registry
    status: SyncStatus
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
        return self.status in (SyncStatus.UPDATED, SyncStatus.UNCHANGED)


@dataclass(frozen=True)
class PendingSync:
    """A sync whose run is recorded as started: what the fetch step needs from the catalog."""

    registry: Registry
    run_id: int
    state: SyncState
    existing: dict[str, list[Any]] = field(default_factory=dict)  # OCI: the stored items, read incrementally


def error_kind(error: BaseException) -> str:
    """'network' when the registry could not be reached (the app shows it offline), else 'other'."""
    return "network" if isinstance(error, NetworkError) and not isinstance(error, TLSError) else "other"


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


def recorded_sync(
    services: Services,
    registry_id: int,
    trigger: str,
    started: Callable[[PendingSync], None] | None,
    fetch: Callable[[PendingSync], F],
    apply: Callable[[PendingSync, F], SyncResult],
) -> SyncResult:
    """The steps every sync takes, whatever it reads: record the run's start, fetch, apply. A
    failure of either step ends the run recorded as failed or cancelled and is returned (a bug is
    logged with its traceback too, and the next registry still syncs); Ctrl-C or SIGTERM is
    recorded as an interruption and raised."""
    pending = services.catalog(begin_sync, registry_id, trigger, services.clock())
    if started is not None:
        started(pending)
    try:
        try:
            return apply(pending, fetch(pending))
        except UserError as exc:
            return services.catalog(end_sync_failed, pending, exc, services.clock())
        except sqlite3.IntegrityError:  # the registry was removed while it was syncing
            removed = OperationCancelled("The registry was removed during the sync.")
            return services.catalog(end_sync_failed, pending, removed, services.clock())
        except Exception as exc:
            log.exception("sync of %s failed unexpectedly", pending.registry.name)
            return services.catalog(end_sync_failed, pending, exc, services.clock())
    except (KeyboardInterrupt, SystemExit):  # say so in the history, then stop
        services.catalog(end_interrupted_run, pending.run_id, services.clock())
        raise


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
    password = credentials.get_password(registry.uid) if registry.username else None
    if registry.username and password is None:
        raise KeyringError(
            f"The keyring holds no password for '{registry.name}': edit the registry and enter it again."
        )
    if registry.is_oci:
        return fetch_oci(
            oci_access(registry, password), settings, registry.chart_names, pending.existing, cancel, progress
        )
    return fetch_index(http_access(registry, password), settings, pending.state, cancel, progress)


# --- catalog steps (run where the writer connection lives) -------------------------------------------


def begin_sync(db: sqlite3.Connection, registry_id: int, trigger: str, now: float) -> PendingSync:
    registry = get_registry_by_id(db, registry_id)
    run_id = start_run(db, registry.id, trigger, now)
    existing = stored_items(db, registry.id) if registry.is_oci else {}
    return PendingSync(registry, run_id, sync_state(db, registry.id), existing)


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
            return _recorded(db, pending)
        reason = None if rule.accept_removals else hold_reason(db, pending.registry.id, fetched, rule)
        if reason is not None:
            outcome = RunOutcome("held", fetched.download.status, fetched.download.wire_bytes, error=reason)
            finish_run(db, pending.run_id, outcome, clock())
            record_held(db, pending.registry.id, reason)
            return result_of(pending.registry, pending.run_id, outcome, fetched)
        outcome = apply_fetched(db, pending.registry.id, fetched, cancel, clock())
        finish_run(db, pending.run_id, outcome, clock())
    return result_of(pending.registry, pending.run_id, outcome, fetched)


def hold_reason(db: sqlite3.Connection, registry_id: int, fetched: FetchedIndex, rule: ShrinkRule) -> str | None:
    """Why this index should not be applied without the user's word: it removes more than the
    threshold of the snapshot's versions, or it lost the `generated:` line the previous index had
    (Helm writes it last: a download cut short loses it, and its last chart's versions with it,
    or leaves a last entry cut in the middle, such as `version: 1` for `version: 1.2.0`)."""
    parsed = fetched.parsed
    if parsed is None:
        return None
    shrink = planned_shrink(db, registry_id, parsed.charts)
    lost_generated = fetched.has_generated is False and index_had_generated(db, registry_id) is True
    if shrink.removed >= MIN_HELD_REMOVALS and shrink.removed * 100 > rule.threshold_percent * shrink.stored:
        return (
            f"the new index lacks {shrink.removed:,} of {shrink.stored:,} versions — a truncated download? "
            "The snapshot is unchanged; accept the removals if they are real."
        )
    if shrink.whole_charts and lost_generated:
        return (
            f"the new index lacks {shrink.whole_charts:,} whole chart(s) and its `generated:` line — a truncated "
            "download? The snapshot is unchanged; accept the removals if they are real."
        )
    if lost_generated:
        return (
            "the new index lacks its `generated:` line, which the previous one had and Helm writes last — a "
            "truncated download? The snapshot is unchanged; accept the changes if they are real."
        )
    return None


def end_sync_failed(db: sqlite3.Connection, pending: PendingSync, error: BaseException, now: float) -> SyncResult:
    """Record a failed or cancelled run (once); the snapshot is untouched."""
    if isinstance(error, OperationCancelled):
        outcome = RunOutcome("cancelled", error=error.message)
    elif isinstance(error, UserError):
        outcome = RunOutcome("failed", error=error.message)
    else:
        outcome = RunOutcome("failed", error=BUG_MESSAGE)
    kind = error_kind(error)
    with transaction(db):
        if run_status(db, pending.run_id) != "running":
            return _recorded(db, pending)
        finish_run(db, pending.run_id, outcome, now)
        if outcome.status == "failed" and outcome.error:
            record_failure(db, pending.registry.id, outcome.error, kind)
    result = result_of(pending.registry, pending.run_id, outcome, None)
    result.error_kind = kind
    return result


def _recorded(db: sqlite3.Connection, pending: PendingSync) -> SyncResult:
    """The result of a run that another step already ended (a cancel that came first)."""
    from desktop.catalog.sync_records import get_run

    run = get_run(db, pending.run_id)
    known = {status.value for status in SyncStatus}
    status = SyncStatus(run.status) if run is not None and run.status in known else SyncStatus.CANCELLED
    return SyncResult(pending.registry, status, pending.run_id, error=run.error if run else None)


def apply_fetched(
    db: sqlite3.Connection, registry_id: int, fetched: FetchedIndex, cancel: CancelToken | None, now: float
) -> RunOutcome:
    """Inside a transaction: write what changed, and the new sync state."""
    download = fetched.download
    diff = SnapshotDiff()
    parsed = fetched.parsed
    if parsed is not None:
        diff = write_snapshot(db, registry_id, parsed.charts, cancel, now)
        record_index_shape(db, registry_id, fetched.has_generated)
    record_success(
        db,
        registry_id,
        now,
        etag=download.etag,
        last_modified=download.last_modified,
        content_digest=fetched.digest,
        api_version=parsed.api_version if parsed else None,
        snapshot_written=parsed is not None,
    )
    status = "unchanged" if diff.is_empty else "updated"
    return RunOutcome(status, download.status, download.wire_bytes, diff, parsed.skipped if parsed else 0)


def result_of(registry: Registry, run_id: int, outcome: RunOutcome, fetched: FetchedIndex | None) -> SyncResult:
    parsed = fetched.parsed if fetched else None
    return SyncResult(
        registry,
        SyncStatus(outcome.status),
        run_id,
        outcome.http_status,
        outcome.bytes,
        outcome.diff or SnapshotDiff(),
        parsed.warnings if parsed else [],
        outcome.skipped,
        outcome.error,
    )
