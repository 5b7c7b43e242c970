"""What a command needs (paths, the catalog, the operations' services), built on first use so that
read-only commands stay fast; a catalog that cannot be written is read as it is, and only writes fail."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from typing import TYPE_CHECKING

from desktop.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from desktop.catalog.db import CatalogReadOnlyError
    from desktop.operations.services import Services

WAITING = "waiting for the catalog: another Chartkeeper is writing…"


def _say_waiting() -> None:
    print(WAITING, file=sys.stderr, flush=True)


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths: AppPaths = resolve_paths(args.home).ensure()
        self._db: sqlite3.Connection | None = None
        self._services: Services | None = None
        self.read_only: CatalogReadOnlyError | None = None  # why the catalog was opened read-only

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            from desktop.catalog.db import CatalogReadOnlyError, open_catalog

            try:
                self._db = open_catalog(self.paths.catalog, on_wait=_say_waiting)
            except CatalogReadOnlyError as exc:
                if not self.paths.catalog.is_file():
                    raise
                self._db = open_catalog(self.paths.catalog, readonly=True)
                self.read_only = exc
                print(
                    f"note: the catalog {exc.path} is read-only ({exc.reason}): reading it as it is; "
                    "nothing can be saved.",
                    file=sys.stderr,
                )
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

            db = self.db
            if self.read_only is not None:
                raise self.read_only  # every operation may write: say so before it starts
            mark_interrupted_runs(db)  # runs a killed process left 'running'
            settings = load_settings(db)
            override = None
            max_size = getattr(self.args, "max_index_size", None)
            if max_size is not None:
                override = replace(network_settings(settings), max_index_bytes=int(max_size * 1024 * 1024))
            self._services = inline_services(
                db,
                CredentialStore(),
                settings,
                network_override=override,
                keys_folder=self.paths.trusted_keys,
                image_hosts=self.paths.data_dir / "image-registries.json",
            )
        return self._services

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
