"""The catalog's writer: the one thread that owns the writer connection and runs the queued writes in
order (the user's before the schedule's), and between them whatever falls due (the schedule)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from desktop.catalog.db import open_catalog
from desktop.catalog.sync_records import mark_interrupted_runs
from desktop.errors import OperationCancelled
from desktop.jobs.futures import reporting

log = logging.getLogger(__name__)
T = TypeVar("T")
USER, SYSTEM = 0, 1  # user-started writes go before the schedule's
IDLE_SECONDS = 60.0  # the longest wait between two ticks


@dataclass(order=True)
class _Write:
    priority: int
    sequence: int
    action: Callable[[], None] = field(compare=False)


class CatalogWriter:
    """`opened(db)` runs on the writer thread once the catalog is open, before anything else; `tick`
    runs there between writes (the schedule: syncs due, icons to catch up) and returns how many
    seconds may pass before it runs again."""

    def __init__(
        self,
        catalog_path: Path,
        *,
        opened: Callable[[sqlite3.Connection], None] | None = None,
        tick: Callable[[], float] | None = None,
    ) -> None:
        self._catalog_path = catalog_path
        self._opened = opened
        self._tick = tick
        self._writes: queue.PriorityQueue[_Write] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._closed = False
        self.stopping = threading.Event()  # set as the worker stops: work that ends then starts nothing more
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._db: sqlite3.Connection | None = None

    def start(self) -> None:
        """Open the catalog on the writer thread; raises what opening it raised (a newer schema, say)."""
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    def stop(self, timeout: float) -> bool:
        """Finish the writes already queued and close the catalog; True when the thread ended in time."""
        self.stopping.set()
        with contextlib.suppress(OperationCancelled):
            self.put(USER, lambda: None)  # wakes the thread
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def db(self) -> sqlite3.Connection:
        """The writer connection: only for code running on the writer thread."""
        assert self._db is not None
        return self._db

    def put(self, priority: int, action: Callable[[], None]) -> None:
        """Queue `action` for the writer thread; raises OperationCancelled once the writer has closed."""
        with self._lock:
            if self._closed:
                raise OperationCancelled("Chartkeeper is closing: nothing more is written.")
            self._writes.put(_Write(priority, next(self._sequence), action))

    def call(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a catalog step `step(db, …)` on the writer thread and wait for it (from any other thread)."""
        if threading.current_thread() is self._thread:
            return step(self.db, *args, **kwargs)
        outcome: Future[T] = Future()

        def run() -> None:
            outcome.set_result(step(self.db, *args, **kwargs))

        self.put(USER, reporting(run, outcome, quiet=True))
        return outcome.result()

    def _run(self) -> None:
        try:
            db = open_catalog(self._catalog_path)
            mark_interrupted_runs(db)
            if self._opened is not None:
                self._opened(db)
            self._db = db
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self.stopping.is_set():
                wait = IDLE_SECONDS
                if self._tick is not None:
                    try:
                        wait = self._tick()
                    except Exception:  # a bug in what the tick runs: the user's writes still run
                        log.exception("the writer's scheduled work failed")
                try:
                    write = self._writes.get(timeout=max(0.05, wait))
                except queue.Empty:
                    continue
                write.action()
            with self._lock:
                self._closed = True
            self._drain()
        finally:
            with self._lock:
                self._closed = True  # however the loop ended, a later write is refused, never left waiting
            self._db = None
            db.close()

    def _drain(self) -> None:
        """On stop: finish the writes already queued (a cancelled run gets recorded as such)."""
        while True:
            try:
                write = self._writes.get_nowait()
            except queue.Empty:
                return
            write.action()
