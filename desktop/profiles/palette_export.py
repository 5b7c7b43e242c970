"""A profile as Palette imports it: the shape of Palette's cluster profile import model
(`v1ClusterProfileImportEntity`), with each pack's registry named the way Palette matches it and the
profile's variables as Palette's V1Variable (a sensitive default masked, as Palette masks it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from desktop.profiles.model import Layer, Profile
from desktop.profiles.pack_values import pack_values
from desktop.profiles.registry_refs import RegistryRef, registry_ref
from desktop.profiles.variable_documents import palette_variable
from desktop.registry import Registry

BARE_TAG = "spectro__tag"  # Palette's label value for a tag without a value


def labels(tags: tuple[str, ...]) -> dict[str, str]:
    """Tags as Palette's labels: `env:edge` → {"env": "edge"}, a bare `edge` → {"edge": "spectro__tag"}."""
    result: dict[str, str] = {}
    for tag in tags:
        key, colon, value = tag.partition(":")
        result[key.strip()] = value.strip() if colon else BARE_TAG
    return result


def private_in_palette(kind: str, sync_enabled: bool, needs_login: bool) -> bool:
    """Palette's `isPrivate`: for a Helm registry its protected mode (not synced: charts are named by
    exact name and version, what sync off means here); for an OCI registry, that it needs a login."""
    return needs_login if kind == "oci" else not sync_enabled


def registry_metadata(ref: RegistryRef) -> dict[str, Any]:
    """Palette's `v1PackRegistryMetadata`. Palette matches it by name and kind; the uid is left
    empty because Chartkeeper's uids mean nothing to Palette. `isPrivate` is Palette's protected
    mode for Helm registries (no sync) and authentication for OCI registries. A registry reached
    with a token says so in `credentialType`, named as Palette's registries name it (noAuth, basic,
    token): Palette's import ignores it, and the registry must be added there with its token."""
    oci = ref.kind == "oci"
    metadata: dict[str, Any] = {
        "uid": "",
        "name": ref.name,
        "kind": "oci" if oci else "helm",
        "isPrivate": private_in_palette(ref.kind, ref.sync_enabled, ref.private),
        "providerType": "helm",
        "isSyncSupported": True if oci else ref.sync_enabled,
    }
    if ref.token:
        metadata["credentialType"] = "token"
    return metadata


def _pack(layer: Layer, ref: RegistryRef) -> dict[str, Any]:
    return {
        "name": layer.chart,
        "type": "oci" if ref.kind == "oci" else "helm",
        "layer": "addon",
        "version": layer.version,
        "tag": layer.version,
        "values": pack_values(
            layer.values_override, layer.namespace, layer.install_priority, f"The values of layer {layer.chart}"
        ),
        "registry": {"metadata": registry_metadata(ref)},
        "manifests": [],
    }


def palette_json(profile: Profile, registries: Mapping[str, Registry]) -> dict[str, Any]:
    packs = [_pack(layer, registry_ref(layer, registries)) for layer in profile.layers]
    return {
        "metadata": {"name": profile.name, "description": profile.description, "labels": labels(profile.tags)},
        "spec": {
            "version": profile.version,
            "template": {"type": "add-on", "cloudType": "all", "packs": packs},
            "variables": [palette_variable(variable) for variable in profile.variables],
        },
    }


def token_notes(refs: list[RegistryRef]) -> list[str]:
    """One line per registry of the export that is reached with a token: what Palette needs first."""
    seen: dict[str, str] = {ref.key: ref.name for ref in refs if ref.token}
    return [
        f"Registry {name} takes a token: add it in Palette with credential type Token (its token is not exported)."
        for name in seen.values()
    ]


def palette_notes(profile: Profile, registries: Mapping[str, Registry]) -> list[str]:
    return token_notes([registry_ref(layer, registries) for layer in profile.layers])


def palette_json_text(profile: Profile, registries: Mapping[str, Registry]) -> str:
    return json.dumps(palette_json(profile, registries), indent=2, ensure_ascii=False) + "\n"
