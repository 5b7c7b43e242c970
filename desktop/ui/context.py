"""What the window's parts share: the app's folders, the UI's catalog reader, the background worker."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.jobs.worker import BackgroundWorker
from desktop.paths import AppPaths
from desktop.profiles.model import Profile
from desktop.secrets import CredentialStore
from desktop.ui.worker_bridge import WorkerBridge


@dataclass
class AppContext:
    paths: AppPaths
    reader: sqlite3.Connection  # read-only; used on the UI thread only
    worker: BackgroundWorker
    bridge: WorkerBridge
    credentials: CredentialStore
    clock: Callable[[], float] = field(default=time.time)
    # profile id → variable name → the value to check and render with instead of the default;
    # kept for the window's session only (Palette sets the real values when a cluster is deployed)
    test_values: dict[int, dict[str, str]] = field(default_factory=dict)
    # the registry last chosen on Add Helm Chart's Private tab: the next one starts there (this session)
    private_registry: str = ""

    def test_values_of(self, profile: Profile | None) -> dict[str, str]:
        """The test values set on `profile` this session, for the variables it defines now."""
        if profile is None:
            return {}
        kept = self.test_values.get(profile.id or 0, {})
        names = {variable.name for variable in profile.variables}
        return {name: value for name, value in kept.items() if name in names}

    def outlived(self, widget: object) -> bool:
        """True when a background result arrives for a widget that is gone, or after shutdown."""
        from shiboken6 import isValid

        return self.bridge.closed or not isValid(widget)
