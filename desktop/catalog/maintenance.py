"""Checking the catalog file (SQLite's integrity check) and recovering a damaged one: what can be read is
copied, table by table, into a new catalog; the damaged file is kept beside it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.catalog.db import SCHEMA_VERSION, catalog_failure, open_reader, refuse_non_file
from desktop.catalog.migrations import MIGRATIONS
from desktop.errors import CatalogError
from desktop.files import PRIVATE_FILE, write_error

PROBLEMS_SHOWN = 100
COMPANIONS = ("-wal", "-shm")  # SQLite's files beside the catalog, which belong with it
# What the user made (kept whole or the loss said plainly) as opposed to what a sync downloads again.
USER_TABLES = ("registries", "settings", "profiles", "profile_layers", "pins")


@dataclass(frozen=True)
class CheckReport:
    """What SQLite's integrity check found: nothing (sound) or its first problems, in its words."""

    path: Path
    exists: bool
    problems: list[str] = field(default_factory=list)
    schema_version: int | None = None
    size: int = 0

    @property
    def sound(self) -> bool:
        return self.exists and not self.problems


@dataclass(frozen=True)
class TableRecovery:
    name: str
    copied: int  # rows the new catalog holds
    complete: bool  # False: part of the table could not be read (or rows read were not valid)
    invalid: int = 0  # rows read but refused by the table's rules (garbage from a damaged page)


@dataclass(frozen=True)
class RecoveryReport:
    path: Path
    kept_as: Path
    schema_version: int
    tables: list[TableRecovery]
    charts_to_download: int  # snapshot charts dropped as incomplete: the next sync fetches them again

    @property
    def incomplete(self) -> list[str]:
        return [table.name for table in self.tables if not table.complete]

    def copied(self, table: str) -> int:
        return next((t.copied for t in self.tables if t.name == table), 0)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.copied(table):,} {label}"
            for table, label in (
                ("registries", "registries"),
                ("profiles", "profiles"),
                ("pins", "pins"),
                ("chart_versions", "chart versions"),
                ("sync_runs", "sync runs"),
            )
            if any(t.name == table for t in self.tables)
        )
        lost_user = [name for name in self.incomplete if name in USER_TABLES]
        parts = [f"Recovered into {self.path}: {counts}."]
        if lost_user:
            parts.append(
                f"Some of your own data could not be read ({', '.join(lost_user)}): compare with a backup if you "
                "have one."
            )
        elif self.incomplete:
            parts.append(f"Unreadable parts were skipped ({', '.join(self.incomplete)}).")
        if self.charts_to_download:
            parts.append(f"{self.charts_to_download:,} chart(s) will be downloaded again at the next sync.")
        parts.append(f"The damaged file is kept as {self.kept_as}.")
        return " ".join(parts)


# --- check ---------------------------------------------------------------------------------------


def _reader(path: Path) -> sqlite3.Connection:
    """A connection that never changes the file (no checkpoint, no recovery written back; on a
    read-only file system too); text that a damaged page turned into invalid UTF-8 is read with
    replacement characters."""
    connection = open_reader(path)
    connection.text_factory = lambda data: data.decode("utf-8", "replace")
    return connection


def check_catalog(path: Path, limit: int = PROBLEMS_SHOWN) -> CheckReport:
    """SQLite's `PRAGMA integrity_check` on the catalog, read-only. Every page is read, so a large
    catalog takes a moment."""
    refuse_non_file(path)
    if not path.is_file():
        return CheckReport(path, exists=False)
    size = path.stat().st_size
    version: int | None = None
    try:
        with contextlib.closing(_reader(path)) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            rows = db.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()
    except sqlite3.DatabaseError as exc:  # so damaged that the check itself stops
        _raise_unless_damage(exc, path)
        return CheckReport(path, True, [str(exc)], version, size)
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    return CheckReport(path, True, problems, version, size)


def _raise_unless_damage(error: sqlite3.Error, path: Path) -> None:
    """A busy or unreadable catalog is not a damaged one: say that instead."""
    from desktop.catalog.db import CatalogDamagedError

    mapped = catalog_failure(error, path)
    if mapped is not None and not isinstance(mapped, CatalogDamagedError):
        raise mapped from None


# --- recover -------------------------------------------------------------------------------------


