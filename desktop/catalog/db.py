"""Opening the catalog: connection settings, migrations with a backup first, newer schemas refused;
every write in one transaction that waits (bounded) for another writer; SQLite's failures as one line."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from desktop.catalog.migrations import MIGRATIONS
from desktop.errors import CatalogError, UserError
from desktop.files import PRIVATE_FILE, DiskFullError, not_a_file

SCHEMA_VERSION = len(MIGRATIONS)
# SQLite's own busy handler waits this long on each attempt (its sleeps grow from 1 ms to 100 ms).
BUSY_TIMEOUT_MS = 1000
# How long a write waits for another process's write transaction before giving up; the caller
# hears once, after the first attempt, that it is waiting.
BUSY_GIVE_UP_SECONDS = 15.0

# SQLite's primary result codes (sqlite3.h); Python 3.11 gives them as `sqlite_errorcode`.
_BUSY, _LOCKED, _READONLY, _CORRUPT, _CANTOPEN, _FULL, _NOTADB = 5, 6, 8, 11, 14, 13, 26
_IOERR = 10


class CatalogBusyError(CatalogError):
    """Another process held the catalog's write lock for longer than a write waits."""


class CatalogDamagedError(CatalogError):
    """SQLite found the catalog's file damaged (a bad page, a file that is not a database)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The catalog {path} is damaged ({detail}): nothing was changed. Run `chartkeeper catalog check` to "
            "see what is wrong, then `chartkeeper catalog recover` to copy what can be read into a new catalog "
            "(the damaged file is kept beside it), or restore a backup of it."
        )
        self.path = path
        self.detail = detail  # SQLite's words


class CatalogReadOnlyError(CatalogError):
    """The catalog can be read but not written (a read-only file system, a file not ours to write)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"The catalog {path} is read-only ({reason}): nothing can be saved. Remount it read-write, or copy "
            "the folder somewhere writable and use --home."
        )
        self.path = path
        self.reason = reason


class CatalogConnection(sqlite3.Connection):
    """A catalog connection: the file it opened, and whom to tell when a write starts waiting for
    another process (the CLI prints a line; the window's writer thread just waits)."""

    path: Path | None = None
    on_wait: Callable[[], None] | None = None
    read_only: bool = False


# --- SQLite's failures, as what the user can do about them ------------------------------------------


def primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_busy(error: sqlite3.Error) -> bool:
    return primary_code(error) in (_BUSY, _LOCKED)


def busy_message(path: Path | None) -> str:
    where = f" {path}" if path else ""
    return (
        f"The catalog{where} is busy (another Chartkeeper is writing); try again when it has finished, or close "
        "the other Chartkeeper."
    )


def catalog_failure(error: sqlite3.Error, path: Path | None) -> UserError | None:
    """The one line for an SQLite failure the user can act on (busy, damaged, read-only, disk
    full); None for anything else, which is a bug."""
    code = primary_code(error)
    shown = path or Path("catalog")
    if code in (_BUSY, _LOCKED):
        return CatalogBusyError(busy_message(path))
    if code in (_CORRUPT, _NOTADB):
        return CatalogDamagedError(shown, str(error))
    if code == _FULL:
        return DiskFullError(f"The disk is full writing {shown}: free some space and try again.")
    if code == _READONLY:
        return CatalogReadOnlyError(shown, _read_only_reason(shown))
    if code in (_IOERR, _CANTOPEN):
        return CatalogError(f"The catalog {shown} cannot be read or written ({error}): check the disk it is on.")
    return None


def connection_path(connection: sqlite3.Connection) -> Path | None:
    path = getattr(connection, "path", None)
    if path is not None:
        return Path(path)
    with contextlib.suppress(sqlite3.Error):
        for _, name, file in connection.execute("PRAGMA database_list"):
            if name == "main" and file:
                return Path(file)
    return None


def _read_only_reason(path: Path) -> str:
    with contextlib.suppress(OSError):
        if os.statvfs(path if path.exists() else path.parent).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    return "this user may not write it"


def writable_problem(path: Path) -> str | None:
    """Why the catalog at `path` (or a new one there) cannot be written; None when it can."""
    folder = path.parent
    if not folder.is_dir():
        return None  # created when opened; a failure then says why
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "this user may not write it"
    return None


# --- opening -------------------------------------------------------------------------------------


