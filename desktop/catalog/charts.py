"""Reading the snapshot: search like `helm search repo`, and one chart version's metadata."""

from __future__ import annotations

import difflib
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple

from desktop.errors import NotFoundError
from desktop.helm.metadata import entry_metadata, load_chart_document
from desktop.helm.versions import VersionConstraint, nearest_versions, parse_version, pick_version
from desktop.registry import Registry


class SearchHit(NamedTuple):
    """One result row (a tuple: as-you-type search builds hundreds of these per keystroke)."""

    registry: str
    chart: str
    version: str
    app_version: str
    description: str
    deprecated: bool
    score: int = 0  # where the keyword matched: 0 chart name, 1 registry/name, 2 description, 3 keywords
    removed_at: float | None = None  # when the version left its index (kept in the snapshot since)

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
    removed_at: float | None = None  # the version left its index then; it is kept, still usable


MAX_TERM = 1000
_HIT_COLUMNS = "r.name, c.name, v.version, v.app_version, v.description, v.deprecated, c.search_text"


def search_charts(
    db: sqlite3.Connection,
    keyword: str = "",
    *,
    all_versions: bool = False,
    devel: bool = False,
    constraint: VersionConstraint | None = None,
    limit: int | None = None,
    by_chart_name: bool = False,
) -> list[SearchHit]:
    """Charts of registries with synchronization on whose name, `registry/name`, description or
    keywords contain `keyword` (any case), ranked as `helm search repo` ranks them (relevance, then
    `registry/name`), or with `by_chart_name` relevance then the chart's name (a picker, where one
    large registry must not bury the rest). Without flags: each chart's latest stable version.
    `limit` keeps the best-ranked ones (as you type)."""
    term = keyword.strip().lower()
    if len(term) > MAX_TERM:  # SQLite refuses LIKE patterns this long; nothing would match anyway
        return []
    text_column = "c.search_text_devel" if devel and constraint is None else "c.search_text"
    match, parameters = _match_clause(db, term, text_column)
    if constraint is None and not all_versions:
        # One row per chart: ranked and cut in SQL, so a one-letter search stays fast.
        if devel:
            columns = f"{_HIT_COLUMNS}, {relevance_sql(text_column)}"
            source = (
                " FROM charts c JOIN registries r ON r.id = c.registry_id JOIN chart_versions v"
                " ON v.registry_id = c.registry_id AND v.chart = c.name AND v.version = c.latest_version"
                f" WHERE r.sync_enabled = 1 AND {match}"
            )
        else:  # every column the usual search needs is in `charts`
            columns = (
                "r.name, c.name, c.latest_stable_version, c.app_version, c.description, c.deprecated,"
                f" c.search_text, {relevance_sql(text_column)}"
            )
            source = (
                " FROM charts c JOIN registries r ON r.id = c.registry_id"
                f" WHERE r.sync_enabled = 1 AND c.latest_stable_version IS NOT NULL AND {match}"
            )
        # The picker puts a chart named exactly what was typed first (before "alpha-web" for "web").
        order = "lower(c.name) <> ?, 8, c.name, lower(r.name)" if by_chart_name else "8, lower(r.name), c.name"
        sql = f"SELECT {columns}{source} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        ordering = [term] if by_chart_name else []
        rows = db.execute(sql, [*relevance_parameters(term), *parameters, *ordering])  # in the order they appear
        return [SearchHit(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[7]) for r in rows]
    stable_only = " AND v.prerelease = 0" if constraint is None and not devel else ""
    sql = (
        f"SELECT {_HIT_COLUMNS}, {relevance_sql('c.search_text')} FROM charts c"
        " JOIN registries r ON r.id = c.registry_id"
        f" JOIN chart_versions v ON v.registry_id = c.registry_id AND v.chart = c.name"
        f" WHERE r.sync_enabled = 1 AND {match}{stable_only} ORDER BY v.rank"
    )
    hits: list[SearchHit] = []
    seen: set[tuple[str, str]] = set()
    rows = db.execute(sql, [*relevance_parameters(term), *parameters])
    for registry, chart, version, app_version, description, deprecated, _text, score in rows:
        if constraint is not None:
            parsed = parse_version(version)
            if parsed is None or not constraint.allows(parsed):
                continue
            if not all_versions:
                if (registry, chart) in seen:
                    continue
                seen.add((registry, chart))
        hits.append(SearchHit(registry, chart, version, app_version, description, bool(deprecated), score))
    if all_versions:
        hits.extend(_removed_hits(db, term, devel or constraint is not None, constraint))
        hits.sort(key=lambda hit: version_order(hit.version), reverse=True)  # newest first within a chart…
        if by_chart_name:  # …as the sorts are stable
            hits.sort(key=lambda hit: (hit.score, hit.chart, hit.registry.lower()))
        else:
            hits.sort(key=lambda hit: (hit.score, hit.registry.lower(), hit.chart))
        return hits[:limit] if limit is not None else hits
    position = {id(hit): index for index, hit in enumerate(hits)}  # keeps newest-first within a chart
    if by_chart_name:
        hits.sort(key=lambda hit: (hit.score, hit.chart, hit.registry.lower(), position[id(hit)]))
    else:
        hits.sort(key=lambda hit: (hit.score, hit.registry.lower(), hit.chart, position[id(hit)]))
    return hits[:limit] if limit is not None else hits


