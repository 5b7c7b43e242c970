"""Opening the catalog: connection settings, migrations with a backup first, newer schemas refused."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from desktop.catalog.migrations import MIGRATIONS
from desktop.errors import CatalogError

SCHEMA_VERSION = len(MIGRATIONS)


def open_catalog(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection for the calling thread. Writers migrate the file; readers only check it.

    Autocommit mode: every write happens inside an explicit `transaction()`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if readonly:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
        else:
            connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CatalogError(
            f"The catalog {path} cannot be opened ({exc}): move it aside to start afresh, or restore a backup."
        ) from None
    if version > SCHEMA_VERSION:
        connection.close()
        raise CatalogError(
            f"The catalog {path} was written by a newer Chartkeeper (schema {version}, this one knows "
            f"{SCHEMA_VERSION}): update Chartkeeper, or use another --home."
        )
    if version < SCHEMA_VERSION:
        if readonly:
            connection.close()
            raise CatalogError(f"The catalog {path} needs an upgrade: open it once with the app or the CLI.")
        _migrate(connection, path, version)
    return connection


def _migrate(connection: sqlite3.Connection, path: Path, current: int) -> None:
    if current > 0:
        backup_path = path.with_name(f"{path.name}.v{current}.bak")
        with contextlib.closing(sqlite3.connect(backup_path)) as backup:
            connection.backup(backup)
    # Off while migrating (it cannot change inside a transaction): rebuilding a table must not
    # cascade into the tables that reference it. Checked again before it is turned back on.
    connection.execute("PRAGMA foreign_keys = OFF")
    try:
        for number in range(current, SCHEMA_VERSION):
            with transaction(connection):
                for statement in MIGRATIONS[number]:
                    connection.execute(statement)
                problems = connection.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise CatalogError(f"Migrating the catalog {path} to schema {number + 1} failed its checks.")
                connection.execute(f"PRAGMA user_version = {number + 1}")
    finally:
        connection.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: a snapshot is all or nothing."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
