"""The record of syncs: each run with what it changed, and each registry's current sync state."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from desktop.catalog.db import transaction
from desktop.catalog.snapshots import SnapshotDiff
from desktop.processes import is_alive, this_process

INTERRUPTED = "Interrupted: Chartkeeper stopped while this sync was running."
RUN_STATUSES = ("running", "updated", "unchanged", "held", "failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class SyncState:
    """What the last fetches left behind: validators for conditional GET, times, the last error."""

    etag: str | None = None
    last_modified: str | None = None
    content_digest: str | None = None
    snapshot_at: float | None = None
    last_success_at: float | None = None
    last_attempt_at: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    last_error_kind: str | None = None  # 'network' when the registry was unreachable

    @property
    def offline(self) -> bool:
        return self.last_error is not None and self.last_error_kind == "network"


@dataclass(frozen=True)
class SyncRun:
    id: int
    registry_id: int
    trigger: str
    started_at: float
    finished_at: float | None
    status: str  # one of RUN_STATUSES
    http_status: int | None
    bytes: int
    added: int
    removed: int
    changed: int
    skipped: int
    error: str | None


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, as the sync operation reports it."""

    status: str
    http_status: int | None = None
    bytes: int = 0
    diff: SnapshotDiff | None = None
    skipped: int = 0
    error: str | None = None


def sync_state(db: sqlite3.Connection, registry_id: int) -> SyncState:
    row = db.execute(
        "SELECT etag, last_modified, content_digest, snapshot_at, last_success_at, last_attempt_at, last_error,"
        " consecutive_failures, last_error_kind FROM sync_state WHERE registry_id = ?",
        (registry_id,),
    ).fetchone()
    return SyncState() if row is None else SyncState(*row)


def insert_run(db: sqlite3.Connection, registry_id: int, trigger: str, now: float) -> int:
    """A 'running' run owned by this process, inside the caller's transaction."""
    cursor = db.execute(
        "INSERT INTO sync_runs (registry_id, trigger, started_at, status, owner) VALUES (?, ?, ?, 'running', ?)",
        (registry_id, trigger, now, this_process()),
    )
    db.execute("UPDATE sync_state SET last_attempt_at = ? WHERE registry_id = ?", (now, registry_id))
    return int(cursor.lastrowid or 0)


def start_run(db: sqlite3.Connection, registry_id: int, trigger: str, now: float) -> int:
    """Record that a run began, in its own transaction, so a killed process still leaves a trace."""
    with transaction(db):
        return insert_run(db, registry_id, trigger, now)


def finish_run(
    db: sqlite3.Connection, run_id: int, outcome: RunOutcome, now: float, *, list_changes: bool = True
) -> None:
    """Close the run inside the caller's transaction, with the list of what changed (not for a
    registration, where everything is new and the counts say it all)."""
    diff = outcome.diff or SnapshotDiff()
    db.execute(
        "UPDATE sync_runs SET finished_at = ?, status = ?, http_status = ?, bytes = ?, added = ?, removed = ?,"
        " changed = ?, skipped = ?, error = ? WHERE id = ?",
        (
            now,
            outcome.status,
            outcome.http_status,
            outcome.bytes,
            len(diff.added),
            len(diff.removed),
            len(diff.changed),
            outcome.skipped,
            outcome.error,
            run_id,
        ),
    )
    if not list_changes:
        return
    db.executemany(
        "INSERT INTO sync_run_changes (run_id, change, chart, version) VALUES (?, ?, ?, ?)",
        [
            (run_id, change, chart, version)
            for change, keys in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed))
            for chart, version in keys
        ],
    )


def record_success(
    db: sqlite3.Connection,
    registry_id: int,
    now: float,
    *,
    etag: str | None,
    last_modified: str | None,
    content_digest: str | None,
    api_version: str | None = None,
    snapshot_written: bool,
) -> None:
    """Inside the caller's transaction: validators for the next conditional GET, and the due clock."""
    db.execute(
        "UPDATE sync_state SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
        " content_digest = COALESCE(?, content_digest), api_version = COALESCE(?, api_version),"
        " snapshot_at = CASE WHEN ? THEN ? ELSE COALESCE(snapshot_at, ?) END,"
        " last_success_at = ?, last_error = NULL, last_error_kind = NULL, consecutive_failures = 0"
        " WHERE registry_id = ?",
        (etag, last_modified, content_digest, api_version, snapshot_written, now, now, now, registry_id),
    )


