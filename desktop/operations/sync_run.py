"""The pieces every sync run shares, whatever it reads (an endpoint, a published catalog, a bundle):
its result and status, the shrink rule, and the recorded start, failure and end of a run."""

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
    get_run,
    index_had_generated,
    record_failure,
    record_index_shape,
    record_success,
    run_status,
    start_run,
    sync_state,
)
from desktop.errors import NetworkError, OperationCancelled, TLSError, UserError
from desktop.operations.services import Services
from desktop.registry import Registry
from desktop.settings import DEFAULT_SHRINK_THRESHOLD_PERCENT
from desktop.sync.fetch_index import FetchedIndex

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

    threshold_percent: float = DEFAULT_SHRINK_THRESHOLD_PERCENT
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


def begin_sync(db: sqlite3.Connection, registry_id: int, trigger: str, now: float) -> PendingSync:
    registry = get_registry_by_id(db, registry_id)
    run_id = start_run(db, registry.id, trigger, now)
    existing = stored_items(db, registry.id) if registry.is_oci else {}
    return PendingSync(registry, run_id, sync_state(db, registry.id), existing)


def hold_reason(
    db: sqlite3.Connection, registry_id: int, fetched: FetchedIndex, rule: ShrinkRule, registry: Registry | None = None
) -> str | None:
    """Why this index should not be applied without the user's word: it removes more than the
    threshold of the snapshot's versions, or it lost the `generated:` line the previous index had
    (Helm writes it last: a download cut short loses it, and its last chart's versions with it,
    or leaves a last entry cut in the middle, such as `version: 1` for `version: 1.2.0`)."""
    parsed = fetched.parsed
    if parsed is None:
        return None
    # Charts from a base path the user removed are left out: their going is the edit, not a truncated sync.
    shrink = planned_shrink(db, registry_id, parsed.charts, None if registry is None else registry.covers)
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
            return recorded(db, pending)
        finish_run(db, pending.run_id, outcome, now)
        if outcome.status == "failed" and outcome.error:
            record_failure(db, pending.registry.id, outcome.error, kind)
    result = result_of(pending.registry, pending.run_id, outcome, None)
    result.error_kind = kind
    return result


def recorded(db: sqlite3.Connection, pending: PendingSync) -> SyncResult:
    """The result of a run that another step already ended (a cancel that came first)."""
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
