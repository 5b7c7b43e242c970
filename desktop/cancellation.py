"""A cancel flag shared between the thread doing long work and the one that may stop it."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

from desktop.errors import OperationCancelled

log = logging.getLogger(__name__)


class CancelToken:
    """Set by the UI (or Ctrl+C); checked by downloads, parsing and catalog writes between steps.

    Work that blocks (a socket read) registers an abort action with `while_blocking`; `cancel()`
    runs it so the blocked call returns at once instead of after its timeout."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._aborts: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            aborts = list(self._aborts)
        for abort in aborts:
            try:
                abort()
            except Exception:  # an abort that fails must not stop the others
                log.exception("aborting blocked work failed")

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise OperationCancelled()

    def on_cancel(self, abort: Callable[[], None]) -> None:
        """Run `abort` when the token is cancelled (at once if it already is)."""
        with self._lock:
            if not self._event.is_set():
                self._aborts.append(abort)
                return
        abort()

    @contextlib.contextmanager
    def while_blocking(self, abort: Callable[[], None]) -> Iterator[None]:
        """Run `abort` if the token is cancelled while the block runs."""
        with self._lock:
            if self._event.is_set():
                raise OperationCancelled()
            self._aborts.append(abort)
        try:
            yield
        finally:
            with self._lock:
                self._aborts.remove(abort)