def recover_catalog(path: Path, now: float | None = None) -> RecoveryReport:
    """Copy what can be read of the catalog at `path` into a new catalog of the same schema version,
    then put the new one in its place and keep the damaged one (with its -wal and -shm) beside it
    as `<name>.damaged-<time>`. Nothing is deleted. Snapshot charts whose rows did not all survive
    are left out, and their registry's next sync downloads its whole index again."""
    refuse_non_file(path)
    if not path.is_file():
        raise CatalogError(f"There is no catalog at {path}: nothing to recover.")
    target = path.with_name(f".{path.name}.recovering")
    _remove_quietly(target)
    _remove_quietly(target.with_name(target.name + "-journal"))
    source, version = _open_source(path)
    try:
        with contextlib.closing(source):
            tables, charts_to_download = _copy_into(source, target, version)
    except OSError as exc:
        _remove_quietly(target)
        raise write_error(exc, target) from None
    except BaseException:
        _remove_quietly(target)
        raise
    try:
        kept = _keep_damaged(path, now)
        os.replace(target, path)
    except OSError as exc:  # the folder refuses renames (permissions, read-only): say so, leave nothing
        _remove_quietly(target)
        raise write_error(exc, path) from None
    return RecoveryReport(path, kept, version, tables, charts_to_download)


def _open_source(path: Path) -> tuple[sqlite3.Connection, int]:
    """The damaged catalog, opened read-only, and its schema version, if SQLite can read its first
    page (the header and the list of tables) at all."""
    source: sqlite3.Connection | None = None
    try:
        source = _reader(path)
        version = int(source.execute("PRAGMA user_version").fetchone()[0])
        source.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        if source is not None:
            source.close()
        _raise_unless_damage(exc, path)
        raise CatalogError(
            f"The catalog {path} is too damaged to read anything from ({exc}): restore a backup of it. "
            "It was left as it is."
        ) from None
    if not 1 <= version <= SCHEMA_VERSION:
        source.close()
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"The catalog {path} was written by a newer Chartkeeper (schema {version}): recover it with that "
                "version."
            )
        raise CatalogError(f"The catalog {path} holds no Chartkeeper schema: there is nothing to recover in it.")
    return source, version


def _copy_into(source: sqlite3.Connection, target_path: Path, version: int) -> tuple[list[TableRecovery], int]:
    os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    with contextlib.closing(sqlite3.connect(target_path, isolation_level=None)) as target:
        target.execute("PRAGMA foreign_keys = OFF")  # rows arrive in any order; orphans are removed after
        target.execute("BEGIN")
        for statement in (s for migration in MIGRATIONS[:version] for s in migration):
            target.execute(statement)
        target.execute(f"PRAGMA user_version = {version}")
        target.execute("COMMIT")
        tables = [
            _copy_table(source, target, name)
            for (name,) in target.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rootpage"
            ).fetchall()
        ]
        target.execute("BEGIN")
        _remove_orphans(target)
        charts_to_download = _drop_partial_charts(target)
        target.execute("COMMIT")
        tables = [  # what the new catalog holds, now that incomplete rows are gone
            replace(table, copied=target.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0])
            for table in tables
        ]
        problems = target.execute("PRAGMA foreign_key_check").fetchall()
        sound = target.execute("PRAGMA integrity_check(1)").fetchone()[0] == "ok"
        if problems or not sound:  # the new file is written from scratch: this would be a bug
            raise RuntimeError(f"the recovered catalog failed its checks: {problems[:3]}, integrity ok: {sound}")
    return tables, charts_to_download


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> TableRecovery:
    """Rows in key order until a damaged page stops the scan, then in reverse key order from the
    other end until it stops again: one bad page costs the rows on it, not the rest of the table."""
    columns = [row[1] for row in target.execute(f'PRAGMA table_info("{table}")')]
    key = _key_columns(target, table)
    try:
        present = {row[1] for row in source.execute(f'PRAGMA table_info("{table}")')}
    except sqlite3.DatabaseError:
        present = set()
    if not present:
        return TableRecovery(table, 0, complete=False)
    shared = [c for c in columns if c in present]
    names = ", ".join(f'"{c}"' for c in shared)
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in shared)})'
    seen: set[tuple[object, ...]] = set()
    copied = invalid = 0
    complete = True
    width = len(key)
    for direction in ("ASC", "DESC"):
        order = ", ".join(f"{column} {direction}" for column in key)
        query = f'SELECT {", ".join(key)}, {names} FROM "{table}" ORDER BY {order}'
        target.execute("BEGIN")
        try:
            # Row by row: a batch would lose the rows read before the damaged page with it.
            for row in source.execute(query):
                row_key = tuple(row[:width])
                if row_key in seen:
                    break  # the reverse scan met the rows the forward one read
                seen.add(row_key)
                try:
                    target.execute(insert, row[width:])
                    copied += 1
                except sqlite3.Error:
                    invalid += 1
        except sqlite3.DatabaseError:
            complete = False
            target.execute("COMMIT")
            continue
        target.execute("COMMIT")
        break  # read to the end: no need to come from the other side
    return TableRecovery(table, copied, complete and not invalid, invalid)


