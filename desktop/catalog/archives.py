"""Chart archives kept on this computer: the content cache (re-fetchable, evicted when too large)
and the pins that keep chart versions offline for good."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.catalog.db import transaction

CACHE_LIMIT_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class ChartRef:
    """A chart version of a registry, by the registry's stable uid."""

    registry_uid: str
    chart: str
    version: str


def cached_archive(db: sqlite3.Connection, ref: ChartRef) -> bytes | None:
    row = db.execute(
        "SELECT data FROM chart_archives WHERE registry_uid = ? AND chart = ? AND version = ?",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchone()
    return None if row is None else bytes(row[0])


def store_archive(
    db: sqlite3.Connection, ref: ChartRef, digest: str, data: bytes, now: float, limit: int = CACHE_LIMIT_BYTES
) -> None:
    """Keep an archive, then evict the least recently used unpinned ones beyond `limit`."""
    with transaction(db):
        db.execute(
            "INSERT INTO chart_archives (registry_uid, chart, version, digest, size, fetched_at, used_at, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (registry_uid, chart, version) DO UPDATE SET"
            " digest = excluded.digest, size = excluded.size, fetched_at = excluded.fetched_at,"
            " used_at = excluded.used_at, data = excluded.data",
            (ref.registry_uid, ref.chart, ref.version, digest, len(data), now, now, data),
        )
        _evict(db, limit)


def _evict(db: sqlite3.Connection, limit: int) -> None:
    total = db.execute("SELECT COALESCE(SUM(size), 0) FROM chart_archives").fetchone()[0]
    if total <= limit:
        return
    candidates = db.execute(
        "SELECT a.id, a.size FROM chart_archives a WHERE NOT EXISTS (SELECT 1 FROM pins p WHERE"
        " p.registry_uid = a.registry_uid AND p.chart = a.chart AND p.version = a.version)"
        " AND NOT EXISTS (SELECT 1 FROM profile_layers l WHERE l.registry_uid = a.registry_uid"
        " AND l.chart = a.chart AND l.version = a.version) ORDER BY a.used_at"
    ).fetchall()
    for archive_id, size in candidates:
        if total <= limit:
            break
        db.execute("DELETE FROM chart_archives WHERE id = ?", (archive_id,))
        total -= size


def pin(db: sqlite3.Connection, ref: ChartRef, now: float) -> None:
    with transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO pins (registry_uid, chart, version, pinned_at) VALUES (?, ?, ?, ?)",
            (ref.registry_uid, ref.chart, ref.version, now),
        )


def kept_offline(db: sqlite3.Connection) -> list[ChartRef]:
    """Versions to keep offline: pinned by hand, or used by a profile layer."""
    rows = db.execute(
        "SELECT registry_uid, chart, version FROM pins UNION SELECT registry_uid, chart, version FROM profile_layers"
    ).fetchall()
    return [ChartRef(*row) for row in rows]


def missing_offline(db: sqlite3.Connection) -> list[ChartRef]:
    """Versions that should be kept offline but whose archive is not here yet."""
    return [ref for ref in kept_offline(db) if cached_archive_size(db, ref) is None]


def cached_archive_size(db: sqlite3.Connection, ref: ChartRef) -> int | None:
    row = db.execute(
        "SELECT size FROM chart_archives WHERE registry_uid = ? AND chart = ? AND version = ?",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchone()
    return None if row is None else int(row[0])


def unpin(db: sqlite3.Connection, ref: ChartRef) -> bool:
    """Forget a pin; the archive stays in the cache until evicted. True when there was one."""
    with transaction(db):
        cursor = db.execute(
            "DELETE FROM pins WHERE registry_uid = ? AND chart = ? AND version = ?",
            (ref.registry_uid, ref.chart, ref.version),
        )
    return cursor.rowcount > 0


# --- how much the content cache holds, and clearing it ------------------------------------------------

_PINNED = (
    "EXISTS (SELECT 1 FROM pins p WHERE p.registry_uid = a.registry_uid AND p.chart = a.chart"
    " AND p.version = a.version)"
)
_IN_PROFILE = (
    "EXISTS (SELECT 1 FROM profile_layers l WHERE l.registry_uid = a.registry_uid AND l.chart = a.chart"
    " AND l.version = a.version)"
)


@dataclass(frozen=True)
class CacheUsage:
    """Chart archives on this computer: all of them, those a profile uses, those pinned by hand (and
    no profile uses), and the rest, which the cache may evict and Clear removes."""

    count: int
    size: int
    profile_count: int
    profile_size: int
    pinned_count: int
    pinned_size: int

    @property
    def unused_count(self) -> int:
        return self.count - self.profile_count - self.pinned_count

    @property
    def unused_size(self) -> int:
        return self.size - self.profile_size - self.pinned_size


def cache_usage(db: sqlite3.Connection) -> CacheUsage:
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0),"
        f" COALESCE(SUM({_IN_PROFILE}), 0), COALESCE(SUM(CASE WHEN {_IN_PROFILE} THEN size END), 0),"
        f" COALESCE(SUM(NOT {_IN_PROFILE} AND {_PINNED}), 0),"
        f" COALESCE(SUM(CASE WHEN NOT {_IN_PROFILE} AND {_PINNED} THEN size END), 0)"
        " FROM chart_archives a"
    ).fetchone()
    return CacheUsage(*(int(value) for value in row))


