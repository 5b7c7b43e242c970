"""What a command needs (paths, the catalog, the sync engine), built on first use so read-only commands stay fast."""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any

from desktop.paths import AppPaths, resolve_paths


class Context:
    """What a command needs, built on first use so that read-only commands stay fast."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths: AppPaths = resolve_paths(args.home).ensure()
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            from desktop.catalog.db import open_catalog

            self._db = open_catalog(self.paths.catalog)
        return self._db

    def engine(self) -> Any:
        from desktop.catalog.settings_store import load_settings
        from desktop.catalog.sync_records import mark_interrupted_runs
        from desktop.net.settings import network_settings
        from desktop.secrets import CredentialStore
        from desktop.sync.engine import SyncEngine

        mark_interrupted_runs(self.db)  # runs a killed process left 'running'

        settings = load_settings(self.db)
        network = network_settings(settings)
        if getattr(self.args, "max_index_size", None):
            from dataclasses import replace

            network = replace(network, max_index_bytes=int(self.args.max_index_size * 1024 * 1024))
        return SyncEngine(self.db, CredentialStore(), network)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