def record_held(db: sqlite3.Connection, registry_id: int, reason: str) -> None:
    """A sync held for the user: the registry says why; retries back off like after a failure."""
    record_failure(db, registry_id, reason, "held")


def record_index_shape(db: sqlite3.Connection, registry_id: int, had_generated: bool | None) -> None:
    db.execute(
        "UPDATE sync_state SET index_had_generated = ? WHERE registry_id = ?",
        (None if had_generated is None else int(had_generated), registry_id),
    )


def index_had_generated(db: sqlite3.Connection, registry_id: int) -> bool | None:
    row = db.execute("SELECT index_had_generated FROM sync_state WHERE registry_id = ?", (registry_id,)).fetchone()
    return None if row is None or row[0] is None else bool(row[0])


def record_failure(db: sqlite3.Connection, registry_id: int, error: str, kind: str = "other") -> None:
    db.execute(
        "UPDATE sync_state SET last_error = ?, last_error_kind = ?, consecutive_failures = consecutive_failures + 1"
        " WHERE registry_id = ?",
        (error, kind, registry_id),
    )


def mark_interrupted_runs(db: sqlite3.Connection) -> int:
    """Runs left 'running' by a process that is gone (killed, crashed): mark them interrupted so
    history tells the truth. A live process's runs — another Chartkeeper's — are left alone."""
    rows = db.execute("SELECT id, owner FROM sync_runs WHERE status = 'running'").fetchall()
    dead = [(INTERRUPTED, run_id) for run_id, owner in rows if owner != this_process() and not is_alive(owner)]
    if dead:
        with transaction(db):
            db.executemany(
                "UPDATE sync_runs SET status = 'interrupted', finished_at = started_at, error = ?"
                " WHERE id = ? AND status = 'running'",
                dead,
            )
    return len(dead)


def end_interrupted_run(db: sqlite3.Connection, run_id: int, now: float) -> None:
    """This process was stopped (Ctrl-C, SIGTERM) during the run."""
    with transaction(db):
        db.execute(
            "UPDATE sync_runs SET status = 'interrupted', finished_at = ?, error = ?"
            " WHERE id = ? AND status = 'running'",
            (now, "Interrupted: the sync was stopped (Ctrl-C or the process was asked to end).", run_id),
        )


_RUN_COLUMNS = (
    "id, registry_id, trigger, started_at, finished_at, status, http_status, bytes, added, removed, changed,"
    " skipped, error, owner"
)


def _run(row: tuple[Any, ...]) -> SyncRun:
    """A run as read; one left 'running' by a process that is gone reads as interrupted, so a
    read-only command (history of a catalog nobody has written to since a kill -9) tells the truth."""
    run = SyncRun(*row[:-1])
    owner = row[-1]
    if run.status == "running" and owner != this_process() and not is_alive(owner):
        return replace(run, status="interrupted", finished_at=run.started_at, error=INTERRUPTED)
    return run


def list_runs(db: sqlite3.Connection, registry_id: int, limit: int = 50) -> list[SyncRun]:
    rows = db.execute(
        f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE registry_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        (registry_id, limit),
    ).fetchall()
    return [_run(row) for row in rows]


def run_changes(db: sqlite3.Connection, run_id: int) -> list[tuple[str, str, str]]:
    """(change, chart, version) for one run, charts in name order."""
    return db.execute(
        "SELECT change, chart, version FROM sync_run_changes WHERE run_id = ? ORDER BY chart, change, version",
        (run_id,),
    ).fetchall()


def run_status(db: sqlite3.Connection, run_id: int) -> str | None:
    row = db.execute("SELECT status FROM sync_runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else str(row[0])


def get_run(db: sqlite3.Connection, run_id: int) -> SyncRun | None:
    row = db.execute(
        f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    return None if row is None else _run(row)
