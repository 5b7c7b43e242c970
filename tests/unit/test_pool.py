"""The worker's pool of daemon threads: bounded, a task never waiting behind a busy thread while
there is room for another, failures logged, idle threads ended."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from desktop.jobs.pool import DaemonPool

WAIT = 10.0  # seconds: bounds on waits that end at once when the pool works, never timings


def pool_threads(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(f"{name}-")]


def test_a_task_runs_beside_a_blocked_one_while_the_pool_has_room() -> None:
    """A second task never waits behind a busy thread while the pool may start another (a chart's
    files behind a slow sync). The pool once counted a thread that had just taken a task as idle
    still; that moment is too short to meet on purpose, so this checks the outcome, many times."""
    for attempt in range(50):
        pool = DaemonPool(2, name=f"room-{attempt}")
        warm = threading.Event()
        pool.submit(warm.set)
        assert warm.wait(WAIT)
        release, second = threading.Event(), threading.Event()
        pool.submit(lambda release=release: release.wait(WAIT))
        pool.submit(second.set)
        assert second.wait(WAIT), f"attempt {attempt}: the second task waited behind the first"
        release.set()


def test_no_more_than_size_tasks_run_at_once_and_the_rest_follow() -> None:
    pool = DaemonPool(2, name="bounded")
    release = threading.Event()
    running: list[int] = []
    done = threading.Semaphore(0)
    lock = threading.Lock()

    def task(number: int) -> None:
        with lock:
            running.append(number)
        release.wait(WAIT)
        done.release()

    for number in range(5):
        pool.submit(lambda number=number: task(number))
    deadline = time.monotonic() + WAIT
    while len(running) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # room for a third to start, were the pool unbounded
    assert len(running) == 2 and len(pool_threads("bounded")) == 2
    release.set()
    for _ in range(5):
        assert done.acquire(timeout=WAIT)
    assert sorted(running) == [0, 1, 2, 3, 4]


def test_a_failing_task_is_logged_and_its_thread_serves_the_next(caplog: pytest.LogCaptureFixture) -> None:
    pool = DaemonPool(1, name="failing")

    def fail() -> None:
        raise RuntimeError("a bug in a task")

    after = threading.Event()
    with caplog.at_level(logging.ERROR, logger="desktop.jobs.pool"):
        pool.submit(fail)
        pool.submit(after.set)
        assert after.wait(WAIT)
    assert "background operation failed" in caplog.text and "a bug in a task" in caplog.text


def test_idle_threads_end_and_new_work_starts_them_again() -> None:
    pool = DaemonPool(2, name="idle", idle_seconds=0.05)
    first = threading.Event()
    pool.submit(first.set)
    assert first.wait(WAIT)
    deadline = time.monotonic() + WAIT
    while pool_threads("idle") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool_threads("idle") == []
    again = threading.Event()
    pool.submit(again.set)
    assert again.wait(WAIT)
