"""Profiles in formats other tools read: JSON shaped like Palette's cluster profile export, and
helmfile.yaml; and importing Palette JSON back. Exports never hold credentials (nor an endpoint's
query string, which may carry a token)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from desktop.errors import ValidationError
from desktop.profiles.model import (
    DEFAULT_NAMESPACE,
    Layer,
    Profile,
    validate_layer_version,
    validate_namespace,
    validate_profile_name,
    validate_profile_version,
    validate_tags,
)
from desktop.profiles.values import parse_values
from desktop.registry import Registry

PRIORITY_KEY = "spectrocloud.com/install-priority"


def public_endpoint(endpoint: str) -> str:
    """The endpoint as exports show it and imports match it: no query, no trailing slash."""
    parts = urlsplit(endpoint.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def _registry_of(layer: Layer, registries: dict[str, Registry]) -> tuple[str, str, str]:
    registry = registries.get(layer.registry_uid)
    if registry is None:
        return layer.registry_name, public_endpoint(layer.registry_endpoint), "helm"
    return registry.name, public_endpoint(registry.endpoint), registry.kind


def pack_values(layer: Layer) -> str:
    """The layer's values as Palette keeps them: namespace and install priority in `pack:`."""
    data, problem = parse_values(layer.values_override)
    if problem is None and isinstance(data, dict) and "pack" in data:
        pack = dict(data.get("pack") or {})
        pack["namespace"] = layer.namespace
        pack[PRIORITY_KEY] = str(layer.install_priority)
        data = {"pack": pack, **{k: v for k, v in data.items() if k != "pack"}}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    header = f'pack:\n  namespace: {layer.namespace}\n  {PRIORITY_KEY}: "{layer.install_priority}"\n'
    body = layer.values_override
    return header + (body if body.endswith("\n") or not body else body + "\n")


def palette_json(profile: Profile, registries: dict[str, Registry]) -> dict[str, Any]:
    packs = []
    for layer in profile.layers:
        name, endpoint, kind = _registry_of(layer, registries)
        packs.append(
            {
                "name": layer.chart,
                "tag": layer.version,
                "version": layer.version,
                "type": "oci" if kind == "oci" else "helm",
                "layer": "addon",
                "registry": {"name": name, "endpoint": endpoint},
                "values": pack_values(layer),
            }
        )
    return {
        "metadata": {"name": profile.name, "description": profile.description, "tags": list(profile.tags)},
        "spec": {"version": profile.version, "template": {"type": "add-on", "packs": packs}},
    }


def palette_json_text(profile: Profile, registries: dict[str, Registry]) -> str:
    return json.dumps(palette_json(profile, registries), indent=2, ensure_ascii=False) + "\n"


def helmfile(profile: Profile, registries: dict[str, Registry]) -> dict[str, Any]:
    """helmfile.yaml: one repository per registry, one release per layer, installed by priority."""
    repositories: dict[str, dict[str, Any]] = {}
    releases: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    priorities: list[tuple[int, str]] = []
    for layer in profile.layers:
        registry_name, endpoint, kind = _registry_of(layer, registries)
        if kind == "oci":
            reference = f"oci://{endpoint.split('://', 1)[-1]}/{layer.chart}"
            chart = reference
        else:
            repositories.setdefault(registry_name, {"name": registry_name, "url": endpoint})
            chart = f"{registry_name}/{layer.chart}"
        data, problem = parse_values(layer.values_override)
        if problem is not None:
            raise ValidationError(f"The values of layer {layer.chart} have a YAML error ({problem}): fix it first.")
        count = names.get(layer.chart, 0) + 1
        names[layer.chart] = count
        release_name = layer.chart if count == 1 else f"{layer.chart}-{count}"
        release: dict[str, Any] = {
            "name": release_name,
            "namespace": layer.namespace,
            "chart": chart,
            "version": layer.version,
        }
        if data:
            release["values"] = [data]
        releases.append(release)
        priorities.append((layer.install_priority, f"{layer.namespace}/{release_name}"))
    for release, (priority, _) in zip(releases, priorities, strict=True):
        lower = [p for p, _ in priorities if p < priority]
        if lower:
            previous = max(lower)  # Palette installs the lower priorities first
            release["needs"] = [ident for p, ident in priorities if p == previous]
    document: dict[str, Any] = {}
    if repositories:
        document["repositories"] = list(repositories.values())
    document["releases"] = releases
    return document


