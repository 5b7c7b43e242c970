"""When each registry syncs next: its interval after the last success, sooner retries that back off
after failures, never for registries with synchronization off."""

from __future__ import annotations

from desktop.catalog.sync_records import SyncState

FIRST_RETRY = 5 * 60.0


def next_sync_at(state: SyncState, interval: float, *, enabled: bool) -> float | None:
    """The time (epoch seconds) the schedule should sync this registry; None when it never should."""
    if not enabled:
        return None
    if state.last_success_at is None and state.last_attempt_at is None:
        return 0.0
    due = (state.last_success_at or 0.0) + interval
    if state.consecutive_failures and state.last_attempt_at is not None:
        backoff = min(interval, FIRST_RETRY * 2 ** (state.consecutive_failures - 1))
        return max(due, state.last_attempt_at + backoff)
    return due
