"""When each registry syncs next: its interval after the last success, sooner retries that back off
after failures, never for registries with synchronization off."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from desktop.catalog.origins import synchronized_registries
from desktop.catalog.sync_records import SyncState, sync_state
from desktop.registry import Registry

FIRST_RETRY = 5 * 60.0
CHECK_SECONDS = 60.0  # how often the schedule looks for syncs due


def next_sync_at(state: SyncState, interval: float, *, enabled: bool) -> float | None:
    """The time (epoch seconds) the schedule should sync this registry; None when it never should."""
    if not enabled:
        return None
    if state.last_success_at is None and state.last_attempt_at is None:
        return 0.0
    due: float = (state.last_success_at or 0.0) + interval
    if state.consecutive_failures and state.last_attempt_at is not None:
        backoff = min(interval, FIRST_RETRY * 2.0 ** (state.consecutive_failures - 1))
        return max(due, state.last_attempt_at + backoff)
    return due


def due_registries(db: sqlite3.Connection, now: float, interval: float) -> tuple[list[Registry], float | None]:
    """The registries the schedule should sync now, and when the next of the others falls due."""
    due: list[Registry] = []
    soonest: float | None = None
    for registry in synchronized_registries(db):
        at = next_sync_at(sync_state(db, registry.id), interval, enabled=True)
        if at is None:
            continue
        if at <= now:
            due.append(registry)
        elif soonest is None or at < soonest:
            soonest = at
    return due, soonest


def start_due_syncs(
    db: sqlite3.Connection, now: float, interval: float, running: dict[int, str], start: Callable[[int, str], object]
) -> float:
    """Start (`start(registry_id, "schedule")`) the syncs that are due and not `running`; return how long
    to wait before looking again."""
    due, soonest = due_registries(db, now, interval)
    for registry in due:
        if registry.id not in running:
            start(registry.id, "schedule")
    return CHECK_SECONDS if soonest is None else min(CHECK_SECONDS, soonest - now)
