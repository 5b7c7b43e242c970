"""Reading a Palette cluster profile export (Palette's own, or Chartkeeper's of any version) into an
import plan: the profile's fields, each Helm or OCI pack with the registries here that match it, and
the packs Chartkeeper cannot hold (Palette packs, manifests), named so they can be reported."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.errors import ValidationError
from desktop.profiles.model import (
    Layer,
    Profile,
    ProfileVariable,
    clip,
    validate_chart_name,
    validate_description,
    validate_layer_version,
    validate_profile_name,
    validate_profile_version,
    validate_tags,
)
from desktop.profiles.pack_values import PackSettings, split_pack_values
from desktop.profiles.palette_export import BARE_TAG
from desktop.profiles.registry_refs import public_endpoint
from desktop.profiles.variable_documents import read_palette_variables
from desktop.registry import Registry

MAX_PACKS = 500  # far beyond any real profile; keeps a hostile file's work bounded
MAX_VALUES = 2 * 1024 * 1024  # a pack's values: big charts' values.yaml are a few hundred KB


@dataclass(frozen=True)
class FilePack:
    """A Helm or OCI pack as the file has it, checked."""

    number: int  # 1-based, in the file's order
    chart: str
    version: str
    kind: str  # helm | oci
    registry_name: str  # as the file names it ("" when it names none)
    endpoint: str | None  # Chartkeeper's older exports carry one
    settings: PackSettings

    @property
    def label(self) -> str:
        return f"{self.chart} {self.version}"

    @property
    def registry_label(self) -> str:
        name = f"'{self.registry_name}'" if self.registry_name else "(unnamed)"
        return f"{name} at {self.endpoint}" if self.endpoint else f"{name} ({self.kind})"


@dataclass(frozen=True)
class PaletteExport:
    """A profile export as read from a file, before it meets the catalog."""

    name: str
    version: str
    description: str
    tags: tuple[str, ...]
    packs: tuple[FilePack, ...]
    skipped: tuple[str, ...]  # one line per pack Chartkeeper cannot import
    ignored: tuple[str, ...] = ()  # parts of the profile Chartkeeper does not keep
    variables: tuple[ProfileVariable, ...] = ()


@dataclass(frozen=True)
class PackPlan:
    pack: FilePack
    matches: tuple[Registry, ...]  # registries here that this pack names (one: settled)
    suggestions: tuple[Registry, ...] = ()  # registries of its kind whose snapshot holds the chart version

    @property
    def registry(self) -> Registry | None:
        return self.matches[0] if len(self.matches) == 1 else None

    def candidates(self, registries: Sequence[Registry]) -> list[Registry]:
        """The registries a user may choose for it: matches, then suggestions, then others of its kind."""
        ordered = [*self.matches, *self.suggestions, *(r for r in registries if r.kind == self.pack.kind)]
        return list({r.uid: r for r in ordered}.values())

    def problem(self) -> str:
        holds = f"; {', '.join(r.name for r in self.suggestions)} holds it" if self.suggestions else ""
        if not self.matches:
            return f"pack {self.pack.label}: registry {self.pack.registry_label} is not registered here{holds}"
        names = ", ".join(r.name for r in self.matches)
        return f"pack {self.pack.label}: registry {self.pack.registry_label} matches several registries ({names})"


@dataclass(frozen=True)
class ImportPlan:
    export: PaletteExport
    packs: tuple[PackPlan, ...]
    registries: tuple[Registry, ...]  # every registry here, for choosing
    name_taken: bool = False

    @property
    def unresolved(self) -> list[PackPlan]:
        return [plan for plan in self.packs if plan.registry is None]

    @property
    def skipped(self) -> tuple[str, ...]:
        return self.export.skipped


@dataclass(frozen=True)
class Choices:
    """What the user settled: another name, and registries for packs (by pack number → registry uid)."""

    name: str | None = None
    registries: Mapping[int, str] = field(default_factory=dict)


# --- reading the file ---------------------------------------------------------------------------


def read_palette_export(text: str) -> PaletteExport:
    """The export's profile and packs; anything malformed is one ValidationError naming it."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValidationError("The file nests its JSON too deeply to be a profile export.") from None
    except ValueError as exc:
        raise ValidationError(f"The file is not JSON ({clip(str(exc), 100)}).") from None
    root = _mapping(document, "the file", "a cluster profile export (a JSON object)")
    meta = _mapping(root.get("metadata"), "'metadata'", "an object with the profile's name")
    spec = _mapping(root.get("spec", {}), "'spec'", "an object")
    template = _mapping(spec.get("template"), "'spec.template'", "an object with the profile's packs")
    packs = template.get("packs")
    if not isinstance(packs, list):
        raise ValidationError(f"'spec.template.packs' is {_what(packs)}, not a list of packs: this is not a profile.")
    if len(packs) > MAX_PACKS:
        raise ValidationError(f"The file has {len(packs)} packs; a profile export has at most {MAX_PACKS}.")
    name = validate_profile_name(_text(meta.get("name"), "the profile's name"))
    version = validate_profile_version(_text(spec.get("version", ""), "the profile's version"))
    description = validate_description(_text(meta.get("description", ""), "the profile's description"))
    tags = validate_tags(_tags(meta))
    read: list[FilePack] = []
    skipped: list[str] = []
    for number, pack in enumerate(packs, start=1):
        outcome = _read_pack(number, pack)
        if isinstance(outcome, str):
            skipped.append(outcome)
        else:
            read.append(outcome)
    variables = read_palette_variables(spec.get("variables"))
    ignored = tuple(
        f"variable {variable.name}: its sensitive default was masked by the export; set it before deploying"
        for variable in variables
        if variable.masked_default
    )
    if packs and not read:
        raise ValidationError(
            f"Nothing to import: none of the file's {len(packs)} pack(s) is a Helm chart ({'; '.join(skipped)[:300]})."
        )
    return PaletteExport(name, version, description, tags, tuple(read), tuple(skipped), ignored, variables)