def version_order(version: str) -> tuple[Any, ...]:
    parsed = parse_version(version)
    return (True, parsed.sort_key) if parsed is not None else (False, ())


def _removed_hits(
    db: sqlite3.Connection, term: str, prereleases: bool, constraint: VersionConstraint | None
) -> list[SearchHit]:
    """Versions kept after they left their index, for listings of every version."""
    match, parameters = _match_clause(db, term, "c.search_text")
    stable_only = "" if prereleases else " AND c.prerelease = 0"
    rows = db.execute(
        "SELECT r.name, c.name, c.version, c.app_version, c.description, c.deprecated, c.removed_at,"
        f" {relevance_sql('c.search_text')} FROM removed_versions c JOIN registries r ON r.id = c.registry_id"
        f" WHERE r.sync_enabled = 1 AND {match}{stable_only}",
        [*relevance_parameters(term), *parameters],
    )
    hits = []
    for registry, chart, version, app_version, description, deprecated, removed_at, score in rows:
        if constraint is not None:
            parsed = parse_version(version)
            if parsed is None or not constraint.allows(parsed):
                continue
        hits.append(SearchHit(registry, chart, version, app_version, description, bool(deprecated), score, removed_at))
    return hits


def relevance_parameters(term: str) -> list[str]:
    """The parameters of `relevance_sql`, in its order."""
    return [term] * 4


def relevance_sql(text_column: str) -> str:
    """The one ranking rule of every search (the window's lists and pickers, the CLI): where the
    keyword matched, as Helm ranks it: 0 the chart's name (or no keyword), 1 `registry/name`, 2 the
    description, 3 the keywords. The search text is `name<TAB>description<TAB>keywords`, lowercase;
    the query names the chart `c` and its registry `r`."""
    description_end = (
        f"instr({text_column}, char(9)) + instr(substr({text_column}, instr({text_column}, char(9)) + 1), char(9)) - 1"
    )
    return (
        "CASE WHEN ? = '' OR instr(lower(c.name), ?) > 0 THEN 0"
        " WHEN instr(lower(r.name || '/' || c.name), ?) > 0 THEN 1"
        f" WHEN instr(substr({text_column}, 1, {description_end}), ?) > 0 THEN 2 ELSE 3 END"
    )


def _match_clause(db: sqlite3.Connection, term: str, text_column: str) -> tuple[str, list[object]]:
    """SQL matching `term` in the chart's search text or in `registry/chart`. The registry part is
    decided here, per registry, so the scan compares one column per chart."""
    if not term:
        return "1", []
    clauses: list[str] = [f"{text_column} LIKE ? ESCAPE '\\'"]
    parameters: list[object] = ["%" + _like_escaped(term) + "%"]
    registries = db.execute("SELECT id, lower(name) FROM registries WHERE sync_enabled = 1").fetchall()
    whole = [registry_id for registry_id, name in registries if term in name]
    if whole:
        clauses.append(f"c.registry_id IN ({', '.join('?' * len(whole))})")
        parameters.extend(whole)
    if term.count("/") == 1:
        before, after = term.split("/")
        for registry_id, name in registries:
            if name.endswith(before):
                clauses.append("(c.registry_id = ? AND c.name LIKE ? ESCAPE '\\')")
                parameters.extend([registry_id, _like_escaped(after) + "%"])
    return "(" + " OR ".join(clauses) + ")", parameters


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def chart_versions(db: sqlite3.Connection, registry: Registry, chart: str) -> list[str]:
    """Every version of a chart in the snapshot (those removed upstream included), newest first."""
    return [row.version for row in version_rows(db, registry, chart)]