def helmfile_text(profile: Profile, registries: dict[str, Registry]) -> str:
    header = f"# Profile {profile.name} {profile.version}, exported by Chartkeeper. No credentials are included:\n"
    header += "# log in to private repositories with `helm registry login` / helmfile's env variables.\n"
    return header + yaml.safe_dump(helmfile(profile, registries), sort_keys=False, allow_unicode=True)


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    profile: Profile
    problems: list[str]  # empty when the profile can be imported


def plan_palette_import(text: str, registries: Sequence[Registry], profile_exists: Callable[[str], bool]) -> ImportPlan:
    """Read an export; every problem is listed (unknown registries first) and nothing is imported
    unless there are none."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"The file is not JSON ({exc}).") from None
    try:
        metadata, spec = document["metadata"], document["spec"]
        packs = spec["template"]["packs"]
        if spec["template"].get("type", "add-on") not in ("add-on", "addon"):
            raise ValidationError("Only add-on cluster profiles can be imported.")
        name = validate_profile_name(str(metadata["name"]))
        version = validate_profile_version(str(spec.get("version", "1.0.0")))
        tags = validate_tags([str(t) for t in metadata.get("tags", [])])
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"The file is not a cluster profile export (missing {exc}).") from None
    by_endpoint = {public_endpoint(r.endpoint): r for r in registries}
    problems: list[str] = []
    layers: list[Layer] = []
    for number, pack in enumerate(packs, start=1):
        try:
            chart = str(pack["name"])
            version_text = validate_layer_version(str(pack.get("tag") or pack.get("version")))
            registry_info = pack["registry"]
            endpoint = public_endpoint(str(registry_info["endpoint"]))
        except (KeyError, TypeError, ValidationError) as exc:
            problems.append(f"pack {number} is incomplete or invalid ({exc}).")
            continue
        registry = by_endpoint.get(endpoint)
        if registry is None:
            problems.append(
                f"pack {chart} {version_text} needs registry '{registry_info.get('name', '?')}' at {endpoint}, "
                "which is not registered here: add it first."
            )
            continue
        override, namespace, priority = _split_pack_values(str(pack.get("values") or ""))
        layers.append(
            Layer(registry.uid, registry.name, registry.endpoint, chart, version_text, namespace, priority, override)
        )
    if profile_exists(name):
        problems.insert(0, f"A profile named '{name}' exists already: rename or delete it first.")
    profile = Profile(
        uid="",
        name=name,
        version=version,
        description=str(metadata.get("description", "")),
        tags=tags,
        layers=tuple(layers),
    )
    return ImportPlan(profile, problems)


def _split_pack_values(values: str) -> tuple[str, str, int]:
    """(override, namespace, priority) from Palette pack values."""
    data, problem = parse_values(values)
    if problem is not None or not isinstance(data, dict) or not isinstance(data.get("pack"), dict):
        return values, DEFAULT_NAMESPACE, 0
    pack = dict(data["pack"])
    namespace = validate_namespace(str(pack.pop("namespace", DEFAULT_NAMESPACE)))
    try:
        priority = int(str(pack.pop(PRIORITY_KEY, 0)))
    except ValueError:
        priority = 0
    lines = values.splitlines(keepends=True)
    header = ["pack:\n", f"  namespace: {namespace}\n", f'  {PRIORITY_KEY}: "{priority}"\n']
    if not pack and lines[:3] == header:
        return "".join(lines[3:]), namespace, priority  # exactly what we exported: keep the user's text
    rest = {k: v for k, v in data.items() if k != "pack"}
    if pack:
        rest = {"pack": pack, **rest}
    return (yaml.safe_dump(rest, sort_keys=False, allow_unicode=True) if rest else ""), namespace, priority
