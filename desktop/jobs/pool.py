"""A small pool of daemon threads for operations with network steps: bounded, and never keeping the
app from quitting while a download it abandoned is still blocked."""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class DaemonPool:
    """At most `size` threads, started as work arrives; each lives while there is work, and ends
    after `idle_seconds` without any."""

    def __init__(self, size: int, name: str = "operation", idle_seconds: float = 30.0) -> None:
        self._size = size
        self._name = name
        self._idle_seconds = idle_seconds
        self._tasks: collections.deque[Callable[[], None]] = collections.deque()
        self._ready = threading.Condition()
        self._threads = 0
        # Threads waiting for a task. They count themselves in and out under the condition's lock, so a
        # thread that has just taken a task is never counted idle for the next one (it would then wait
        # behind a long download although the pool had room for another thread).
        self._idle = 0

    def submit(self, task: Callable[[], None]) -> None:
        """Run `task` on a pool thread; it must report its own failures (it is logged if it raises)."""
        with self._ready:
            self._tasks.append(task)
            if len(self._tasks) <= self._idle:
                self._ready.notify()
                return
            if self._threads >= self._size:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._serve, name=f"{self._name}-{number}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._ready:
                self._idle += 1
                try:
                    while not self._tasks:
                        if not self._ready.wait(self._idle_seconds) and not self._tasks:
                            self._threads -= 1
                            return
                    task = self._tasks.popleft()
                finally:
                    self._idle -= 1
            try:
                task()
            except BaseException:
                log.exception("background operation failed")
