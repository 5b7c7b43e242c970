"""Profile rows and their layers: the user's own work, kept apart from the re-fetchable snapshot."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from desktop.catalog.db import transaction
from desktop.catalog.registries import find_registry_by_uid
from desktop.errors import NotFoundError, ValidationError
from desktop.profiles.health import LayerSource
from desktop.profiles.model import Layer, Profile, ProfileVariable
from desktop.profiles.variable_documents import read_variable_fields, variables_document
from desktop.profiles.variables import validate_variables

_PROFILE = "id, uid, name, version, description, tags, updated_at, variables"
_LAYER = (
    "id, registry_uid, registry_name, registry_endpoint, chart, version, namespace, install_priority, values_override"
)


def _layer(row: sqlite3.Row | tuple[Any, ...]) -> Layer:
    return Layer(
        registry_uid=row[1],
        registry_name=row[2],
        registry_endpoint=row[3],
        chart=row[4],
        version=row[5],
        namespace=row[6],
        install_priority=row[7],
        values_override=row[8],
        id=row[0],
    )


def stored_variables(text: str) -> tuple[ProfileVariable, ...]:
    """The variables column as written by `write_profile` (read as stored, whatever later rules say;
    a column edited by hand into something else reads as none rather than failing every listing)."""
    try:
        return read_variable_fields(json.loads(text), "the profile's stored variables")
    except (ValueError, ValidationError):
        return ()


def _profile(db: sqlite3.Connection, row: sqlite3.Row | tuple[Any, ...]) -> Profile:
    layers = db.execute(
        f"SELECT {_LAYER} FROM profile_layers WHERE profile_id = ? ORDER BY install_priority, position", (row[0],)
    ).fetchall()
    return Profile(
        uid=row[1],
        name=row[2],
        version=row[3],
        description=row[4],
        tags=tuple(json.loads(row[5])),
        layers=tuple(_layer(layer) for layer in layers),
        id=row[0],
        updated_at=row[6],
        variables=stored_variables(row[7]),
    )


def list_profiles(db: sqlite3.Connection) -> list[Profile]:
    rows = db.execute(f"SELECT {_PROFILE} FROM profiles ORDER BY name COLLATE NOCASE").fetchall()
    return [_profile(db, row) for row in rows]


def find_profile(db: sqlite3.Connection, name: str) -> Profile | None:
    row = db.execute(f"SELECT {_PROFILE} FROM profiles WHERE name = ?", (name,)).fetchone()
    return None if row is None else _profile(db, row)


def get_profile(db: sqlite3.Connection, name: str) -> Profile:
    profile = find_profile(db, name)
    if profile is None:
        known = ", ".join(p.name for p in list_profiles(db)) or "none yet"
        raise NotFoundError(f"There is no profile named '{name}' (profiles: {known}).")
    return profile


def get_profile_by_id(db: sqlite3.Connection, profile_id: int) -> Profile:
    row = db.execute(f"SELECT {_PROFILE} FROM profiles WHERE id = ?", (profile_id,)).fetchone()
    if row is None:
        raise NotFoundError("That profile has been deleted.")
    return _profile(db, row)


def ensure_profile_name_free(db: sqlite3.Connection, name: str, *, except_id: int | None = None) -> None:
    row = db.execute("SELECT id, name FROM profiles WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] != except_id:
        raise ValidationError(f"A profile named '{row[1]}' already exists: choose another name.")


def save_profile(db: sqlite3.Connection, profile: Profile, now: float) -> Profile:
    """Insert or update the profile with exactly these layers, in one transaction."""
    with transaction(db):
        profile_id = write_profile(db, profile, now)
    return get_profile_by_id(db, profile_id)


def write_profile(db: sqlite3.Connection, profile: Profile, now: float) -> int:
    """Insert or update the profile inside the caller's transaction; returns its id."""
    ensure_profile_name_free(db, profile.name, except_id=profile.id)
    variables = json.dumps(variables_document(validate_variables(profile.variables)), ensure_ascii=False)
    fields = (profile.name, profile.version, profile.description, json.dumps(list(profile.tags)), now, variables)
    if profile.id is None:
        uid = profile.uid or os.urandom(16).hex()
        cursor = db.execute(
            "INSERT INTO profiles (name, version, description, tags, updated_at, variables, uid, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, uid, now),
        )
        profile = replace(profile, id=int(cursor.lastrowid or 0), uid=uid)
    else:
        db.execute(
            "UPDATE profiles SET name = ?, version = ?, description = ?, tags = ?, updated_at = ?, variables = ?"
            " WHERE id = ?",
            (*fields, profile.id),
        )
    _write_layers(db, profile.id or 0, profile.layers)
    return profile.id or 0


def _write_layers(db: sqlite3.Connection, profile_id: int, layers: Sequence[Layer]) -> None:
    db.execute("DELETE FROM profile_layers WHERE profile_id = ?", (profile_id,))
    db.executemany(
        "INSERT INTO profile_layers (profile_id, position, registry_uid, registry_name, registry_endpoint, chart,"
        " version, namespace, install_priority, values_override) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                profile_id,
                position,
                layer.registry_uid,
                layer.registry_name,
                layer.registry_endpoint,
                layer.chart,
                layer.version,
                layer.namespace,
                layer.install_priority,
                layer.values_override,
            )
            for position, layer in enumerate(layers)
        ],
    )


def delete_profile(db: sqlite3.Connection, profile_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))


def free_copy_name(db: sqlite3.Connection, name: str) -> str:
    """'name-copy', 'name-copy-2', … : the first that no profile has."""
    candidate = f"{name}-copy"
    number = 2
    while db.execute("SELECT 1 FROM profiles WHERE name = ?", (candidate,)).fetchone() is not None:
        candidate = f"{name}-copy-{number}"
        number += 1
    return candidate


def layer_source(db: sqlite3.Connection, layer: Layer) -> LayerSource:
    registry = find_registry_by_uid(db, layer.registry_uid)
    if registry is None:
        return LayerSource(None, False, False)
    row = db.execute(
        "SELECT deprecated FROM chart_versions WHERE registry_id = ? AND chart = ? AND version = ?",
        (registry.id, layer.chart, layer.version),
    ).fetchone()
    if row is not None:
        return LayerSource(registry, True, bool(row[0]))
    removed = db.execute(
        "SELECT deprecated, removed_at FROM removed_versions WHERE registry_id = ? AND name = ? AND version = ?",
        (registry.id, layer.chart, layer.version),
    ).fetchone()
    if removed is not None:
        return LayerSource(registry, False, bool(removed[0]), float(removed[1]))
    return LayerSource(registry, False, False)


def layer_sources(db: sqlite3.Connection, profile: Profile) -> list[LayerSource]:
    """Where each of the profile's layers stands in the snapshot, in the layers' order."""
    return [layer_source(db, layer) for layer in profile.layers]


def registries_holding(db: sqlite3.Connection, chart: str, version: str) -> set[str]:
    """The uids of registries whose snapshot lists this chart version."""
    rows = db.execute(
        "SELECT r.uid FROM chart_versions v JOIN registries r ON r.id = v.registry_id"
        " WHERE v.chart = ? AND v.version = ?",
        (chart, version),
    )
    return {row[0] for row in rows}


def profile_name_taken(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM profiles WHERE name = ?", (name,)).fetchone() is not None
