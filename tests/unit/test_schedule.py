"""The schedule: a day after the last success, retries that back off, nothing when sync is off."""

from __future__ import annotations

from desktop.catalog.sync_records import SyncState
from desktop.jobs.schedule import FIRST_RETRY, next_sync_at

DAY = 86400.0


def test_never_synced_is_due_now_and_off_is_never_due() -> None:
    assert next_sync_at(SyncState(), DAY, enabled=True) == 0.0
    assert next_sync_at(SyncState(last_success_at=100.0), DAY, enabled=False) is None


def test_due_an_interval_after_the_last_success() -> None:
    assert next_sync_at(SyncState(last_success_at=1000.0, last_attempt_at=1000.0), DAY, enabled=True) == 1000 + DAY


def test_failures_back_off_doubling_up_to_the_interval() -> None:
    waits = []
    for failures in range(1, 12):
        state = SyncState(last_success_at=0.0, last_attempt_at=2 * DAY, consecutive_failures=failures)
        waits.append(next_sync_at(state, DAY, enabled=True) - 2 * DAY)  # type: ignore[operator]
    assert waits[:4] == [FIRST_RETRY, 2 * FIRST_RETRY, 4 * FIRST_RETRY, 8 * FIRST_RETRY]
    assert max(waits) == DAY


def test_a_failed_manual_sync_does_not_pull_the_next_one_forward() -> None:
    state = SyncState(last_success_at=1000.0, last_attempt_at=2000.0, consecutive_failures=1)
    assert next_sync_at(state, DAY, enabled=True) == 1000 + DAY
