"""The user's actions on cluster profiles — save, delete, import (plan, then apply), export — each
as its steps in order, run by the CLI directly and by the window on its background worker."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.catalog import profiles as catalog
from desktop.catalog.origins import login_needed_uids
from desktop.catalog.registries import list_registries
from desktop.errors import ValidationError
from desktop.files import MIB, read_text_file, write_output_file, write_private_file
from desktop.operations.services import Services
from desktop.profiles.helmfile import helmfile_export, helmfile_notes
from desktop.profiles.model import Layer, Profile
from desktop.profiles.palette_export import palette_json_text, palette_notes
from desktop.profiles.palette_import import (
    Choices,
    ImportPlan,
    PaletteExport,
    build_profile,
    plan_import,
    read_palette_export,
)

PROFILE_FILE_LIMIT = 10 * MIB
FORMATS = ("palette", "helmfile")


@dataclass(frozen=True)
class ProfileExport:
    """What an export writes: the file itself, and the files it refers to (certificates) beside it."""

    text: str
    files: dict[str, bytes] = field(default_factory=dict)
    written: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()  # what the user must do before using it (a registry's token, …)


@dataclass(frozen=True)
class ImportResult:
    profile: Profile
    skipped: tuple[str, ...]  # packs not imported (Palette packs, manifests), one line each
    ignored: tuple[str, ...]  # what the user must know of what was kept (masked sensitive defaults)


def save_profile(services: Services, profile: Profile) -> Profile:
    """Insert or update the profile with exactly its layers, in one transaction (under chart_provenance
    require, a layer it did not have must be a chart a trusted key signed)."""
    if services.settings.chart_provenance == "require":
        before = services.catalog(catalog.get_profile_by_id, profile.id) if profile.id is not None else None
        _check_new_layers(services, profile, before.layers if before is not None else ())
    return services.catalog(catalog.save_profile, profile, services.clock())


def _check_new_layers(services: Services, profile: Profile, had: tuple[Layer, ...]) -> None:
    """Under chart_provenance require, refuse (one line) a new layer whose chart no trusted key signed."""
    from desktop.catalog.registries import find_registry_by_uid
    from desktop.operations.chart_files import check_chart_provenance

    known = {(layer.registry_uid, layer.chart, layer.version) for layer in had}
    for layer in profile.layers:
        if (layer.registry_uid, layer.chart, layer.version) in known:
            continue
        registry = services.catalog(find_registry_by_uid, layer.registry_uid)
        label = f"{layer.registry_name}/{layer.chart} {layer.version}"
        if registry is None:
            raise ValidationError(f"{label}: its registry is gone, so its provenance cannot be checked.")
        check_chart_provenance(
            services, registry.id, layer.chart, layer.version, f"using it in {profile.name}", label=label
        )


def delete_profile(services: Services, profile_id: int) -> None:
    services.catalog(catalog.delete_profile, profile_id)


def delete_profile_named(services: Services, name: str) -> Profile:
    profile = services.catalog(catalog.get_profile, name)
    delete_profile(services, profile.id or 0)
    return profile


def read_import_file(path: Path) -> PaletteExport:
    """A profile export from a file: a regular file, at most 10 MB, UTF-8 JSON."""
    return read_palette_export(read_text_file(path, PROFILE_FILE_LIMIT, "The profile file"))


def plan_profile_import(services: Services, path: Path) -> ImportPlan:
    """Read the file and match its packs to the registries here; nothing is written."""
    export = read_import_file(path)
    return services.catalog(_plan, export)


def _plan(db: sqlite3.Connection, export: PaletteExport) -> ImportPlan:
    return plan_import(
        export,
        list_registries(db),
        lambda chart, version: catalog.registries_holding(db, chart, version),
        lambda name: catalog.profile_name_taken(db, name),
    )


def apply_profile_import(services: Services, plan: ImportPlan, choices: Choices | None = None) -> ImportResult:
    """Save the planned profile with the user's choices, in one transaction; refuses with one line
    when a pack still has no registry or the name is taken."""
    if services.settings.chart_provenance == "require":
        _check_new_layers(services, build_profile(plan, choices or Choices()), ())
    profile = services.catalog(_build_and_save, plan, choices or Choices(), services.clock())
    return ImportResult(profile, plan.export.skipped, plan.export.ignored)


def _build_and_save(db: sqlite3.Connection, plan: ImportPlan, choices: Choices, now: float) -> Profile:
    plan = _plan(db, plan.export) if plan.registries != tuple(list_registries(db)) else plan  # registries changed
    profile = build_profile(plan, choices)
    if catalog.profile_name_taken(db, profile.name):
        raise ValidationError(
            f"A profile named '{profile.name}' exists already: import it under another name, or delete that one first."
        )
    return catalog.save_profile(db, profile, now)


def render_profile(services: Services, name: str, kind: str, mirror: str | None = None) -> ProfileExport:
    """The profile as Palette JSON or helmfile.yaml (with its certificate files), not yet written.
    `mirror` (oci://HOST/PATH): every chart is taken from that registry, where `mirror` pushed it."""
    if kind not in FORMATS:
        raise ValidationError(f"'{kind}' is not an export format: use palette or helmfile.")
    profile = services.catalog(catalog.get_profile, name)
    needed = services.catalog(login_needed_uids)
    registries = {r.uid: replace(r, login_needed=r.uid in needed) for r in services.catalog(list_registries)}
    if mirror is not None:
        from desktop.operations.bundle_publish import mirror_registries

        registries = mirror_registries(profile, list(registries.values()), mirror)
    if kind == "palette":
        return ProfileExport(palette_json_text(profile, registries), notes=tuple(palette_notes(profile, registries)))
    exported = helmfile_export(profile, registries, services.catalog(kept_defaults, profile))
    return ProfileExport(exported.text, exported.files, notes=tuple(helmfile_notes(profile, registries)))


def kept_defaults(db: sqlite3.Connection, profile: Profile) -> dict[int, str | None]:
    """Layer index → its chart's values.yaml from the archive kept here ('' for a chart without one),
    None where no archive is kept: the helmfile then writes only what each layer changed. No network."""
    from desktop.catalog.archives import ChartRef, cached_archive
    from desktop.errors import UserError
    from desktop.helm.chart_archive import read_chart_files

    defaults: dict[int, str | None] = {}
    for index, layer in enumerate(profile.layers):
        archive = cached_archive(db, ChartRef(layer.registry_uid, layer.chart, layer.version))
        try:
            defaults[index] = read_chart_files(archive).values or "" if archive is not None else None
        except UserError:  # a kept archive that no longer reads: as if none were kept
            defaults[index] = None
    return defaults


def write_export(export: ProfileExport, path: Path) -> ProfileExport:
    """Write the export to `path` and its files beside it (private, atomic); returns what was written."""
    write_output_file(path, export.text.encode("utf-8"))
    written = [path]
    if not path.is_file():  # a device or pipe (/dev/stdout): there is no folder to put files beside it
        return replace(export, written=tuple(written))
    for file_name, data in export.files.items():
        target = path.parent / file_name
        write_private_file(target, data)
        written.append(target)
    return replace(export, written=tuple(written))


def export_profile(
    services: Services, name: str, kind: str, path: Path | None = None, mirror: str | None = None
) -> ProfileExport:
    """Render the profile, and write it when a path is given."""
    export = render_profile(services, name, kind, mirror)
    return write_export(export, path) if path is not None else export