@dataclass(frozen=True)
class VersionRow:
    version: str
    prerelease: bool
    deprecated: bool
    app_version: str
    removed_at: float | None = None  # left the index then; still kept


def version_rows(db: sqlite3.Connection, registry: Registry, chart: str) -> list[VersionRow]:
    """Every version of a chart, newest first, with what a version picker shows; versions removed
    upstream are included, marked."""
    rows = [
        VersionRow(row[0], bool(row[1]), bool(row[2]), row[3])
        for row in db.execute(
            "SELECT version, prerelease, deprecated, app_version FROM chart_versions"
            " WHERE registry_id = ? AND chart = ? ORDER BY rank",
            (registry.id, chart),
        )
    ]
    removed = [
        VersionRow(row[0], bool(row[1]), bool(row[2]), row[3], row[4])
        for row in db.execute(
            "SELECT version, prerelease, deprecated, app_version, removed_at FROM removed_versions"
            " WHERE registry_id = ? AND name = ?",
            (registry.id, chart),
        )
    ]
    if removed:
        rows.extend(removed)
        rows.sort(key=lambda row: version_order(row.version), reverse=True)
    return rows


def chart_names(db: sqlite3.Connection, registry: Registry) -> list[str]:
    """Charts in the snapshot, with those whose every version left the index."""
    rows = db.execute(
        "SELECT name FROM charts WHERE registry_id = ? UNION SELECT name FROM removed_versions WHERE registry_id = ?"
        " ORDER BY name",
        (registry.id, registry.id),
    )
    return [row[0] for row in rows]


def get_chart_version(
    db: sqlite3.Connection, registry: Registry, chart: str, version: str | None = None
) -> ChartVersionDetail:
    """An exact version (else, as Helm reads `--version`, the newest the text allows as a constraint:
    `1.10` finds 1.10.0), or the latest stable one when `version` is None; unknown names and versions
    raise NotFoundError with the closest matches."""
    if version is None:
        row = db.execute(
            "SELECT v.version, v.deprecated, v.position, d.document FROM charts c JOIN chart_versions v"
            " ON v.registry_id = c.registry_id AND v.chart = c.name"
            " AND v.version = COALESCE(c.latest_stable_version, c.latest_version)"
            " JOIN chart_documents d ON d.registry_id = c.registry_id AND d.name = c.name"
            " WHERE c.registry_id = ? AND c.name = ?",
            (registry.id, chart),
        ).fetchone()
    else:
        row = db.execute(
            "SELECT v.version, v.deprecated, v.position, d.document FROM chart_versions v JOIN chart_documents d"
            " ON d.registry_id = v.registry_id AND d.name = v.chart"
            " WHERE v.registry_id = ? AND v.chart = ? AND v.version = ?",
            (registry.id, chart, version),
        ).fetchone()
    if row is None and version is not None:
        removed = db.execute(
            "SELECT deprecated, entry, removed_at FROM removed_versions"
            " WHERE registry_id = ? AND name = ? AND version = ?",
            (registry.id, chart, version),
        ).fetchone()
        if removed is not None:
            meta = entry_metadata(load_chart_document(b'{"":[' + bytes(removed[1], "utf-8") + b"]}")[0])
            meta["version"] = version
            return ChartVersionDetail(registry, chart, version, bool(removed[0]), meta, removed[2])
    if row is None:
        picked = pick_version(version, chart_versions(db, registry, chart)) if version is not None else None
        if picked is not None and picked != version:  # `1.10` or `^1.2`, as `helm show --version` reads it
            return get_chart_version(db, registry, chart, picked)
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
    close = nearest_versions(version or "", versions) or versions[:3]
    return NotFoundError(
        f"'{registry.name}/{chart}' has no version '{version}' in its snapshot; closest: {', '.join(close)}."
    )
