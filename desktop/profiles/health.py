"""Profile health: layers whose chart version went away upstream, or was deprecated, or whose
registry is gone; their pinned content keeps working offline all the same."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.catalog.registries import find_registry_by_uid
from desktop.profiles.model import Layer, Profile


@dataclass(frozen=True)
class LayerHealth:
    state: str  # ok | removed | deprecated | registry-gone
    message: str

    @property
    def ok(self) -> bool:
        return self.state == "ok"


OK = LayerHealth("ok", "")


def layer_health(db: sqlite3.Connection, layer: Layer) -> LayerHealth:
    registry = find_registry_by_uid(db, layer.registry_uid)
    if registry is None:
        return LayerHealth("registry-gone", f"Registry '{layer.registry_name}' was removed from Chartkeeper.")
    row = db.execute(
        "SELECT deprecated FROM chart_versions WHERE registry_id = ? AND chart = ? AND version = ?",
        (registry.id, layer.chart, layer.version),
    ).fetchone()
    if row is None:
        return LayerHealth(
            "removed",
            f"{layer.chart} {layer.version} is no longer in {registry.name}'s index: it was removed upstream.",
        )
    if row[0]:
        return LayerHealth("deprecated", f"{layer.chart} {layer.version} is marked deprecated in {registry.name}.")
    return OK


def profile_health(db: sqlite3.Connection, profile: Profile) -> list[LayerHealth]:
    return [layer_health(db, layer) for layer in profile.layers]


def problems(db: sqlite3.Connection, profile: Profile) -> list[str]:
    return [health.message for health in profile_health(db, profile) if not health.ok]
