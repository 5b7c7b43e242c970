"""Writing a registry's snapshot: only the charts whose document changed are rewritten, all in the
caller's transaction, and the differences come back for the sync history. Versions that left the
index are not deleted: they move to `removed_versions`, marked with the time, until pruned; a
version that comes back leaves it again."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.cancellation import CancelToken
from desktop.helm.index import ChartDocument, IndexEntry
from desktop.helm.metadata import NumberText, load_chart_document

ChartVersionKey = tuple[str, str]


@dataclass
class SnapshotDiff:
    added: list[ChartVersionKey] = field(default_factory=list)
    removed: list[ChartVersionKey] = field(default_factory=list)
    changed: list[ChartVersionKey] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(slots=True)
class _Chart:
    document: ChartDocument
    digest: bytes
    entries: list[IndexEntry]  # newest first, duplicates dropped


def _prepare(documents: Iterable[ChartDocument], diff: SnapshotDiff) -> dict[str, _Chart]:
    charts: dict[str, _Chart] = {}
    for document in documents:
        if not document.entries or document.name in charts:
            continue
        unique: dict[str, IndexEntry] = {}
        for entry in document.entries:
            unique.setdefault(entry.version.text, entry)  # the parser lists each version once; this keeps it so
        ordered = sorted(unique.values(), key=lambda e: e.version.sort_key, reverse=True)
        digest = hashlib.blake2b(document.json, digest_size=16).digest()
        charts[document.name] = _Chart(document, digest, ordered)
    return charts


@dataclass(frozen=True)
class Shrink:
    """What applying a new index would mark removed."""

    removed: int  # versions
    stored: int  # versions in the snapshot now
    whole_charts: int  # charts that would lose every version


def planned_shrink(
    db: sqlite3.Connection,
    registry_id: int,
    documents: Sequence[ChartDocument],
    counted: Callable[[str], bool] | None = None,
) -> Shrink:
    """Count what leaving the snapshot as `documents` would remove, without writing anything; only
    the charts `counted` accepts (the others are known to go: the registry no longer reads them)."""
    incoming: dict[str, set[str]] = {}
    for document in documents:
        incoming.setdefault(document.name, set()).update(entry.version.text for entry in document.entries)
    removed = stored = 0
    emptied: set[str] = set()
    for chart, version in db.execute("SELECT chart, version FROM chart_versions WHERE registry_id = ?", (registry_id,)):
        if counted is not None and not counted(chart):
            continue
        stored += 1
        versions = incoming.get(chart)
        if versions is None:
            emptied.add(chart)
        if versions is None or version not in versions:
            removed += 1
    return Shrink(removed, stored, len(emptied))


def write_snapshot(
    db: sqlite3.Connection,
    registry_id: int,
    documents: Iterable[ChartDocument],
    cancel: CancelToken | None = None,
    now: float = 0.0,
) -> SnapshotDiff:
    """Make the stored snapshot equal `documents`; what left the index is kept as removed at `now`.
    Call inside a transaction: an exception (a cancel included) leaves the previous snapshot
    exactly as it was."""
    diff = SnapshotDiff()
    charts = _prepare(documents, diff)
    stored = dict(db.execute("SELECT name, document_hash FROM chart_documents WHERE registry_id = ?", (registry_id,)))
    touched = [name for name, chart in charts.items() if stored.get(name) != chart.digest]
    gone = [name for name in stored if name not in charts]
    for name in touched:
        if name in stored:
            _compare_chart(db, registry_id, charts[name], diff)
        else:
            diff.added.extend((name, entry.version.text) for entry in charts[name].entries)
    for name in gone:
        diff.removed.extend((name, version) for version in _stored_positions(db, registry_id, name))
    if cancel is not None:
        cancel.raise_if_cancelled()
    _keep_removed(db, registry_id, diff.removed, now)
    _unmark_returned(db, registry_id, diff.added)

    replaced = [(registry_id, name) for name in [*touched, *gone] if name in stored]
    db.executemany("DELETE FROM chart_versions WHERE registry_id = ? AND chart = ?", replaced)
    db.executemany("DELETE FROM charts WHERE registry_id = ? AND name = ?", replaced)
    db.executemany("DELETE FROM chart_documents WHERE registry_id = ? AND name = ?", replaced)
    db.executemany(
        "INSERT INTO chart_versions (registry_id, chart, version, position, rank, prerelease, deprecated,"
        " app_version, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _version_rows(registry_id, [charts[name] for name in touched]),
    )
    db.executemany(
        "INSERT INTO charts (registry_id, name, latest_version, latest_stable_version, version_count, app_version,"
        " description, deprecated, search_text, search_text_devel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_chart_row(registry_id, charts[name]) for name in touched],
    )
    db.executemany(
        "INSERT INTO chart_documents (registry_id, name, document_hash, document) VALUES (?, ?, ?, ?)",
        [(registry_id, name, charts[name].digest, charts[name].document.json) for name in touched],
    )
    if cancel is not None:
        cancel.raise_if_cancelled()
    return diff


def _keep_removed(db: sqlite3.Connection, registry_id: int, removed: list[ChartVersionKey], now: float) -> None:
    """Before the live rows go: each removed version with its entry as last listed."""
    by_chart: dict[str, list[str]] = {}
    for chart, version in removed:
        by_chart.setdefault(chart, []).append(version)
    rows = []
    for chart, versions in by_chart.items():
        found = db.execute(
            "SELECT d.document, c.search_text FROM chart_documents d JOIN charts c"
            " ON c.registry_id = d.registry_id AND c.name = d.name WHERE d.registry_id = ? AND d.name = ?",
            (registry_id, chart),
        ).fetchone()
        if found is None:
            continue
        items = load_chart_document(found[0])
        wanted = set(versions)
        for version, position, prerelease, deprecated, app_version, description in db.execute(
            "SELECT version, position, prerelease, deprecated, app_version, description FROM chart_versions"
            " WHERE registry_id = ? AND chart = ?",
            (registry_id, chart),
        ):
            if version in wanted and position < len(items):
                entry = dump_item(items[position])
                rows.append(
                    (
                        registry_id,
                        chart,
                        version,
                        now,
                        prerelease,
                        deprecated,
                        app_version,
                        description,
                        found[1],
                        entry,
                    )
                )
    db.executemany(
        "INSERT OR REPLACE INTO removed_versions (registry_id, name, version, removed_at, prerelease, deprecated,"
        " app_version, description, search_text, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def dump_item(value: Any) -> str:
    """JSON for a stored index item, numbers written back exactly as they were read (`1.10`)."""
    if isinstance(value, NumberText):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{dump_item(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_item(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _unmark_returned(db: sqlite3.Connection, registry_id: int, added: list[ChartVersionKey]) -> None:
    if (
        not added
        or db.execute("SELECT 1 FROM removed_versions WHERE registry_id = ? LIMIT 1", (registry_id,)).fetchone() is None
    ):
        return  # nothing was ever marked removed (a first snapshot, say): nothing can come back
    db.executemany(
        "DELETE FROM removed_versions WHERE registry_id = ? AND name = ? AND version = ?",
        [(registry_id, chart, version) for chart, version in added],
    )


def prune_removed(db: sqlite3.Connection, registry_id: int, removed_before: float | None) -> int:
    """Delete for good the versions marked removed before `removed_before` (all when None)."""
    if removed_before is None:
        cursor = db.execute("DELETE FROM removed_versions WHERE registry_id = ?", (registry_id,))
    else:
        cursor = db.execute(
            "DELETE FROM removed_versions WHERE registry_id = ? AND removed_at < ?", (registry_id, removed_before)
        )
    return cursor.rowcount


def _stored_positions(db: sqlite3.Connection, registry_id: int, chart: str) -> dict[str, int]:
    return dict(
        db.execute(
            "SELECT version, position FROM chart_versions WHERE registry_id = ? AND chart = ?", (registry_id, chart)
        )
    )


def _compare_chart(db: sqlite3.Connection, registry_id: int, chart: _Chart, diff: SnapshotDiff) -> None:
    name = chart.document.name
    before = _stored_positions(db, registry_id, name)
    (old_document,) = db.execute(
        "SELECT document FROM chart_documents WHERE registry_id = ? AND name = ?", (registry_id, name)
    ).fetchone()
    old_items = load_chart_document(old_document)
    new_items = load_chart_document(chart.document.json)
    fresh = {entry.version.text: entry for entry in chart.entries}
    for version, entry in fresh.items():
        if version not in before:
            diff.added.append((name, version))
        elif before[version] >= len(old_items) or old_items[before[version]] != new_items[entry.position]:
            diff.changed.append((name, version))
    diff.removed.extend((name, version) for version in before if version not in fresh)


def _version_rows(registry_id: int, charts: Sequence[_Chart]) -> Iterable[tuple[object, ...]]:
    for chart in charts:
        for rank, entry in enumerate(chart.entries):
            yield (
                registry_id,
                entry.chart,
                entry.version.text,
                entry.position,
                rank,
                entry.version.is_prerelease,
                entry.deprecated,
                entry.app_version,
                entry.description,
            )


def _search_text(entry: IndexEntry) -> str:
    return f"{entry.chart}\t{entry.description}\t{entry.keywords}".lower()


def _chart_row(registry_id: int, chart: _Chart) -> tuple[object, ...]:
    latest = chart.entries[0]
    stable = next((entry for entry in chart.entries if not entry.version.is_prerelease), None)
    shown = stable or latest
    return (
        registry_id,
        chart.document.name,
        latest.version.text,
        stable.version.text if stable else None,
        len(chart.entries),
        shown.app_version,
        shown.description,
        shown.deprecated,
        _search_text(shown),
        _search_text(latest),
    )


def stored_items(db: sqlite3.Connection, registry_id: int) -> dict[str, list[Any]]:
    """Each chart's stored index items (an OCI sync reads only what is new)."""
    return {
        name: load_chart_document(document)
        for name, document in db.execute(
            "SELECT name, document FROM chart_documents WHERE registry_id = ?", (registry_id,)
        )
    }
