"""A cancel flag shared between the thread doing long work and the one that may stop it."""

from __future__ import annotations

import threading

from desktop.errors import CancelledError


class CancelToken:
    """Set by the UI (or Ctrl+C); checked by downloads, parsing and catalog writes between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError()
