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
