"""Registry rows and their sync state: create, read, rename-safe lookups, removal."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from desktop.catalog.sync_records import SyncState, sync_state
from desktop.errors import NotFoundError, ValidationError
from desktop.registry import Registry, RegistryDraft

_COLUMNS = (
    "id, uid, name, endpoint, sync_enabled, username, ca_pem, insecure_skip_tls_verify, kind, created_at, plain_http,"
    " chart_names, token_auth, base_paths"
)


@dataclass(frozen=True)
class RegistrySummary:
    registry: Registry
    state: SyncState
    chart_count: int
    version_count: int


def _registry(row: sqlite3.Row | tuple[Any, ...]) -> Registry:
    return Registry(
        id=row[0],
        uid=row[1],
        name=row[2],
        endpoint=row[3],
        sync_enabled=bool(row[4]),
        username=row[5],
        ca_pem=row[6],
        insecure_skip_tls_verify=bool(row[7]),
        kind="oci" if row[8] == "oci" else "helm",
        created_at=row[9],
        plain_http=bool(row[10]),
        chart_names=tuple(json.loads(row[11])),
        token_auth=bool(row[12]),
        base_paths=tuple(json.loads(row[13])),
    )


def list_registries(db: sqlite3.Connection) -> list[Registry]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM registries ORDER BY name COLLATE NOCASE").fetchall()
    return [_registry(row) for row in rows]


def find_registry(db: sqlite3.Connection, name: str) -> Registry | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM registries WHERE name = ?", (name,)).fetchone()
    return None if row is None else _registry(row)


def get_registry(db: sqlite3.Connection, name: str) -> Registry:
    registry = find_registry(db, name)
    if registry is None:
        known = ", ".join(r.name for r in list_registries(db)) or "none yet"
        raise NotFoundError(f"There is no registry named '{name}' (registered: {known}).")
    return registry


def find_registry_by_uid(db: sqlite3.Connection, uid: str) -> Registry | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM registries WHERE uid = ?", (uid,)).fetchone()
    return None if row is None else _registry(row)


def get_registry_by_id(db: sqlite3.Connection, registry_id: int) -> Registry:
    row = db.execute(f"SELECT {_COLUMNS} FROM registries WHERE id = ?", (registry_id,)).fetchone()
    if row is None:
        raise NotFoundError("That registry has been removed.")
    return _registry(row)


def ensure_name_free(db: sqlite3.Connection, name: str, *, except_id: int | None = None) -> None:
    row = db.execute("SELECT id, name FROM registries WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] != except_id:
        raise ValidationError(f"A registry named '{row[1]}' already exists: choose another name.")


def insert_registry(db: sqlite3.Connection, draft: RegistryDraft, uid: str, now: float) -> int:
    """Insert inside the caller's transaction; returns the new id."""
    ensure_name_free(db, draft.name)
    cursor = db.execute(
        "INSERT INTO registries (uid, name, endpoint, sync_enabled, username, ca_pem, insecure_skip_tls_verify,"
        " created_at, kind, plain_http, chart_names, token_auth, base_paths)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uid,
            draft.name,
            draft.endpoint,
            int(draft.sync_enabled),
            draft.username,
            draft.ca_pem,
            int(draft.insecure_skip_tls_verify),
            now,
            draft.kind,
            int(draft.plain_http),
            json.dumps(list(draft.chart_names)),
            int(draft.token_auth),
            json.dumps(list(draft.base_paths)),
        ),
    )
    registry_id = int(cursor.lastrowid or 0)
    db.execute("INSERT INTO sync_state (registry_id) VALUES (?)", (registry_id,))
    return registry_id


def update_registry(db: sqlite3.Connection, registry_id: int, draft: RegistryDraft) -> None:
    """Change the user's fields inside the caller's transaction; the snapshot is left alone."""
    ensure_name_free(db, draft.name, except_id=registry_id)
    db.execute(
        "UPDATE registries SET name = ?, endpoint = ?, sync_enabled = ?, username = ?, ca_pem = ?,"
        " insecure_skip_tls_verify = ?, plain_http = ?, chart_names = ?, token_auth = ?,"
        " base_paths = ? WHERE id = ?",
        (
            draft.name,
            draft.endpoint,
            int(draft.sync_enabled),
            draft.username,
            draft.ca_pem,
            int(draft.insecure_skip_tls_verify),
            int(draft.plain_http),
            json.dumps(list(draft.chart_names)),
            int(draft.token_auth),
            json.dumps(list(draft.base_paths)),
            registry_id,
        ),
    )
    # The user said how it is reached now: a bundle's word that it needs a login no longer counts.
    db.execute("UPDATE registry_origins SET login_needed = 0 WHERE registry_id = ?", (registry_id,))


def delete_registry(db: sqlite3.Connection, registry_id: int) -> None:
    """Remove the registry; its snapshot and history go with it (ON DELETE CASCADE)."""
    db.execute("DELETE FROM registries WHERE id = ?", (registry_id,))


def summaries(db: sqlite3.Connection) -> list[RegistrySummary]:
    """Every registry with its sync state and snapshot size, for listings."""
    counts = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            "SELECT registry_id, COUNT(*), COALESCE(SUM(version_count), 0) FROM charts GROUP BY registry_id"
        )
    }
    result = []
    for registry in list_registries(db):
        charts, versions = counts.get(registry.id, (0, 0))
        result.append(RegistrySummary(registry, sync_state(db, registry.id), charts, versions))
    return result
