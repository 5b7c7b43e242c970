"""`chartkeeper profile …`: list, show, export, import and delete cluster profiles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK
from desktop.cli.output import clip, print_json, print_table, warn
from desktop.errors import ValidationError

if TYPE_CHECKING:
    from desktop.operations.services import Services
    from desktop.profiles.palette_import import ImportPlan


def _services(ctx: Context) -> Services:
    return ctx.services()


def cmd_profile_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.profiles import layer_sources, list_profiles
    from desktop.profiles.health import problems

    profiles = list_profiles(ctx.db)
    rows = [(p, problems(p, layer_sources(ctx.db, p))) for p in profiles]
    if args.output == "json":
        print_json(
            [
                {
                    "name": p.name,
                    "version": p.version,
                    "description": p.description,
                    "tags": list(p.tags),
                    "layers": len(p.layers),
                    "problems": issues,
                }
                for p, issues in rows
            ]
        )
        return EXIT_OK
    if not profiles:
        print("No profiles yet: build one in the window's Profile editor, or `chartkeeper profile import FILE`.")
        return EXIT_OK
    print_table(
        ["NAME", "VERSION", "LAYERS", "HEALTH", "DESCRIPTION"],
        [
            [p.name, p.version, len(p.layers), f"{len(i)} problem(s)" if i else "ok", clip(p.description)]
            for p, i in rows
        ],
    )
    return EXIT_OK


def cmd_profile_show(ctx: Context, args: argparse.Namespace) -> int:
    import yaml

    from desktop.catalog.image_records import images_text, profile_images
    from desktop.catalog.profiles import get_profile, layer_sources
    from desktop.profiles.health import profile_health
    from desktop.profiles.variables import layer_variable_problems, shown_variable

    profile = get_profile(ctx.db, args.name)
    healths = profile_health(profile, layer_sources(ctx.db, profile))
    undefined = layer_variable_problems(profile)
    document: dict[str, Any] = {
        "name": profile.name,
        "version": profile.version,
        "description": profile.description,
        "tags": list(profile.tags),
    }
    if profile.variables:
        document["variables"] = [shown_variable(variable) for variable in profile.variables]
    document |= {
        "layers": [
            {
                "registry": layer.registry_name,
                "chart": layer.chart,
                "version": layer.version,
                "namespace": layer.namespace,
                "installPriority": layer.install_priority,
                **({"problem": health.message} if not health.ok else {}),
                **({"variableProblems": [str(p) for p in problems]} if problems else {}),
                **({"values": layer.values_override} if layer.values_override else {}),
            }
            for layer, health, problems in zip(profile.layers, healths, undefined, strict=True)
        ],
    }
    if profile.id is not None and (images := images_text(profile_images(ctx.db, profile.id))):
        document["images"] = images  # as the bundle that brought the profile lists them
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000))
    return EXIT_OK


def cmd_profile_export(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.profiles import export_profile

    path = Path(args.file) if args.file else None
    export = export_profile(_services(ctx), args.name, args.format, path, args.mirror)
    for note in export.notes:
        warn(note)
    if path is None:
        sys.stdout.write(export.text)
        for file_name in export.files:
            warn(f"{file_name} ({_what_file(file_name)}) was not written: export with -o FILE.")
        return EXIT_OK
    for written in export.written:
        print(f"wrote {written}")
    for file_name in export.files:
        if not any(w.name == file_name for w in export.written[1:]):
            warn(f"{file_name} ({_what_file(file_name)}) was not written beside {path}.")
    return EXIT_OK


def _what_file(file_name: str) -> str:
    if file_name.endswith(".gotmpl"):
        return "a layer's values with its profile variables, named by values"
    return "a registry's certificate, named by caFile"


def _mapping(plan: ImportPlan, pairs: list[str]) -> dict[int, str]:
    """--map-registry FILE_REGISTRY=REGISTRY, for every pack naming FILE_REGISTRY."""
    wanted: dict[str, str] = {}
    for pair in pairs:
        source, equals, target = pair.partition("=")
        if not equals or not source.strip() or not target.strip():
            raise ValidationError(f"--map-registry takes FILE_REGISTRY=REGISTRY, not '{clip(pair)}'.")
        wanted[source.strip().casefold()] = target.strip()
    chosen: dict[int, str] = {}
    for source, target in wanted.items():
        packs = [p.pack for p in plan.packs if p.pack.registry_name.casefold() == source]
        if not packs:
            names = sorted({p.pack.registry_name for p in plan.packs if p.pack.registry_name}) or ["none"]
            raise ValidationError(f"No pack in the file names registry '{source}' (it names: {', '.join(names)}).")
        for pack in packs:
            chosen[pack.number] = _registry_uid(plan, target, pack.kind)
    return chosen


def _registry_uid(plan: ImportPlan, name: str, kind: str) -> str:
    registry = next((r for r in plan.registries if r.name.casefold() == name.casefold()), None)
    if registry is None:
        known = ", ".join(r.name for r in plan.registries) or "none yet"
        raise ValidationError(f"There is no registry named '{name}' to map to (registered: {known}).")
    if registry.kind != kind:
        raise ValidationError(f"Registry '{registry.name}' is a {registry.kind} registry; the pack needs a {kind} one.")
    return str(registry.uid)


def cmd_profile_import(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.profiles import apply_profile_import, plan_profile_import
    from desktop.profiles.palette_import import Choices

    services = _services(ctx)
    plan = plan_profile_import(services, Path(args.file))
    choices = Choices(args.name, _mapping(plan, args.map_registry or []))
    unresolved = [p for p in plan.unresolved if p.pack.number not in choices.registries]
    name = args.name or plan.export.name
    if unresolved:
        for pack_plan in unresolved:
            print(f"  {pack_plan.problem()}", file=sys.stderr)
        example = unresolved[0].pack.registry_name or "FILE_REGISTRY"
        raise ValidationError(
            f"Nothing was imported: {len(unresolved)} pack(s) have no registry here. Add the registries "
            f"under the same names, or map them: --map-registry '{example}=REGISTRY'."
        )
    if plan.name_taken and args.name is None:
        raise ValidationError(
            f"A profile named '{name}' exists already: import it with --name NEW_NAME, or delete that one first. "
            "Nothing was imported."
        )
    return _report(apply_profile_import(services, plan, choices))


def _report(result: Any) -> int:
    for line in (*result.skipped, *result.ignored):
        warn(line)
    profile = result.profile
    variables = f" and {len(profile.variables)} variable(s)" if profile.variables else ""
    print(f'Profile "{profile.name}" {profile.version} imported with {len(profile.layers)} layers{variables}.')
    return EXIT_OK


def cmd_profile_delete(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.profiles import delete_profile_named

    profile = delete_profile_named(_services(ctx), args.name)
    print(f'Profile "{profile.name}" deleted.')
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    profile = commands.add_parser("profile", parents=[common], help="list, show, export and import profiles")
    profile_commands = profile.add_subparsers(dest="profile_command", metavar="COMMAND", required=True)
    profile_list = profile_commands.add_parser("list", aliases=["ls"], parents=[common, output], help="list profiles")
    profile_list.set_defaults(handler=cmd_profile_list)
    profile_show = profile_commands.add_parser("show", parents=[common], help="a profile with its layers")
    profile_show.add_argument("name", metavar="NAME")
    profile_show.set_defaults(handler=cmd_profile_show)
    export = profile_commands.add_parser("export", parents=[common], help="Palette JSON or helmfile.yaml")
    export.add_argument("name", metavar="NAME")
    export.add_argument("--format", choices=("palette", "helmfile"), default="palette")
    export.add_argument(
        "-o", "--output-file", dest="file", metavar="FILE", help="write here (and certificate files beside it)"
    )
    export.add_argument(
        "--mirror",
        metavar="oci://HOST/PATH",
        help="take every chart from this OCI registry (where `chartkeeper mirror` or `bundle push` put them)",
    )
    export.set_defaults(handler=cmd_profile_export)
    import_profile = profile_commands.add_parser(
        "import", parents=[common], help="import a Palette JSON export (Palette's or Chartkeeper's)"
    )
    import_profile.add_argument("file", metavar="FILE")
    import_profile.add_argument("--name", metavar="NAME", help="import under this name")
    import_profile.add_argument(
        "--map-registry",
        action="append",
        metavar="FILE_REGISTRY=REGISTRY",
        help="take the packs of the file's FILE_REGISTRY from REGISTRY here (repeatable)",
    )
    import_profile.set_defaults(handler=cmd_profile_import)
    delete = profile_commands.add_parser("delete", aliases=["rm"], parents=[common], help="delete a profile")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=cmd_profile_delete)
