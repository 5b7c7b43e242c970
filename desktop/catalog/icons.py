"""Chart icons kept offline: which charts' icons a sync should fetch, storing what came back, and
reading an icon for the window."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.catalog.db import transaction
from desktop.helm.metadata import display_text, load_chart_document


@dataclass(frozen=True)
class WantedIcon:
    """A chart whose icon address is new, changed, or failed last time for want of a network."""

    chart: str
    url: str  # as the index writes it ('' when the chart names no icon)
    document_hash: bytes
    previous_url: str | None
    has_image: bool
    retry: bool


@dataclass(frozen=True)
class StoredIcon:
    media_type: str
    data: bytes


def wanted_icons(db: sqlite3.Connection, registry_id: int) -> list[WantedIcon]:
    """Charts whose document changed since their icon address was last read, or whose last fetch
    failed on the network; each with the icon its shown version (latest stable, else latest) names."""
    rows = db.execute(
        "SELECT c.name, v.position, d.document, d.document_hash, i.url, i.data IS NOT NULL, COALESCE(i.retry, 0)"
        " FROM charts c JOIN chart_versions v ON v.registry_id = c.registry_id AND v.chart = c.name"
        " AND v.version = COALESCE(c.latest_stable_version, c.latest_version)"
        " JOIN chart_documents d ON d.registry_id = c.registry_id AND d.name = c.name"
        " LEFT JOIN chart_icons i ON i.registry_id = c.registry_id AND i.chart = c.name"
        " WHERE c.registry_id = ? AND (i.id IS NULL OR i.retry = 1 OR i.document_hash IS NOT d.document_hash)"
        " ORDER BY c.name",
        (registry_id,),
    ).fetchall()
    wanted = []
    for chart, position, document, document_hash, previous, has_image, retry in rows:
        items = load_chart_document(document)
        item = items[position] if 0 <= position < len(items) and isinstance(items[position], dict) else {}
        url = display_text(item.get("icon")).strip()
        wanted.append(WantedIcon(chart, url, bytes(document_hash), previous, bool(has_image), bool(retry)))
    return wanted


def keep_icon_checked(db: sqlite3.Connection, registry_id: int, chart: str, document_hash: bytes) -> None:
    """The chart changed but still names the same icon: remember the document, fetch nothing."""
    with transaction(db):
        db.execute(
            "UPDATE chart_icons SET document_hash = ? WHERE registry_id = ? AND chart = ?",
            (document_hash, registry_id, chart),
        )


def store_icon(
    db: sqlite3.Connection,
    registry_id: int,
    chart: str,
    url: str,
    document_hash: bytes,
    now: float,
    *,
    image: StoredIcon | None = None,
    problem: str | None = None,
    retry: bool = False,
) -> None:
    """Record the icon (or why there is none). A registry removed meanwhile takes nothing."""
    with transaction(db):
        exists = db.execute("SELECT 1 FROM charts WHERE registry_id = ? AND name = ?", (registry_id, chart))
        if exists.fetchone() is None:
            return
        db.execute(
            "INSERT INTO chart_icons (registry_id, chart, url, document_hash, media_type, data, problem, retry,"
            " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (registry_id, chart) DO UPDATE SET"
            " url = excluded.url, document_hash = excluded.document_hash, media_type = excluded.media_type,"
            " data = excluded.data, problem = excluded.problem, retry = excluded.retry,"
            " fetched_at = excluded.fetched_at",
            (
                registry_id,
                chart,
                url,
                document_hash,
                image.media_type if image else None,
                image.data if image else None,
                problem,
                int(retry),
                now,
            ),
        )


def chart_icon(db: sqlite3.Connection, registry_id: int, chart: str) -> StoredIcon | None:
    row = db.execute(
        "SELECT media_type, data FROM chart_icons WHERE registry_id = ? AND chart = ? AND data IS NOT NULL",
        (registry_id, chart),
    ).fetchone()
    return None if row is None else StoredIcon(row[0], bytes(row[1]))


def icon_problem(db: sqlite3.Connection, registry_id: int, chart: str) -> str | None:
    """Why a chart shows no icon, when a fetch was tried."""
    row = db.execute(
        "SELECT problem FROM chart_icons WHERE registry_id = ? AND chart = ?", (registry_id, chart)
    ).fetchone()
    return None if row is None else row[0]


def icons_size(db: sqlite3.Connection) -> tuple[int, int]:
    """How many icons are kept, and their bytes."""
    count, size = db.execute("SELECT COUNT(data), COALESCE(SUM(length(data)), 0) FROM chart_icons").fetchone()
    return int(count), int(size)
