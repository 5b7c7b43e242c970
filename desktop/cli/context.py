"""What a command needs (paths, the catalog, the operations' services), built on first use so that
read-only commands stay fast."""

from __future__ import annotations

import argparse
import sqlite3
from typing import TYPE_CHECKING

from desktop.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from desktop.operations.services import Services


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths: AppPaths = resolve_paths(args.home).ensure()
        self._db: sqlite3.Connection | None = None
        self._services: Services | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            from desktop.catalog.db import open_catalog

            self._db = open_catalog(self.paths.catalog)
        return self._db

    def services(self) -> Services:
        """What operations need, their catalog steps running here on this command's connection."""
        if self._services is None:
            from dataclasses import replace

            from desktop.catalog.settings_store import load_settings
            from desktop.catalog.sync_records import mark_interrupted_runs
            from desktop.net.settings import network_settings
            from desktop.operations.services import inline_services
            from desktop.secrets import CredentialStore

            mark_interrupted_runs(self.db)  # runs a killed process left 'running'
            settings = load_settings(self.db)
            override = None
            max_size = getattr(self.args, "max_index_size", None)
            if max_size is not None:
                override = replace(network_settings(settings), max_index_bytes=int(max_size * 1024 * 1024))
            self._services = inline_services(self.db, CredentialStore(), settings, network_override=override)
        return self._services

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
