"""`chartkeeper search`, `show`, `pin` and `verify`: reading the snapshots like `helm search repo`,
`helm show` and `helm verify`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.cli.arguments import keyword
from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_ERROR, EXIT_OK
from desktop.cli.output import clip, print_json, print_table
from desktop.errors import ValidationError


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.charts import search_charts
    from desktop.timefmt import iso_time

    constraint = None
    if args.version:
        from desktop.helm.versions import VersionConstraint

        constraint = VersionConstraint(args.version).validate()
    hits = search_charts(
        ctx.db, args.keyword or "", all_versions=args.versions, devel=args.devel, constraint=constraint
    )
    if args.output == "json":
        print_json(
            [
                {
                    "name": h.name,
                    "version": h.version,
                    "app_version": h.app_version,
                    "description": h.description,
                    "deprecated": h.deprecated,
                    # only versions that left their index (listed by --versions) carry the flag
                    **({"removed_upstream": iso_time(h.removed_at)} if h.removed_at is not None else {}),
                }
                for h in hits
            ]
        )
        return EXIT_OK
    if not hits:
        print("No results found")
        return EXIT_OK
    print_table(
        ["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"],
        [[h.name, h.version, h.app_version, _marks(h) + clip(h.description)] for h in hits],
    )
    return EXIT_OK


def _marks(hit: Any) -> str:
    from desktop.timefmt import local_date

    marks = "DEPRECATED " if hit.deprecated else ""
    if hit.removed_at is not None:
        marks += f"[REMOVED UPSTREAM {local_date(hit.removed_at)}] "
    return marks


def split_reference(reference: str) -> tuple[str, str]:
    registry, _, chart = reference.partition("/")
    # An OCI registry with several base paths names its charts with their path: team-a/charts/web.
    if not registry or not chart or "" in chart.split("/"):
        raise ValidationError(f"'{reference}' is not a chart reference: write it as REGISTRY/CHART.")
    if reference.strip() != reference or chart.strip() != chart or registry.strip() != registry:
        raise ValidationError(
            f"'{reference}' is not a chart reference: a name in it starts or ends with white space;"
            " write it as REGISTRY/CHART, without spaces."
        )
    return registry, chart


def cmd_show_chart(ctx: Context, args: argparse.Namespace) -> int:
    import yaml

    from desktop.catalog.charts import get_chart_version
    from desktop.catalog.registries import get_registry
    from desktop.helm.urls import resolve_chart_url

    registry_name, chart = split_reference(args.chart)
    registry = get_registry(ctx.db, registry_name)
    if not registry.sync_enabled and not args.version:
        raise ValidationError(
            f'"{registry.name}" has synchronization off: reference its charts by exact name and version (--version).'
        )
    detail = get_chart_version(ctx.db, registry, chart, args.version)
    if detail.removed_at is not None:
        from desktop.cli.output import warn
        from desktop.timefmt import local_date

        warn(
            f"{registry.name}/{chart} {detail.version} left the registry's index on {local_date(detail.removed_at)};"
            " it is kept in the snapshot."
        )
    meta = dict(detail.meta)
    meta["urls"] = [resolve_chart_url(registry.endpoint, url) for url in meta.get("urls", [])]
    sys.stdout.write(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000))
    if ctx.read_only is not None:  # judging it may fetch and keep the .prov: nothing can be kept
        print("# provenance: not checked (the catalog is read-only)")
    elif ctx.services().settings.chart_provenance != "off":
        print(f"# provenance: {_provenance_text(ctx, registry.id, chart, detail.version)}")
    return EXIT_OK


def _provenance_text(ctx: Context, registry_id: int, chart: str, version: str) -> str:
    """The verdict on a version kept here, or why there is none now (shown, never fatal)."""
    from desktop.errors import UserError
    from desktop.operations.chart_files import kept_chart_provenance

    try:
        verdict = kept_chart_provenance(ctx.services(), registry_id, chart, version)
    except UserError as exc:
        return f"not checked ({exc.message})"
    return (
        str(verdict)
        if verdict is not None
        else "not checked: the archive is not kept here (`chartkeeper verify` checks it)"
    )


def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    """Like `helm verify`: the version's .prov against the trusted keys; exit 1 unless verified."""
    from desktop.operations.chart_files import chart_provenance

    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    verdict = chart_provenance(ctx.services(), registry.id, chart, version)
    print(f"{registry.name}/{chart} {version}: {verdict}")
    return EXIT_OK if verdict.verified else EXIT_ERROR


