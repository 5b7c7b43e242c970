"""Profile health: layers whose chart version went away upstream, or was deprecated, or whose
registry is gone; their pinned content keeps working offline all the same."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from desktop.catalog.profiles import layer_source
from desktop.profiles.model import Layer, Profile
from desktop.timefmt import local_date


class HealthState(StrEnum):
    OK = "ok"
    REMOVED_UPSTREAM = "removed-upstream"  # left the index, kept in the snapshot: still usable
    MISSING = "missing"  # not in the snapshot at all (pruned, or never there)
    DEPRECATED = "deprecated"
    REGISTRY_GONE = "registry-gone"


@dataclass(frozen=True)
class LayerHealth:
    state: HealthState
    message: str

    @property
    def ok(self) -> bool:
        return self.state == HealthState.OK


OK = LayerHealth(HealthState.OK, "")


def layer_health(db: sqlite3.Connection, layer: Layer) -> LayerHealth:
    source = layer_source(db, layer)
    if source.registry is None:
        return LayerHealth(HealthState.REGISTRY_GONE, f"Registry '{layer.registry_name}' was removed from Chartkeeper.")
    name = source.registry.name
    if source.removed_at is not None:
        return LayerHealth(
            HealthState.REMOVED_UPSTREAM,
            f"{layer.chart} {layer.version} was removed upstream on {local_date(source.removed_at)}: it is kept "
            f"in {name}'s snapshot, but clusters may no longer pull it from there.",
        )
    if not source.listed:
        return LayerHealth(
            HealthState.MISSING, f"{layer.chart} {layer.version} is not in {name}'s snapshot: it was removed upstream."
        )
    if source.deprecated:
        return LayerHealth(HealthState.DEPRECATED, f"{layer.chart} {layer.version} is marked deprecated in {name}.")
    return OK


def profile_health(db: sqlite3.Connection, profile: Profile) -> list[LayerHealth]:
    return [layer_health(db, layer) for layer in profile.layers]


def problems(db: sqlite3.Connection, profile: Profile) -> list[str]:
    return [health.message for health in profile_health(db, profile) if not health.ok]
