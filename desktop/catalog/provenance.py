"""Helm provenance files kept beside their cached archives (NULL: the registry has none for that version)."""

from __future__ import annotations

import sqlite3

from desktop.catalog.archives import ChartRef
from desktop.catalog.db import transaction


def cached_provenance(db: sqlite3.Connection, ref: ChartRef) -> tuple[bool, bytes | None]:
    """(whether it was fetched, its bytes: None when the registry had none)."""
    row = db.execute(
        "SELECT data FROM chart_provenance WHERE registry_uid = ? AND chart = ? AND version = ?",
        (ref.registry_uid, ref.chart, ref.version),
    ).fetchone()
    if row is None:
        return False, None
    return True, None if row[0] is None else bytes(row[0])


def store_provenance(db: sqlite3.Connection, ref: ChartRef, data: bytes | None, now: float) -> None:
    """Keep a version's provenance while its archive is cached (it goes with the archive)."""
    with transaction(db):
        if (
            db.execute(
                "SELECT 1 FROM chart_archives WHERE registry_uid = ? AND chart = ? AND version = ?",
                (ref.registry_uid, ref.chart, ref.version),
            ).fetchone()
            is None
        ):
            return
        put_provenance(db, ref, data, now)


def put_provenance(db: sqlite3.Connection, ref: ChartRef, data: bytes | None, now: float) -> None:
    """The write itself, inside the caller's transaction (a bundle import)."""
    db.execute(
        "INSERT INTO chart_provenance (registry_uid, chart, version, data, fetched_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (registry_uid, chart, version) DO UPDATE SET data = excluded.data,"
        " fetched_at = excluded.fetched_at",
        (ref.registry_uid, ref.chart, ref.version, data, now),
    )