def _key_columns(target: sqlite3.Connection, table: str) -> list[str]:
    """The order a table's b-tree is stored in: its rowid, or a WITHOUT ROWID table's primary key."""
    try:
        target.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
        return ["rowid"]
    except sqlite3.OperationalError:
        primary = sorted((row[5], row[1]) for row in target.execute(f'PRAGMA table_info("{table}")') if row[5])
        return [f'"{name}"' for _, name in primary]


def _remove_orphans(target: sqlite3.Connection) -> None:
    """Rows whose parent row was lost go too (a run's changes without the run, a snapshot without its
    registry), repeated until nothing changes, as deletions can orphan further rows."""
    tables = [name for (name,) in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    while True:
        removed = 0
        for table in tables:
            for row in target.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                parent, child_column, parent_column = row[2], row[3], row[4] or "rowid"
                removed += target.execute(
                    f'DELETE FROM "{table}" WHERE "{child_column}" IS NOT NULL AND "{child_column}" NOT IN '
                    f'(SELECT "{parent_column}" FROM "{parent}")'
                ).rowcount
        if not removed:
            return


def _drop_partial_charts(target: sqlite3.Connection) -> int:
    """A snapshot chart is its `charts` row, its document and its version rows; one whose parts did
    not all survive is dropped whole, and its registry forgets the validators that would let the
    next sync skip an unchanged index, so that sync writes it again. Registries get back the sync
    state row they need."""
    target.execute("INSERT OR IGNORE INTO sync_state (registry_id) SELECT id FROM registries")
    partial = target.execute(
        """SELECT p.registry_id, p.name FROM (
               SELECT registry_id, name FROM charts UNION SELECT registry_id, name FROM chart_documents
               UNION SELECT registry_id, chart FROM chart_versions) AS p
           WHERE NOT EXISTS (SELECT 1 FROM chart_documents d WHERE d.registry_id = p.registry_id AND d.name = p.name)
              OR (SELECT c.version_count FROM charts c WHERE c.registry_id = p.registry_id AND c.name = p.name)
                 IS NOT (SELECT count(*) FROM chart_versions v
                         WHERE v.registry_id = p.registry_id AND v.chart = p.name)"""
    ).fetchall()
    target.executemany("DELETE FROM charts WHERE registry_id = ? AND name = ?", partial)
    target.executemany("DELETE FROM chart_documents WHERE registry_id = ? AND name = ?", partial)
    target.executemany("DELETE FROM chart_versions WHERE registry_id = ? AND chart = ?", partial)
    target.executemany(
        "UPDATE sync_state SET etag = NULL, last_modified = NULL, content_digest = NULL WHERE registry_id = ?",
        sorted({(registry_id,) for registry_id, _ in partial}),
    )
    return len(partial)


def _keep_damaged(path: Path, now: float | None) -> Path:
    """Give the damaged catalog and its companions a name that says what they are. The main file is
    linked first, so the catalog's own name never stops existing (it is then replaced atomically)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while any(Path(f"{kept}{suffix}").exists() for suffix in ("", *COMPANIONS)):
        number += 1
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    try:
        os.link(path, kept)
    except OSError:
        os.replace(path, kept)
    for suffix in COMPANIONS:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{kept}{suffix}")
    return kept


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def describe_check(report: CheckReport) -> str:
    """One line a person reads: sound, or damaged and what to do."""
    if not report.exists:
        return f"There is no catalog at {report.path} yet: nothing to check."
    if report.sound:
        return f"The catalog {report.path} is sound (schema {report.schema_version}, {report.size / 1048576:.1f} MB)."
    return (
        f"The catalog {report.path} is damaged ({len(report.problems):,} problem(s) found): run "
        "`chartkeeper catalog recover` to copy what can be read into a new catalog (the damaged file is kept "
        "beside it), or restore a backup of it."
    )