def _resolve_version(ctx: Context, reference: str, version: str | None) -> tuple[Any, str, str]:
    """Registry, chart and exact version: the one given (checked by the operation, which also finds
    kept archives of versions that left the index), else the latest stable one in the snapshot."""
    from desktop.catalog.charts import get_chart_version
    from desktop.catalog.registries import get_registry
    from desktop.errors import NotFoundError

    registry_name, chart = split_reference(reference)
    registry = get_registry(ctx.db, registry_name)
    if version:
        try:
            return registry, chart, get_chart_version(ctx.db, registry, chart, version).version
        except NotFoundError:
            return registry, chart, version  # perhaps kept offline after it left the snapshot
    if not registry.sync_enabled:
        raise ValidationError(
            f'"{registry.name}" has synchronization off: reference its charts by exact name and version (--version).'
        )
    return registry, chart, get_chart_version(ctx.db, registry, chart, None).version


def cmd_show_file(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.chart_files import chart_files

    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    files = chart_files(ctx.services(), registry.id, chart, version)
    content = {"values": files.values, "readme": files.readme, "schema": files.schema}[args.show_command]
    if content is None:
        label = {"values": "values.yaml", "readme": "README", "schema": "values.schema.json"}[args.show_command]
        raise ValidationError(f"{registry.name}/{chart} {version} has no {label}.")
    if args.output != "raw" and sys.stdout.isatty():
        from desktop.cli.output import visible_controls

        content = visible_controls(content)  # a README's escape codes are shown, not run by the terminal
    sys.stdout.write(content)
    return EXIT_OK


def cmd_pin(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.chart_files import pin_version

    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    services = ctx.services()
    pin_version(services, registry.id, chart, version)
    print(f"{registry.name}/{chart} {version} is kept offline.")
    if services.settings.chart_provenance != "off":
        print(f"provenance: {_provenance_text(ctx, registry.id, chart, version)}")
    return EXIT_OK


def cmd_unpin(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.chart_files import unpin_version

    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    if unpin_version(ctx.services(), registry.id, chart, version):
        print(f"{registry.name}/{chart} {version} is no longer pinned: its cached copy may go when space is needed.")
    else:
        print(f"{registry.name}/{chart} {version} was not pinned.")
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    search = commands.add_parser(
        "search",
        parents=[common, output],
        help="search charts in the snapshots",
        description="Search chart names, descriptions and keywords of registries with synchronization on.",
    )
    search.add_argument("keyword", nargs="?", metavar="KEYWORD", type=keyword)
    search.add_argument("--versions", action="store_true", help="show every version, not only the latest")
    search.add_argument("--devel", action="store_true", help="include prereleases")
    search.add_argument("--version", metavar="CONSTRAINT", help="a version constraint such as ^1.2 or '>=1, <2'")
    search.set_defaults(handler=cmd_search)

    show = commands.add_parser("show", parents=[common], help="show a chart's metadata")
    show_commands = show.add_subparsers(dest="show_command", metavar="WHAT", required=True)
    show_chart = show_commands.add_parser("chart", parents=[common], help="the version's Chart.yaml metadata")
    show_chart.add_argument("chart", metavar="REGISTRY/CHART")
    show_chart.add_argument("--version", metavar="VERSION", help="exact version (default: latest stable)")
    show_chart.set_defaults(handler=cmd_show_chart)
    for what, text in (
        ("values", "the chart's values.yaml"),
        ("readme", "the chart's README"),
        ("schema", "the chart's values.schema.json"),
    ):
        show_file = show_commands.add_parser(what, parents=[common], help=f"{text}, exactly as in the archive")
        show_file.add_argument("chart", metavar="REGISTRY/CHART")
        show_file.add_argument("--version", metavar="VERSION", help="exact version (default: latest stable)")
        show_file.add_argument(
            "-o",
            "--output",
            choices=("text", "raw"),
            default="text",
            help="text (default): on a terminal, control characters such as ESC are shown as \\x1b, not acted on;"
            " raw: exactly as in the archive, even on a terminal (piped output always is)",
        )
        show_file.set_defaults(handler=cmd_show_file)

    pin = commands.add_parser("pin", parents=[common], help="keep a chart version's files offline")
    pin.add_argument("chart", metavar="REGISTRY/CHART")
    pin.add_argument("--version", metavar="VERSION", required=True)
    pin.set_defaults(handler=cmd_pin)

    verify = commands.add_parser(
        "verify",
        parents=[common],
        help="check a chart version's Helm provenance (.prov) against the trusted keys",
        description="Like `helm verify`: the version's provenance file, its signature by a trusted key"
        " (`chartkeeper keys import`) and the archive's sha256 it signs. Exit status 1 unless verified.",
    )
    verify.add_argument("chart", metavar="REGISTRY/CHART")
    verify.add_argument("--version", metavar="VERSION", required=True)
    verify.set_defaults(handler=cmd_verify)

    unpin = commands.add_parser("unpin", parents=[common], help="stop keeping a chart version offline")
    unpin.add_argument("chart", metavar="REGISTRY/CHART")
    unpin.add_argument("--version", metavar="VERSION", required=True)
    unpin.set_defaults(handler=cmd_unpin)
