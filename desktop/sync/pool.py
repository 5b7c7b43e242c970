"""A small pool of daemon threads for operations with network steps: bounded, and never keeping the
app from quitting while a download it abandoned is still blocked."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class DaemonPool:
    """At most `size` threads, started as work arrives; each lives while there is work."""

    def __init__(self, size: int, name: str = "operation") -> None:
        self._size = size
        self._name = name
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, task: Callable[[], None]) -> None:
        """Run `task` on a pool thread; it must report its own failures (it is logged if it raises)."""
        self._tasks.put(task)
        with self._lock:
            if self._threads >= self._size or self._tasks.qsize() <= self._idle:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._serve, name=f"{self._name}-{number}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                task = self._tasks.get(timeout=30)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._tasks.empty():
                        self._threads -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
            try:
                task()
            except BaseException:
                log.exception("background operation failed")
