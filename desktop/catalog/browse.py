"""What the chart browser and picker read: one registry's charts (whatever its synchronization), and
a chart's versions with their app version and creation date."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.catalog.charts import SearchHit, relevance_parameters, relevance_sql, version_order
from desktop.helm.metadata import display_text, load_chart_document
from desktop.registry import Registry


def registry_charts(db: sqlite3.Connection, registry: Registry, keyword: str = "") -> list[SearchHit]:
    """Every chart of one registry (its latest stable version, else its latest) whose name,
    description or keywords contain `keyword`; ranked by search's one rule, then by name."""
    term = keyword.strip().lower()
    rows = db.execute(
        "SELECT c.name, COALESCE(c.latest_stable_version, c.latest_version), c.app_version, c.description,"
        f" c.deprecated, {relevance_sql('c.search_text_devel')} AS score"
        " FROM charts c JOIN registries r ON r.id = c.registry_id"
        " WHERE c.registry_id = ? AND (? = '' OR instr(c.search_text_devel, ?) > 0)"
        " ORDER BY score, c.name",
        (*relevance_parameters(term), registry.id, term, term),
    )
    return [SearchHit(registry.name, r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]


@dataclass(frozen=True)
class VersionInfo:
    version: str
    prerelease: bool
    deprecated: bool
    app_version: str
    created: str  # as the index writes it (RFC 3339), '' when it does not say
    removed_at: float | None = None  # left the registry's index then; kept in the snapshot


def version_infos(db: sqlite3.Connection, registry: Registry, chart: str) -> list[VersionInfo]:
    """Every version of a chart, newest first; those removed upstream (kept) among them, marked."""
    rows = db.execute(
        "SELECT version, prerelease, deprecated, app_version, position FROM chart_versions"
        " WHERE registry_id = ? AND chart = ? ORDER BY rank",
        (registry.id, chart),
    ).fetchall()
    document = db.execute(
        "SELECT document FROM chart_documents WHERE registry_id = ? AND name = ?", (registry.id, chart)
    ).fetchone()
    items = load_chart_document(document[0]) if document is not None else []
    infos = []
    for version, prerelease, deprecated, app_version, position in rows:
        item = items[position] if 0 <= position < len(items) and isinstance(items[position], dict) else {}
        infos.append(
            VersionInfo(version, bool(prerelease), bool(deprecated), app_version, display_text(item.get("created")))
        )
    removed = db.execute(
        "SELECT version, prerelease, deprecated, app_version, entry, removed_at FROM removed_versions"
        " WHERE registry_id = ? AND name = ?",
        (registry.id, chart),
    ).fetchall()
    if removed:
        for version, prerelease, deprecated, app_version, entry, removed_at in removed:
            item = load_chart_document(b'{"":[' + bytes(entry, "utf-8") + b"]}")[0]
            created = display_text(item.get("created")) if isinstance(item, dict) else ""
            infos.append(VersionInfo(version, bool(prerelease), bool(deprecated), app_version, created, removed_at))
        infos.sort(key=lambda info: version_order(info.version), reverse=True)
    return infos


def removed_count(db: sqlite3.Connection, registry_id: int) -> int:
    """How many of a registry's versions are kept after leaving its index (what a prune deletes)."""
    return int(db.execute("SELECT COUNT(*) FROM removed_versions WHERE registry_id = ?", (registry_id,)).fetchone()[0])
