"""The catalog rows bundles read and write: a registry's stored chart documents and removed marks, archives
streamed in and out of their BLOBs, pins, and snapshot times — each write inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from desktop.catalog.archives import ChartRef

COPY_CHUNK = 1024 * 1024
RemovedRow = tuple[str, float, int, int, str, str, str, str]  # version, removed_at, prerelease, deprecated,
# app_version, description, search_text, entry


@dataclass(frozen=True)
class StoredArchive:
    row_id: int
    ref: ChartRef
    digest: str  # hex, as the index states it
    size: int
    pinned: bool


# --- reading -----------------------------------------------------------------------------------------


def chart_documents(db: sqlite3.Connection, registry_id: int) -> dict[str, bytes]:
    """chart → its document as stored, for every chart with live versions."""
    return {
        name: bytes(document)
        for name, document in db.execute(
            "SELECT name, document FROM chart_documents WHERE registry_id = ?", (registry_id,)
        )
    }


def chart_document(db: sqlite3.Connection, registry_id: int, chart: str) -> bytes | None:
    row = db.execute(
        "SELECT document FROM chart_documents WHERE registry_id = ? AND name = ?", (registry_id, chart)
    ).fetchone()
    return None if row is None else bytes(row[0])


def removed_rows(db: sqlite3.Connection, registry_id: int, chart: str | None = None) -> dict[str, list[RemovedRow]]:
    """chart → its versions kept after they left the index."""
    sql = (
        "SELECT name, version, removed_at, prerelease, deprecated, app_version, description, search_text, entry"
        " FROM removed_versions WHERE registry_id = ?"
    )
    parameters: tuple[object, ...] = (registry_id,)
    if chart is not None:
        sql += " AND name = ?"
        parameters += (chart,)
    marks: dict[str, list[RemovedRow]] = {}
    for name, *row in db.execute(sql, parameters):
        entry = row[7]
        marks.setdefault(name, []).append(
            (row[0], float(row[1]), row[2], row[3], row[4], row[5], row[6], entry if isinstance(entry, str) else "")
        )
    return marks


def stored_archives(db: sqlite3.Connection) -> list[StoredArchive]:
    """Every cached archive, with whether it is pinned (no content read)."""
    pins = {tuple(row) for row in db.execute("SELECT registry_uid, chart, version FROM pins")}
    return [
        StoredArchive(row[0], ChartRef(row[1], row[2], row[3]), row[4], row[5], (row[1], row[2], row[3]) in pins)
        for row in db.execute("SELECT id, registry_uid, chart, version, digest, size FROM chart_archives")
    ]


def pinned_refs(db: sqlite3.Connection) -> set[ChartRef]:
    return {ChartRef(*row) for row in db.execute("SELECT registry_uid, chart, version FROM pins")}


def archive_bytes(db: sqlite3.Connection, row_id: int) -> bytes:
    row = db.execute("SELECT data FROM chart_archives WHERE id = ?", (row_id,)).fetchone()
    return b"" if row is None else bytes(row[0])


def archive_digests(db: sqlite3.Connection) -> set[str]:
    return {str(row[0]).lower() for row in db.execute("SELECT DISTINCT digest FROM chart_archives")}


def set_snapshot_time(db: sqlite3.Connection, registry_id: int, snapshot_at: float | None) -> None:
    """The snapshot now is the one of `snapshot_at`; the next sync downloads the index afresh."""
    db.execute(
        "UPDATE sync_state SET snapshot_at = ?, etag = NULL, last_modified = NULL, content_digest = NULL"
        " WHERE registry_id = ?",
        (snapshot_at, registry_id),
    )


def put_removed_marks(db: sqlite3.Connection, registry_id: int, chart: str, marks: list[RemovedRow]) -> None:
    """Keep these removed-upstream marks as they are (their dates included), over any of the same versions."""
    db.executemany(
        "INSERT OR REPLACE INTO removed_versions (registry_id, name, version, removed_at, prerelease, deprecated,"
        " app_version, description, search_text, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(registry_id, chart, *mark) for mark in marks],
    )


def live_versions(db: sqlite3.Connection, registry_id: int, chart: str) -> set[str]:
    return {
        row[0]
        for row in db.execute(
            "SELECT version FROM chart_versions WHERE registry_id = ? AND chart = ?", (registry_id, chart)
        )
    }


def cached_digest(db: sqlite3.Connection, ref: ChartRef) -> str | None:
    row = db.execute(
        "SELECT digest FROM chart_archives WHERE registry_uid = ? AND chart = ? AND version = ?",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchone()
    return None if row is None else str(row[0]).lower()


def write_archive(
    db: sqlite3.Connection,
    ref: ChartRef,
    digest: str,
    size: int,
    opener: Callable[[], BinaryIO],
    fetched_at: float,
    now: float,
) -> None:
    """Store an archive streamed from `opener()` (a bundle's blob, checked as it is read) into its row."""
    row_id = _archive_row(db, ref, digest, size, fetched_at, now, "zeroblob(?)", size)
    with db.blobopen("chart_archives", "data", row_id) as blob, opener() as stream:
        for chunk in _chunks(stream):
            blob.write(chunk)


def copy_archive(db: sqlite3.Connection, ref: ChartRef, digest: str, fetched_at: float, now: float) -> bool:
    """Store an archive this catalog holds already under another name (a delta left it out). False
    when no archive here has that digest."""
    found = db.execute("SELECT id, size FROM chart_archives WHERE lower(digest) = ? LIMIT 1", (digest,)).fetchone()
    if found is None:
        return False
    if cached_digest(db, ref) == digest:
        return True
    source_id, size = found
    _archive_row(db, ref, digest, size, fetched_at, now, "(SELECT data FROM chart_archives WHERE id = ?)", source_id)
    return True


def _archive_row(
    db: sqlite3.Connection, ref: ChartRef, digest: str, size: int, fetched_at: float, now: float, data: str, value: int
) -> int:
    db.execute(
        "INSERT INTO chart_archives (registry_uid, chart, version, digest, size, fetched_at, used_at, data)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, {data}) ON CONFLICT (registry_uid, chart, version) DO UPDATE SET"
        " digest = excluded.digest, size = excluded.size, fetched_at = excluded.fetched_at,"
        " used_at = excluded.used_at, data = excluded.data",
        (ref.registry_uid, ref.chart, ref.version, digest, size, fetched_at, now, value),
    )
    row = db.execute(
        "SELECT id FROM chart_archives WHERE registry_uid = ? AND chart = ? AND version = ?",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchone()
    return int(row[0])


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(COPY_CHUNK):
        yield chunk


def insert_pin(db: sqlite3.Connection, ref: ChartRef, now: float) -> None:
    db.execute(
        "INSERT OR IGNORE INTO pins (registry_uid, chart, version, pinned_at) VALUES (?, ?, ?, ?)",
        (ref.registry_uid, ref.chart, ref.version, now),
    )


# --- what an export chooses ---------------------------------------------------------------------------


def latest_stable_versions(db: sqlite3.Connection, registry_id: int) -> list[tuple[str, str]]:
    """(chart, its newest stable version) for every chart that has one."""
    return db.execute(
        "SELECT name, latest_stable_version FROM charts WHERE registry_id = ? AND latest_stable_version IS NOT NULL",
        (registry_id,),
    ).fetchall()


def all_versions(db: sqlite3.Connection, registry_id: int) -> list[tuple[str, str]]:
    return db.execute("SELECT chart, version FROM chart_versions WHERE registry_id = ?", (registry_id,)).fetchall()


def version_items(db: sqlite3.Connection, registry_id: int, chart: str) -> dict[str, dict[str, object]]:
    """version → its index item as stored (live versions, and those kept after they left the index)."""
    from desktop.helm.metadata import load_chart_document

    items: dict[str, dict[str, object]] = {}
    for version, entry in db.execute(
        "SELECT version, entry FROM removed_versions WHERE registry_id = ? AND name = ?", (registry_id, chart)
    ):
        decoded = load_chart_document(b'{"":[' + str(entry).encode("utf-8") + b"]}")
        if decoded and isinstance(decoded[0], dict):
            items[version] = decoded[0]
    document = chart_document(db, registry_id, chart)
    if document is not None:
        stored = load_chart_document(document)
        for version, position in db.execute(
            "SELECT version, position FROM chart_versions WHERE registry_id = ? AND chart = ?", (registry_id, chart)
        ):
            if position < len(stored) and isinstance(stored[position], dict):
                items[version] = stored[position]
    return items


def snapshot_bytes(db: sqlite3.Connection, registry_id: int) -> int:
    """About how many bytes the registry's snapshot takes in a bundle."""
    row = db.execute(
        "SELECT COALESCE(SUM(length(document)), 0) + 300 * COUNT(*) FROM chart_documents WHERE registry_id = ?",
        (registry_id,),
    ).fetchone()
    removed = db.execute(
        "SELECT COALESCE(SUM(length(entry) + length(search_text)), 0) FROM removed_versions WHERE registry_id = ?",
        (registry_id,),
    ).fetchone()
    return int(row[0]) + int(removed[0])


def version_count(db: sqlite3.Connection, registry_id: int) -> int:
    row = db.execute(
        "SELECT COALESCE(SUM(version_count), 0) FROM charts WHERE registry_id = ?", (registry_id,)
    ).fetchone()
    return int(row[0])
