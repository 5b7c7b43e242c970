"""Reading the snapshot: search like `helm search repo`, and one chart version's metadata."""

from __future__ import annotations

import difflib
import sqlite3
from dataclasses import dataclass
from typing import Any

from desktop.errors import NotFoundError
from desktop.helm.index import entry_metadata, load_chart_document
from desktop.helm.versions import VersionConstraint, parse_version
from desktop.registry import Registry


@dataclass(frozen=True)
class SearchHit:
    registry: str
    chart: str
    version: str
    app_version: str
    description: str
    deprecated: bool
    score: int = 0  # where the keyword matched: 0 chart name, 1 registry/name, 2 description, 3 keywords

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.chart}"


@dataclass(frozen=True)
class ChartVersionDetail:
    registry: Registry
    chart: str
    version: str
    deprecated: bool
    meta: dict[str, Any]


_HIT_COLUMNS = "r.name, c.name, v.version, v.app_version, v.description, v.deprecated, c.search_text"


def search_charts(
    db: sqlite3.Connection,
    keyword: str = "",
    *,
    all_versions: bool = False,
    devel: bool = False,
    constraint: VersionConstraint | None = None,
) -> list[SearchHit]:
    """Charts of registries with synchronization on whose name, description or keywords contain
    `keyword` (any case). Without flags: each chart's latest stable version."""
    term = keyword.strip().lower()
    text_column = "c.search_text_devel" if devel and constraint is None else "c.search_text"
    match = f"(instr({text_column}, :term) > 0 OR instr(lower(r.name || '/' || c.name), :term) > 0)"
    if constraint is None and not all_versions:
        latest = "c.latest_version" if devel else "c.latest_stable_version"
        sql = (
            f"SELECT {_HIT_COLUMNS} FROM charts c JOIN registries r ON r.id = c.registry_id"
            f" JOIN chart_versions v ON v.registry_id = c.registry_id AND v.chart = c.name AND v.version = {latest}"
            f" WHERE r.sync_enabled = 1 AND {match}"
        )
    else:
        stable_only = " AND v.prerelease = 0" if constraint is None and not devel else ""
        sql = (
            f"SELECT {_HIT_COLUMNS} FROM charts c JOIN registries r ON r.id = c.registry_id"
            f" JOIN chart_versions v ON v.registry_id = c.registry_id AND v.chart = c.name"
            f" WHERE r.sync_enabled = 1 AND {match}{stable_only} ORDER BY v.rank"
        )
    hits: list[SearchHit] = []
    seen: set[tuple[str, str]] = set()
    for registry, chart, version, app_version, description, deprecated, search_text in db.execute(sql, {"term": term}):
        if constraint is not None:
            parsed = parse_version(version)
            if parsed is None or not constraint.allows(parsed):
                continue
            if not all_versions:
                if (registry, chart) in seen:
                    continue
                seen.add((registry, chart))
        hits.append(
            SearchHit(
                registry,
                chart,
                version,
                app_version,
                description,
                bool(deprecated),
                _score(term, registry, chart, search_text),
            )
        )
    rank = {id(hit): position for position, hit in enumerate(hits)}  # keeps newest-first within a chart
    hits.sort(key=lambda hit: (hit.score, hit.registry.lower(), hit.chart, rank[id(hit)]))
    return hits


def _score(term: str, registry: str, chart: str, search_text: str) -> int:
    if not term or term in chart.lower():
        return 0
    if term in f"{registry}/{chart}".lower():
        return 1
    _, description, _keywords = search_text.split("\t", 2)
    return 2 if term in description else 3


def chart_versions(db: sqlite3.Connection, registry: Registry, chart: str) -> list[str]:
    """Every version of a chart in the snapshot, newest first."""
    rows = db.execute(
        "SELECT version FROM chart_versions WHERE registry_id = ? AND chart = ? ORDER BY rank",
        (registry.id, chart),
    ).fetchall()
    return [row[0] for row in rows]


def chart_names(db: sqlite3.Connection, registry: Registry) -> list[str]:
    rows = db.execute("SELECT name FROM charts WHERE registry_id = ? ORDER BY name", (registry.id,))
    return [row[0] for row in rows]


def get_chart_version(
    db: sqlite3.Connection, registry: Registry, chart: str, version: str | None = None
) -> ChartVersionDetail:
    """An exact version, or the latest stable one when `version` is None; unknown names and versions
    raise NotFoundError with the closest matches."""
    if version is None:
        row = db.execute(
            "SELECT v.version, v.deprecated, v.position, c.document FROM charts c JOIN chart_versions v"
            " ON v.registry_id = c.registry_id AND v.chart = c.name"
            " AND v.version = COALESCE(c.latest_stable_version, c.latest_version)"
            " WHERE c.registry_id = ? AND c.name = ?",
            (registry.id, chart),
        ).fetchone()
    else:
        row = db.execute(
            "SELECT v.version, v.deprecated, v.position, c.document FROM chart_versions v JOIN charts c"
            " ON c.registry_id = v.registry_id AND c.name = v.chart"
            " WHERE v.registry_id = ? AND v.chart = ? AND v.version = ?",
            (registry.id, chart, version),
        ).fetchone()
    if row is None:
        raise _not_found(db, registry, chart, version)
    exact_version, deprecated, position, document = row
    meta = entry_metadata(load_chart_document(document)[position])
    meta["version"] = exact_version
    return ChartVersionDetail(registry, chart, exact_version, bool(deprecated), meta)


def _not_found(db: sqlite3.Connection, registry: Registry, chart: str, version: str | None) -> NotFoundError:
    versions = chart_versions(db, registry, chart)
    if not versions:
        close = difflib.get_close_matches(chart, chart_names(db, registry), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return NotFoundError(f"'{registry.name}' has no chart named '{chart}' in its snapshot.{hint}")
    close = difflib.get_close_matches(version or "", versions, n=3, cutoff=0.5) or versions[:3]
    return NotFoundError(
        f"'{registry.name}/{chart}' has no version '{version}' in its snapshot; closest: {', '.join(close)}."
    )