def _what(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}.get(
        type(value), "something else"
    )


def _mapping(value: object, where: str, expected: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        shown = f"{where[0].upper()}{where[1:]}"
        raise ValidationError(f"{shown} is {_what(value)}, not {expected}: this is not a profile.")
    return value


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what[0].upper()}{what[1:]} is {_what(value)}, not text.")
    return value


def _tags(meta: dict[str, Any]) -> list[str]:
    """Palette's labels (a map), or the tags list of Chartkeeper's older exports."""
    labels = meta.get("labels")
    if isinstance(labels, dict):
        return [
            str(key) if value == BARE_TAG else f"{key}:{_text(value, f'the value of label {clip(str(key))}')}"
            for key, value in labels.items()
        ]
    if labels is not None:
        raise ValidationError(f"'metadata.labels' is {_what(labels)}, not an object of labels.")
    tags = meta.get("tags", [])
    if isinstance(tags, str):  # one string: comma-separated, as typed in the editor
        return tags.split(",")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError(f"'metadata.tags' is {_what(tags)}, not a list of tags.")
    return list(tags)


def _read_pack(number: int, pack: object) -> FilePack | str:
    """A Helm or OCI pack; or, for a pack Chartkeeper cannot hold, one line saying so."""
    if not isinstance(pack, dict):
        raise ValidationError(f"Pack {number} is {_what(pack)}, not an object.")
    chart_text = _text(pack.get("name"), f"the name of pack {number}")
    where = f"Pack {number} ({clip(chart_text, 40) or 'unnamed'})"
    pack_type = _text(pack.get("type"), f"the type of {where}").strip().lower()
    registry = pack.get("registry")
    if registry is not None and not isinstance(registry, dict):
        raise ValidationError(f"The registry of {where} is {_what(registry)}, not an object.")
    registry = registry or {}
    metadata = registry.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError(f"The registry metadata of {where} is {_what(metadata)}, not an object.")
    metadata = metadata or {}
    registry_kind = _text(metadata.get("kind"), f"the registry kind of {where}").strip().lower()
    provider = _text(metadata.get("providerType"), f"the registry provider of {where}").strip().lower()
    endpoint_text = _text(registry.get("endpoint"), f"the registry endpoint of {where}").strip()
    shown = f"{clip(chart_text, 40) or 'pack ' + str(number)}"
    if pack_type == "spectro" or registry_kind == "pack":
        return f"{shown} is a Palette pack, not a Helm chart: not imported"
    if pack_type == "manifest":
        return f"{shown} is a manifest layer, not a Helm chart: not imported"
    if pack_type not in ("", "helm", "oci"):
        return f"{shown} is a pack of type '{clip(pack_type, 20)}', not a Helm chart: not imported"
    if provider in ("pack", "zarf"):
        what = "a Palette pack" if provider == "pack" else "a Zarf package"
        return f"{shown} is {what} in an OCI registry, not a Helm chart: not imported"
    if registry_kind in ("helm", "oci"):
        kind = registry_kind
    elif endpoint_text:
        kind = "oci" if endpoint_text.lower().startswith("oci://") else "helm"
    else:
        kind = pack_type or "helm"
    try:
        chart = validate_chart_name(chart_text, oci=kind == "oci")
        version_value = pack.get("tag") or pack.get("version")
        version = validate_layer_version(_text(version_value, f"the version of {where}"))
        endpoint = public_endpoint(endpoint_text) if endpoint_text else None
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc.message}") from None
    registry_name = _text(metadata.get("name", registry.get("name")), f"the registry name of {where}").strip()
    values = _text(pack.get("values"), f"the values of {where}")
    if len(values) > MAX_VALUES:
        raise ValidationError(f"{where}: its values are {len(values):,} characters long; the limit is 2 MB.")
    settings = split_pack_values(values, where)
    return FilePack(number, chart, version, kind, clip(registry_name, 128), endpoint, settings)


