"""What the window's parts share: the app's folders, the UI's catalog reader, the background worker."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.paths import AppPaths
from desktop.secrets import CredentialStore
from desktop.sync.worker import BackgroundWorker
from desktop.ui.worker_bridge import WorkerBridge


@dataclass
class AppContext:
    paths: AppPaths
    reader: sqlite3.Connection  # read-only; used on the UI thread only
    worker: BackgroundWorker
    bridge: WorkerBridge
    credentials: CredentialStore
    clock: Callable[[], float] = field(default=time.time)

    def outlived(self, widget: object) -> bool:
        """True when a background result arrives for a widget that is gone, or after shutdown."""
        from shiboken6 import isValid

        return self.bridge.closed or not isValid(widget)
