"""`chartkeeper profile …`: list, show, export and import cluster profiles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.cli import EXIT_ERROR, EXIT_OK
from desktop.cli.context import Context
from desktop.cli.output import clip, print_json, print_table
from desktop.errors import ValidationError


def _registries_by_uid(ctx: Context) -> dict[str, Any]:
    from desktop.catalog.registries import list_registries

    return {registry.uid: registry for registry in list_registries(ctx.db)}


def cmd_profile_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.profiles import list_profiles
    from desktop.profiles.health import problems

    profiles = list_profiles(ctx.db)
    rows = [(p, problems(ctx.db, p)) for p in profiles]
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

    from desktop.catalog.profiles import get_profile
    from desktop.profiles.health import profile_health

    profile = get_profile(ctx.db, args.name)
    document = {
        "name": profile.name,
        "version": profile.version,
        "description": profile.description,
        "tags": list(profile.tags),
        "layers": [
            {
                "registry": layer.registry_name,
                "chart": layer.chart,
                "version": layer.version,
                "namespace": layer.namespace,
                "installPriority": layer.install_priority,
                **({"problem": health.message} if not health.ok else {}),
                **({"values": layer.values_override} if layer.values_override else {}),
            }
            for layer, health in zip(profile.layers, profile_health(ctx.db, profile), strict=True)
        ],
    }
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000))
    return EXIT_OK


def cmd_profile_export(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.profiles import get_profile
    from desktop.profiles.formats import helmfile_text, palette_json_text

    profile = get_profile(ctx.db, args.name)
    render = helmfile_text if args.format == "helmfile" else palette_json_text
    text = render(profile, _registries_by_uid(ctx))
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"wrote {args.file}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_profile_import(ctx: Context, args: argparse.Namespace) -> int:
    import time as clock

    from desktop.catalog.profiles import find_profile, save_profile
    from desktop.catalog.registries import list_registries
    from desktop.profiles.formats import plan_palette_import

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{args.file} cannot be read ({exc.strerror or exc}).") from None
    plan = plan_palette_import(text, list_registries(ctx.db), lambda name: find_profile(ctx.db, name) is not None)
    if plan.problems:
        for problem in plan.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"Nothing was imported ({len(plan.problems)} problem(s)).", file=sys.stderr)
        return EXIT_ERROR
    profile = save_profile(ctx.db, plan.profile, clock.time())
    print(f'Profile "{profile.name}" {profile.version} imported with {len(profile.layers)} layers.')
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
    export.add_argument("-o", "--output-file", dest="file", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=cmd_profile_export)
    import_profile = profile_commands.add_parser("import", parents=[common], help="import a Palette JSON export")
    import_profile.add_argument("file", metavar="FILE")
    import_profile.set_defaults(handler=cmd_profile_import)