def clear_unused_archives(db: sqlite3.Connection) -> tuple[int, int]:
    """Delete the archives that no profile uses and nobody pinned; (count, bytes) removed."""
    with transaction(db):
        count, size = db.execute(
            f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM chart_archives a WHERE NOT {_IN_PROFILE} AND NOT {_PINNED}"
        ).fetchone()
        db.execute(f"DELETE FROM chart_archives AS a WHERE NOT {_IN_PROFILE} AND NOT {_PINNED}")
    return int(count), int(size)


def profiles_using(db: sqlite3.Connection, ref: ChartRef) -> list[str]:
    """Names of the profiles with a layer on this version."""
    rows = db.execute(
        "SELECT DISTINCT p.name FROM profiles p JOIN profile_layers l ON l.profile_id = p.id"
        " WHERE l.registry_uid = ? AND l.chart = ? AND l.version = ? ORDER BY p.name COLLATE NOCASE",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchall()
    return [row[0] for row in rows]


def discard_archive(db: sqlite3.Connection, ref: ChartRef) -> bool:
    """Delete a version's cached archive unless it is pinned or a profile uses it; True when deleted."""
    with transaction(db):
        cursor = db.execute(
            f"DELETE FROM chart_archives AS a WHERE registry_uid = ? AND chart = ? AND version = ?"
            f" AND NOT {_IN_PROFILE} AND NOT {_PINNED}",
            (ref.registry_uid, ref.chart, ref.version),
        )
    return cursor.rowcount > 0


@dataclass(frozen=True)
class OfflineState:
    """Whether one version can be read with the network gone, and why it stays."""

    cached: bool
    pinned: bool
    profiles: tuple[str, ...]

    @property
    def kept(self) -> bool:
        return self.pinned or bool(self.profiles)


def offline_states(db: sqlite3.Connection, registry_uid: str, chart: str) -> dict[str, OfflineState]:
    """Version → its offline state, for the versions of a chart that are cached, pinned or in a profile."""
    cached = {
        row[0]
        for row in db.execute(
            "SELECT version FROM chart_archives WHERE registry_uid = ? AND chart = ?", (registry_uid, chart)
        )
    }
    pinned = {
        row[0]
        for row in db.execute("SELECT version FROM pins WHERE registry_uid = ? AND chart = ?", (registry_uid, chart))
    }
    used: dict[str, list[str]] = {}
    for version, name in db.execute(
        "SELECT DISTINCT l.version, p.name FROM profile_layers l JOIN profiles p ON p.id = l.profile_id"
        " WHERE l.registry_uid = ? AND l.chart = ? ORDER BY p.name COLLATE NOCASE",
        (registry_uid, chart),
    ):
        used.setdefault(version, []).append(name)
    return {
        version: OfflineState(version in cached, version in pinned, tuple(used.get(version, ())))
        for version in cached | pinned | set(used)
    }


def charts_with_offline_copies(db: sqlite3.Connection) -> set[tuple[str, str]]:
    """(registry uid, chart) of every chart with at least one version cached here."""
    return {(row[0], row[1]) for row in db.execute("SELECT DISTINCT registry_uid, chart FROM chart_archives")}