def _create_private(path: Path) -> None:
    """Create an empty file readable by this user only, so that SQLite's -wal and -shm files,
    which take the database file's permissions, are private too."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _connect(path: Path, *, uri: str | None = None) -> CatalogConnection:
    connection = sqlite3.connect(
        uri or path,
        uri=uri is not None,
        isolation_level=None,
        factory=CatalogConnection,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    assert isinstance(connection, CatalogConnection)
    connection.path = path
    return connection


def open_catalog(path: Path, *, readonly: bool = False, on_wait: Callable[[], None] | None = None) -> CatalogConnection:
    """A connection for the calling thread. Writers migrate the file; readers only check it.

    Autocommit mode: every write happens inside an explicit `transaction()`. A reader opens a
    catalog on a read-only file system too (without its -shm file, as immutable)."""
    refuse_non_file(path)
    if not readonly:
        problem = writable_problem(path)
        if problem is not None:
            raise CatalogReadOnlyError(path, problem)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
        except OSError as exc:
            raise CatalogError(
                f"The catalog {path} cannot be created ({exc.strerror or exc}): choose another --home."
            ) from None
    elif not path.is_file():
        raise CatalogError(f"There is no catalog at {path}: nothing to read there yet.")
    connection, version = _open_checked(path, readonly)
    connection.on_wait = on_wait
    if version > SCHEMA_VERSION:
        connection.close()
        raise CatalogError(
            f"The catalog {path} was written by a newer Chartkeeper (schema {version}, this one knows "
            f"{SCHEMA_VERSION}): update Chartkeeper, or use another --home."
        )
    if version < SCHEMA_VERSION:
        if readonly:
            connection.close()
            raise CatalogError(
                f"The catalog {path} was written by an older Chartkeeper and needs an upgrade, which a read-only "
                "catalog cannot take: open it once where it can be written (copy the folder and use --home)."
            )
        try:
            _migrate(connection, path, version)
        except BaseException:
            connection.close()
            raise
    return connection


def refuse_non_file(path: Path) -> None:
    """SQLite opens a folder, a device or a named pipe in the catalog's place with a misleading
    error (or none: /dev/null takes every write): say what is there instead."""
    kind = not_a_file(path)
    if kind is not None:
        raise CatalogError(
            f"The catalog {path} is {kind}, not a file: move it out of the way, or choose another --home."
        )


def _open_checked(path: Path, readonly: bool) -> tuple[CatalogConnection, int]:
    """The connection, set up, and the schema version it reports."""
    connection: CatalogConnection | None = None
    try:
        if readonly:
            connection = open_reader(path)
        else:
            connection = _connect(path)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        # The schema is read at the first statement that names a table: a damaged first page shows here.
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        if connection is not None:
            connection.close()
        mapped = catalog_failure(exc, path)
        if mapped is not None:
            raise mapped from None
        raise CatalogError(f"The catalog {path} cannot be opened ({exc}).") from None
    return connection, version


def open_reader(path: Path) -> CatalogConnection:
    """A read-only connection. On a read-only file system SQLite cannot create the -shm file a
    WAL catalog needs; when no -wal file holds changes either, the file is complete and is read
    as immutable."""
    connection = _connect(path, uri=f"{path.as_uri()}?mode=ro")
    try:
        connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        connection.close()
        if primary_code(exc) != _CANTOPEN or not path.is_file():
            raise
        if _has_pending_log(path):
            raise CatalogError(
                f"The catalog {path} has changes in its -wal file that cannot be read where SQLite may not create "
                "its -shm file (a read-only folder): copy the folder somewhere writable and use --home."
            ) from None
        connection = _connect(path, uri=f"{path.as_uri()}?immutable=1")
    connection.read_only = True
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _has_pending_log(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def _migrate(connection: sqlite3.Connection, path: Path, current: int) -> None:
    if current > 0:
        backup_path = path.with_name(f"{path.name}.v{current}.bak")
        _create_private(backup_path)
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


# --- writing -------------------------------------------------------------------------------------


def _begin(connection: sqlite3.Connection, give_up_after: float) -> None:
    """BEGIN IMMEDIATE, waiting while another process writes: SQLite's busy handler waits on each
    attempt; after the first, whoever opened the connection hears that we wait; after
    `give_up_after` seconds, one line says the catalog is busy."""
    deadline: float | None = None
    while True:
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        now = time.monotonic()
        if deadline is None:
            deadline = now + give_up_after
            notify = getattr(connection, "on_wait", None)
            if notify is not None:
                notify()
        elif now >= deadline:
            raise CatalogBusyError(busy_message(connection_path(connection)))


@contextlib.contextmanager
def transaction(
    connection: sqlite3.Connection, *, give_up_after: float = BUSY_GIVE_UP_SECONDS
) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: a snapshot is all or nothing.

    Every write goes through here, so every write waits the same bounded time for another writer,
    and SQLite's failures that the user can act on (disk full, damaged, read-only) leave as one
    line (a `UserError`) after the rollback."""
    if getattr(connection, "read_only", False):
        path = connection_path(connection) or Path("catalog")
        raise CatalogReadOnlyError(path, _read_only_reason(path))
    try:
        _begin(connection, give_up_after)
    except sqlite3.Error as exc:
        _raise_mapped(exc, connection)
        raise
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException as exc:
        # SQLite may have rolled back already (after SQLITE_FULL it does): only roll back what is open.
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            _raise_mapped(exc, connection)
        raise


def _raise_mapped(error: sqlite3.Error, connection: sqlite3.Connection) -> None:
    """Raise the user's line for `error` when there is one; return when it is a bug."""
    mapped = catalog_failure(error, connection_path(connection))
    if mapped is not None:
        raise mapped from error


def data_version(db: sqlite3.Connection) -> int | None:
    """SQLite's `PRAGMA data_version`: it changes when another connection (another process, the
    writer thread) commits to the catalog; None when the catalog cannot be read."""
    try:
        row = db.execute("PRAGMA data_version").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None
