"""Profile health: layers whose chart version went away upstream, or was deprecated, or whose
registry is gone; their pinned content keeps working offline all the same."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.catalog.profiles import layer_source
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
    source = layer_source(db, layer)
    if source.registry is None:
        return LayerHealth("registry-gone", f"Registry '{layer.registry_name}' was removed from Chartkeeper.")
    name = source.registry.name
    if not source.listed:
        return LayerHealth(
            "removed", f"{layer.chart} {layer.version} is no longer in {name}'s index: it was removed upstream."
        )
    if source.deprecated:
        return LayerHealth("deprecated", f"{layer.chart} {layer.version} is marked deprecated in {name}.")
    return OK


def profile_health(db: sqlite3.Connection, profile: Profile) -> list[LayerHealth]:
    return [layer_health(db, layer) for layer in profile.layers]


def problems(db: sqlite3.Connection, profile: Profile) -> list[str]:
    return [health.message for health in profile_health(db, profile) if not health.ok]
