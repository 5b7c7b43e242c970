"""Profile health: layers whose chart version went away upstream, or was deprecated, or whose
registry is gone (their pinned content keeps working offline all the same), and layers whose values
name a profile variable the profile does not define."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desktop.profiles.model import Layer, Profile
from desktop.profiles.variables import undefined_references
from desktop.registry import Registry
from desktop.timefmt import local_date


@dataclass(frozen=True)
class LayerSource:
    """Where a layer's chart version stands in the snapshot: its registry (None once removed from
    Chartkeeper), whether the version is listed, and whether it is deprecated."""

    registry: Registry | None
    listed: bool
    deprecated: bool
    removed_at: float | None = None  # the version left the index then; it is kept in the snapshot


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


def layer_health(layer: Layer, source: LayerSource) -> LayerHealth:
    """The verdict on a layer, from what the catalog read for it (`catalog.profiles.layer_source`)."""
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


def profile_health(profile: Profile, sources: list[LayerSource]) -> list[LayerHealth]:
    """Each layer's verdict; `sources` as `catalog.profiles.layer_sources` reads them, in the layers' order."""
    return [layer_health(layer, source) for layer, source in zip(profile.layers, sources, strict=True)]


def problems(profile: Profile, sources: list[LayerSource]) -> list[str]:
    """Every layer's problem: its chart version's standing, and references to variables the
    profile does not define."""
    found = [health.message for health in profile_health(profile, sources) if not health.ok]
    return found + undefined_references(profile)
