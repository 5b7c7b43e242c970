"""A catalog as the user sees it, for comparing two catalogs: registries, snapshots, removed marks,
archives, pins and profiles — by name, without row ids, random uids or the times of local bookkeeping."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path
from typing import Any


def catalog_dump(path: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        names = dict(db.execute("SELECT id, name FROM registries"))
        by_uid = dict(db.execute("SELECT uid, name FROM registries"))

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(db.execute(sql).fetchall(), key=repr)

        def named(sql: str) -> list[tuple[Any, ...]]:
            return sorted(((names[row[0]], *row[1:]) for row in db.execute(sql)), key=repr)

        def by_registry_uid(sql: str) -> list[tuple[Any, ...]]:
            return sorted(((by_uid.get(row[0], row[0]), *row[1:]) for row in db.execute(sql)), key=repr)

        return {
            "registries": rows(
                "SELECT name, kind, endpoint, sync_enabled, username, ca_pem, insecure_skip_tls_verify, plain_http,"
                " chart_names FROM registries"
            ),
            "origins": named("SELECT registry_id, kind, at, upstream_sync FROM registry_origins"),
            "snapshot_times": named("SELECT registry_id, snapshot_at FROM sync_state"),
            "documents": named("SELECT registry_id, name, hex(document_hash), length(document) FROM chart_documents"),
            "versions": named(
                "SELECT registry_id, chart, version, position, rank, prerelease, deprecated, app_version, description"
                " FROM chart_versions"
            ),
            "charts": named(
                "SELECT registry_id, name, latest_version, latest_stable_version, version_count, app_version,"
                " description, deprecated, search_text, search_text_devel FROM charts"
            ),
            "removed": named(
                "SELECT registry_id, name, version, removed_at, prerelease, deprecated, app_version, description,"
                " search_text, entry FROM removed_versions"
            ),
            "archives": sorted(
                (by_uid.get(uid, uid), chart, version, digest, size, hashlib.sha256(bytes(data)).hexdigest())
                for uid, chart, version, digest, size, data in db.execute(
                    "SELECT registry_uid, chart, version, digest, size, data FROM chart_archives"
                )
            ),
            "pins": by_registry_uid("SELECT registry_uid, chart, version FROM pins"),
            "profiles": rows("SELECT name, version, description, tags FROM profiles"),
            "layers": sorted(
                (profile, position, by_uid.get(uid, uid), name, chart, version, namespace, priority, values)
                for profile, position, uid, name, chart, version, namespace, priority, values in db.execute(
                    "SELECT p.name, l.position, l.registry_uid, l.registry_name, l.chart, l.version,"
                    " l.namespace, l.install_priority, l.values_override"
                    " FROM profile_layers l JOIN profiles p ON p.id = l.profile_id"
                )
            ),
        }
