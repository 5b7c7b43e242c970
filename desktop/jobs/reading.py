"""A read-only catalog connection on a thread of its own: the window's queries that grow with the
catalog (the chart picker's search as the user types), off the UI thread and never behind a write."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from desktop.catalog.db import open_catalog
from desktop.errors import OperationCancelled

log = logging.getLogger(__name__)
T = TypeVar("T")
_Read = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], "Future[Any]"]


class CatalogReader:
    """Its thread starts with the first read, and reads in order until `close`."""

    def __init__(self, catalog_path: Path) -> None:
        self._catalog_path = catalog_path
        self._reads: queue.SimpleQueue[_Read | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def read(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """`step(db, *args, **kwargs)` on the reading thread; its result (or error) in the future."""
        outcome: Future[T] = Future()
        with self._lock:
            if self._closed:
                outcome.set_exception(OperationCancelled("Chartkeeper is closing."))
                return outcome
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="catalog-reader", daemon=True)
                self._thread.start()
            self._reads.put((step, args, kwargs, outcome))
        return outcome

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._thread is not None:
                self._reads.put(None)

    def _run(self) -> None:
        try:
            db = open_catalog(self._catalog_path, readonly=True)
        except BaseException as exc:  # every read hears why
            self._fail_all(exc)
            return
        try:
            while (read := self._reads.get()) is not None:
                step, args, kwargs, outcome = read
                try:
                    outcome.set_result(step(db, *args, **kwargs))
                except BaseException as exc:  # the caller says what it was
                    outcome.set_exception(exc)
        finally:
            db.close()

    def _fail_all(self, error: BaseException) -> None:
        while (read := self._reads.get()) is not None:
            read[3].set_exception(error)