# --- meeting the catalog ------------------------------------------------------------------------


def plan_import(
    export: PaletteExport,
    registries: Sequence[Registry],
    holders: Callable[[str, str], set[str]],
    name_taken: Callable[[str], bool],
) -> ImportPlan:
    """Match each pack to the registries here: by endpoint when the file has one (then by name among
    several), else by name and kind as Palette does. `holders(chart, version)` gives the uids of
    registries whose snapshot holds that version, offered for packs that match none."""
    plans = []
    for pack in export.packs:
        matches = _matches(pack, registries)
        suggestions: tuple[Registry, ...] = ()
        if len(matches) != 1:
            held = holders(pack.chart, pack.version)
            suggestions = tuple(r for r in registries if r.uid in held and r.kind == pack.kind)
        plans.append(PackPlan(pack, tuple(matches), suggestions))
    return ImportPlan(export, tuple(plans), tuple(registries), name_taken(export.name))


def _matches(pack: FilePack, registries: Sequence[Registry]) -> list[Registry]:
    same_kind = [r for r in registries if r.kind == pack.kind]
    named = [r for r in same_kind if r.name.casefold() == pack.registry_name.casefold()]
    if pack.endpoint is not None:
        at_endpoint = [r for r in same_kind if _endpoint(r) == pack.endpoint or _base_path(r, pack) is not None]
        if at_endpoint:
            both = [r for r in at_endpoint if r in named]
            return both if len(both) == 1 else at_endpoint
    return named


def _base_path(registry: Registry, pack: FilePack) -> str | None:
    """The base path of `registry` the pack's endpoint names (oci://HOST/team-b/charts), if any."""
    host = _endpoint(registry)
    if not registry.base_paths or pack.endpoint is None or host is None or "/" in pack.chart:
        return None
    path = pack.endpoint.removeprefix(host + "/") if pack.endpoint.startswith(host + "/") else None
    return path if path in registry.base_paths else None


def pack_chart(registry: Registry, pack: FilePack) -> str:
    """The pack's chart as `registry` names it: under one of its base paths, with that path."""
    path = _base_path(registry, pack)
    return pack.chart if path is None else f"{path}/{pack.chart}"


def _endpoint(registry: Registry) -> str | None:
    try:
        return public_endpoint(registry.endpoint)
    except ValidationError:
        return None


def build_profile(plan: ImportPlan, choices: Choices) -> Profile:
    """The profile to save: every pack with its registry (settled, or chosen); refuses with one line
    when a pack has none or a choice is not a registry of the pack's kind."""
    by_uid = {r.uid: r for r in plan.registries}
    layers = []
    unresolved = []
    for pack_plan in plan.packs:
        pack = pack_plan.pack
        chosen = choices.registries.get(pack.number)
        registry = by_uid.get(chosen) if chosen is not None else pack_plan.registry
        if chosen is not None and (registry is None or registry.kind != pack.kind):
            wanted = "an OCI" if pack.kind == "oci" else "a Helm"
            raise ValidationError(f"The registry chosen for {pack.label} is gone or not {wanted} registry.")
        if registry is None:
            unresolved.append(pack_plan)
            continue
        settings = pack.settings
        layers.append(
            Layer(
                registry.uid,
                registry.name,
                registry.endpoint,
                validate_chart_name(pack_chart(registry, pack), oci=registry.is_oci),
                pack.version,
                settings.namespace,
                settings.priority,
                settings.override,
            )
        )
    if unresolved:
        raise ValidationError(f"{len(unresolved)} pack(s) have no registry here: {unresolved[0].problem()}.")
    export = plan.export
    name = validate_profile_name(choices.name) if choices.name is not None else export.name
    return Profile("", name, export.version, export.description, export.tags, tuple(layers), variables=export.variables)
