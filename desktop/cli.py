"""Headless commands shaped like Helm's: registries, sync, search and chart metadata over the catalog."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.errors import UserError, ValidationError
from desktop.paths import AppPaths, resolve_paths

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
DESCRIPTION_WIDTH = 50
log = logging.getLogger("desktop.cli")


class Context:
    """What a command needs, built on first use so that read-only commands stay fast."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths: AppPaths = resolve_paths(args.home).ensure()
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            from desktop.catalog.db import open_catalog

            self._db = open_catalog(self.paths.catalog)
        return self._db

    def engine(self) -> Any:
        from desktop.catalog.settings_store import load_settings
        from desktop.catalog.sync_records import mark_interrupted_runs
        from desktop.secrets import CredentialStore
        from desktop.sync.engine import SyncEngine

        mark_interrupted_runs(self.db)  # runs a killed process left 'running'

        settings = load_settings(self.db)
        network = settings.network()
        if getattr(self.args, "max_index_size", None):
            from dataclasses import replace

            network = replace(network, max_index_bytes=int(self.args.max_index_size * 1024 * 1024))
        return SyncEngine(self.db, CredentialStore(), network)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


# --- output ------------------------------------------------------------------------------------


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("\t".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _clip(text: str, width: int = DESCRIPTION_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# --- registry commands -------------------------------------------------------------------------


def _read_password(args: argparse.Namespace) -> str | None:
    if not args.username:
        if args.password_stdin:
            raise ValidationError("--password-stdin needs --username.")
        return None
    if args.password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
        if not password:
            raise ValidationError("No password arrived on standard input.")
        return password
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {args.username}: ")
    raise ValidationError("Give the password on standard input with --password-stdin (never as an argument).")


def _progress_printer(enabled: bool) -> Callable[[str, int, int | None], None] | None:
    if not enabled:
        return None
    last = [0.0]

    def report(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase == "download" and now - last[0] < 0.2:
            return
        last[0] = now
        amount = f"{done / 1048576:.1f} MB" + (f" of {total / 1048576:.1f} MB" if total else "")
        label = {
            "download": f"downloading index… {amount}",
            "parse": "reading index…",
            "write": "saving snapshot…",
        }.get(phase, phase)
        print(f"\r\033[K{label}", end="", file=sys.stderr, flush=True)

    return report


def _end_progress(enabled: bool) -> None:
    if enabled:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def cmd_registry_add(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.registry import RegistryDraft

    ca_pem = None
    if args.ca_file:
        from desktop.certificates import read_certificate_file

        bundle = read_certificate_file(Path(args.ca_file))
        ca_pem = bundle.pem
        problem = bundle.leaf.validity_problem()
        if problem:
            _warn(f"the certificate in {args.ca_file} is {problem}")
    oci = args.url.strip().lower().startswith("oci://")
    if (args.plain_http or args.charts) and not oci:
        raise ValidationError("--plain-http and --charts are for OCI registries (oci:// endpoints).")
    draft = RegistryDraft(
        name=args.name,
        endpoint=args.url,
        sync_enabled=not args.no_sync,
        username=args.username,
        password=_read_password(args),
        ca_pem=ca_pem,
        insecure_skip_tls_verify=args.insecure_skip_tls_verify,
        kind="oci" if oci else "helm",
        plain_http=args.plain_http,
        chart_names=tuple((args.charts or "").split(",")),
    )
    show_progress = sys.stderr.isatty()
    try:
        result = ctx.engine().register(draft, progress=_progress_printer(show_progress))
    finally:
        _end_progress(show_progress)
    for warning in result.warnings[:10]:
        _warn(warning)
    if result.skipped > 10:
        _warn(f"… and {result.skipped - 10} more invalid versions skipped")
    charts = len({chart for chart, _ in result.diff.added})
    print(
        f'"{result.registry.name}" has been added: {charts} charts, {len(result.diff.added)} versions'
        f"{'' if result.registry.sync_enabled else ' (synchronization off: reference charts by exact version)'}."
    )
    return EXIT_OK


def cmd_registry_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import summaries
    from desktop.timefmt import iso_time, local_time

    items = summaries(ctx.db)
    if args.output == "json":
        _print_json(
            [
                {
                    "name": s.registry.name,
                    "type": s.registry.kind,
                    "url": s.registry.endpoint,
                    "sync": s.registry.sync_enabled,
                    "auth": "basic" if s.registry.is_private else "none",
                    "charts": s.chart_count,
                    "versions": s.version_count,
                    "last_sync": iso_time(s.state.last_success_at),
                    "status": "failed" if s.state.last_error else "ok",
                    "error": s.state.last_error,
                }
                for s in items
            ]
        )
        return EXIT_OK
    if not items:
        print("No registries yet: add one with `chartkeeper registry add NAME URL`.")
        return EXIT_OK
    _print_table(
        ["NAME", "URL", "SYNC", "AUTH", "CHARTS", "LAST SYNC", "STATUS"],
        [
            [
                s.registry.name,
                s.registry.endpoint,
                "on" if s.registry.sync_enabled else "off",
                "private" if s.registry.is_private else "public",
                s.chart_count,
                local_time(s.state.last_success_at),
                "failed: " + s.state.last_error if s.state.last_error else "ok",
            ]
            for s in items
        ],
    )
    return EXIT_OK


def cmd_registry_sync(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry, list_registries

    registries = (
        [get_registry(ctx.db, name) for name in args.names]
        if args.names
        else [r for r in list_registries(ctx.db) if r.sync_enabled]
    )
    if not registries:
        print("Nothing to synchronize: no registry has synchronization on (name one to sync it anyway).")
        return EXIT_OK
    engine = ctx.engine()
    show_progress = sys.stderr.isatty() and args.output != "json"
    results = []
    for registry in registries:
        started = time.monotonic()
        try:
            result = engine.sync(registry, "manual", progress=_progress_printer(show_progress))
        finally:
            _end_progress(show_progress)
        results.append(result)
        if args.output == "json":
            continue
        elapsed = time.monotonic() - started
        if result.ok:
            d = result.diff
            detail = (
                f"+{len(d.added)} -{len(d.removed)} ~{len(d.changed)}"
                if result.status == "updated"
                else ("304 Not Modified" if result.http_status == 304 else "same content")
            )
            print(f'"{registry.name}": {result.status} ({detail}) in {elapsed:.2f} s')
            for warning in result.warnings[:10]:
                _warn(f"{registry.name}: {warning}")
        else:
            print(f'error: "{registry.name}": {result.error}', file=sys.stderr)
    if args.output == "json":
        _print_json(
            [
                {
                    "name": r.registry.name,
                    "status": r.status,
                    "http_status": r.http_status,
                    "bytes": r.bytes,
                    "added": len(r.diff.added),
                    "removed": len(r.diff.removed),
                    "changed": len(r.diff.changed),
                    "error": r.error,
                }
                for r in results
            ]
        )
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


def cmd_registry_remove(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry

    registry = get_registry(ctx.db, args.name)
    ctx.engine().remove(registry)
    print(f'"{registry.name}" has been removed, with its snapshot and sync history.')
    return EXIT_OK


def cmd_registry_history(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry
    from desktop.catalog.sync_records import list_runs, run_changes
    from desktop.timefmt import iso_time, local_time

    registry = get_registry(ctx.db, args.name)
    runs = list_runs(ctx.db, registry.id, args.limit)
    if args.output == "json":
        _print_json(
            [
                {
                    "started": iso_time(run.started_at),
                    "finished": iso_time(run.finished_at),
                    "status": run.status,
                    "trigger": run.trigger,
                    "http_status": run.http_status,
                    "bytes": run.bytes,
                    "added": run.added,
                    "removed": run.removed,
                    "changed": run.changed,
                    "skipped": run.skipped,
                    "error": run.error,
                    "changes": [
                        {"change": change, "chart": chart, "version": version}
                        for change, chart, version in run_changes(ctx.db, run.id)
                    ]
                    if args.changes
                    else None,
                }
                for run in runs
            ]
        )
        return EXIT_OK
    if not runs:
        print(f'"{registry.name}" has no sync history yet.')
        return EXIT_OK
    _print_table(
        ["STARTED", "TRIGGER", "STATUS", "HTTP", "BYTES", "ADDED", "REMOVED", "CHANGED", "ERROR"],
        [
            [
                local_time(run.started_at),
                run.trigger,
                run.status,
                run.http_status or "",
                run.bytes,
                run.added,
                run.removed,
                run.changed,
                run.error or "",
            ]
            for run in runs
        ],
    )
    if args.changes:
        for run in runs:
            changes = run_changes(ctx.db, run.id)
            if changes:
                print(f"\n{local_time(run.started_at)}:")
                for change, chart, version in changes:
                    print(f"  {'+' if change == 'added' else '-' if change == 'removed' else '~'} {chart} {version}")
    return EXIT_OK


def cmd_registry_import_helm(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import list_registries
    from desktop.helm.repositories_file import default_repositories_file, read_repositories_file
    from desktop.sync.helm_import import outcome_of, plan_import

    path = Path(args.file) if args.file else default_repositories_file()
    repositories = read_repositories_file(path)
    engine = ctx.engine()
    plans = plan_import(repositories, {r.name for r in list_registries(ctx.db)}, path.parent)
    outcomes = []
    for plan in plans:
        if plan.draft is None:
            assert plan.outcome is not None
            outcomes.append(plan.outcome)
            continue
        try:
            result = engine.register(plan.draft)
        except UserError as exc:
            outcomes.append(outcome_of(plan, exc))
        else:
            outcomes.append(outcome_of(plan, None, len(result.diff.added)))
    if args.output == "json":
        _print_json([vars(o) for o in outcomes])
    elif outcomes:
        _print_table(["NAME", "URL", "RESULT", "DETAIL"], [[o.name, o.url, o.status, o.detail] for o in outcomes])
    else:
        print(f"{path} lists no repositories.")
    return EXIT_OK if all(o.status != "failed" for o in outcomes) else EXIT_ERROR


# --- search and show ---------------------------------------------------------------------------


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.charts import search_charts

    constraint = None
    if args.version:
        from desktop.helm.versions import VersionConstraint

        constraint = VersionConstraint(args.version).validate()
    hits = search_charts(
        ctx.db, args.keyword or "", all_versions=args.versions, devel=args.devel, constraint=constraint
    )
    if args.output == "json":
        _print_json(
            [
                {
                    "name": h.name,
                    "version": h.version,
                    "app_version": h.app_version,
                    "description": h.description,
                    "deprecated": h.deprecated,
                }
                for h in hits
            ]
        )
        return EXIT_OK
    if not hits:
        print("No results found")
        return EXIT_OK
    _print_table(
        ["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"],
        [
            [h.name, h.version, h.app_version, ("DEPRECATED " if h.deprecated else "") + _clip(h.description)]
            for h in hits
        ],
    )
    return EXIT_OK


def _split_reference(reference: str) -> tuple[str, str]:
    registry, _, chart = reference.partition("/")
    if not registry or not chart or "/" in chart:
        raise ValidationError(f"'{reference}' is not a chart reference: write it as REGISTRY/CHART.")
    return registry, chart


def cmd_show_chart(ctx: Context, args: argparse.Namespace) -> int:
    import yaml

    from desktop.catalog.charts import get_chart_version
    from desktop.catalog.registries import get_registry
    from desktop.helm.urls import resolve_chart_url

    registry_name, chart = _split_reference(args.chart)
    registry = get_registry(ctx.db, registry_name)
    if not registry.sync_enabled and not args.version:
        raise ValidationError(
            f'"{registry.name}" has synchronization off: reference its charts by exact name and version (--version).'
        )
    detail = get_chart_version(ctx.db, registry, chart, args.version)
    meta = dict(detail.meta)
    meta["urls"] = [resolve_chart_url(registry.endpoint, url) for url in meta.get("urls", [])]
    sys.stdout.write(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000))
    return EXIT_OK


def cmd_install_desktop_entry(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.desktop_entry import install_desktop_entry

    prefix = Path(args.prefix) if args.prefix else Path.home() / ".local" / "share"
    for path in install_desktop_entry(prefix):
        print(f"wrote {path}")
    return EXIT_OK


def _content(ctx: Context) -> Any:
    from desktop.catalog.settings_store import load_settings
    from desktop.secrets import CredentialStore
    from desktop.sync.chart_content import ChartContent

    return ChartContent(ctx.db, CredentialStore(), load_settings(ctx.db).network())


def _resolve_version(ctx: Context, reference: str, version: str | None) -> tuple[Any, str, str]:
    from desktop.catalog.charts import get_chart_version
    from desktop.catalog.registries import get_registry

    registry_name, chart = _split_reference(reference)
    registry = get_registry(ctx.db, registry_name)
    if not registry.sync_enabled and not version:
        raise ValidationError(
            f'"{registry.name}" has synchronization off: reference its charts by exact name and version (--version).'
        )
    return registry, chart, get_chart_version(ctx.db, registry, chart, version).version


def cmd_show_file(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.archives import ChartRef, cached_archive
    from desktop.catalog.registries import get_registry
    from desktop.errors import NotFoundError
    from desktop.helm.chart_archive import read_chart_files

    try:
        registry, chart, version = _resolve_version(ctx, args.chart, args.version)
        files = _content(ctx).files(registry, chart, version)
    except NotFoundError:
        # A kept (pinned) version still reads after it has left the registry's index.
        registry_name, chart = _split_reference(args.chart)
        registry = get_registry(ctx.db, registry_name)
        cached = cached_archive(ctx.db, ChartRef(registry.uid, chart, args.version or ""))
        if cached is None:
            raise
        version, files = args.version, read_chart_files(cached)
    content = {"values": files.values, "readme": files.readme, "schema": files.schema}[args.show_command]
    if content is None:
        label = {"values": "values.yaml", "readme": "README", "schema": "values.schema.json"}[args.show_command]
        raise ValidationError(f"{registry.name}/{chart} {version} has no {label}.")
    sys.stdout.write(content)
    return EXIT_OK


def cmd_pin(ctx: Context, args: argparse.Namespace) -> int:
    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    _content(ctx).pin(registry, chart, version)
    print(f"{registry.name}/{chart} {version} is kept offline.")
    return EXIT_OK


def _registries_by_uid(ctx: Context) -> dict[str, Any]:
    from desktop.catalog.registries import list_registries

    return {registry.uid: registry for registry in list_registries(ctx.db)}


def cmd_profile_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.profiles import list_profiles
    from desktop.profiles.health import problems

    profiles = list_profiles(ctx.db)
    rows = [(p, problems(ctx.db, p)) for p in profiles]
    if args.output == "json":
        _print_json(
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
    _print_table(
        ["NAME", "VERSION", "LAYERS", "HEALTH", "DESCRIPTION"],
        [
            [p.name, p.version, len(p.layers), f"{len(i)} problem(s)" if i else "ok", _clip(p.description)]
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


# --- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="keep all state under DIR (default: $CHARTKEEPER_HOME, or the platform's folders)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", choices=("table", "json"), default="table", help="output format")

    parser = argparse.ArgumentParser(
        prog="chartkeeper",
        parents=[common],
        description="Offline catalog of Helm chart registries. With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"chartkeeper {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    registry = commands.add_parser("registry", parents=[common], help="add, list, sync and remove registries")
    registry_commands = registry.add_subparsers(dest="registry_command", metavar="COMMAND", required=True)

    add = registry_commands.add_parser(
        "add",
        parents=[common],
        help="register a Helm repository",
        description="Check the endpoint and credentials and take the first snapshot.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("url", metavar="URL")
    add.add_argument("--username", help="registry username (omit for No Authentication)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--ca-file", metavar="FILE", help="the registry's X509 certificate (PEM or DER)")
    add.add_argument("--insecure-skip-tls-verify", action="store_true", help="skip the server certificate check")
    add.add_argument(
        "--no-sync",
        action="store_true",
        help="synchronization off: keep only this snapshot; charts referenced by exact version",
    )
    add.add_argument("--max-index-size", type=float, metavar="MB", help="largest index to accept (default 100)")
    add.add_argument("--plain-http", action="store_true", help="OCI: talk plain HTTP, without TLS (like helm)")
    add.add_argument(
        "--charts",
        metavar="NAMES",
        help="OCI: comma-separated chart names, when the registry does not list its repositories",
    )
    add.set_defaults(handler=cmd_registry_add)

    listing = registry_commands.add_parser("list", aliases=["ls"], parents=[common, output], help="list registries")
    listing.set_defaults(handler=cmd_registry_list)

    sync = registry_commands.add_parser(
        "sync",
        aliases=["update"],
        parents=[common, output],
        help="refresh snapshots (all with synchronization on, or those named)",
    )
    sync.add_argument("names", nargs="*", metavar="NAME")
    sync.add_argument("--max-index-size", type=float, metavar="MB", help="largest index to accept (default 100)")
    sync.set_defaults(handler=cmd_registry_sync)

    remove = registry_commands.add_parser(
        "remove", aliases=["rm"], parents=[common], help="remove a registry with its snapshot"
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=cmd_registry_remove)

    history = registry_commands.add_parser("history", parents=[common, output], help="show a registry's sync runs")
    history.add_argument("name", metavar="NAME")
    history.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    history.add_argument("--changes", action="store_true", help="list the chart versions each run changed")
    history.set_defaults(handler=cmd_registry_history)

    import_helm = registry_commands.add_parser(
        "import-helm",
        parents=[common, output],
        help="add the repositories Helm knows (repositories.yaml)",
        description="Register each repository of Helm's repositories.yaml, checked like a new registry.",
    )
    import_helm.add_argument("file", nargs="?", metavar="FILE", help="default: Helm's own repositories.yaml")
    import_helm.set_defaults(handler=cmd_registry_import_helm)

    search = commands.add_parser(
        "search",
        parents=[common, output],
        help="search charts in the snapshots",
        description="Search chart names, descriptions and keywords of registries with synchronization on.",
    )
    search.add_argument("keyword", nargs="?", metavar="KEYWORD")
    search.add_argument("--versions", action="store_true", help="show every version, not only the latest")
    search.add_argument("--devel", action="store_true", help="include prereleases")
    search.add_argument("--version", metavar="CONSTRAINT", help="a version constraint such as ^1.2 or '>=1, <2'")
    search.set_defaults(handler=cmd_search)

    entry = commands.add_parser(
        "install-desktop-entry",
        parents=[common],
        help="add Chartkeeper to the desktop's application menu",
        description="Write chartkeeper.desktop and the icon under ~/.local/share (or --prefix).",
    )
    entry.add_argument("--prefix", metavar="DIR", help="instead of ~/.local/share (e.g. /usr/share)")
    entry.set_defaults(handler=cmd_install_desktop_entry)

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
        show_file.set_defaults(handler=cmd_show_file)

    pin = commands.add_parser("pin", parents=[common], help="keep a chart version's files offline")
    pin.add_argument("chart", metavar="REGISTRY/CHART")
    pin.add_argument("--version", metavar="VERSION", required=True)
    pin.set_defaults(handler=cmd_pin)

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
    return parser


@contextlib.contextmanager
def _file_logging(paths: AppPaths) -> Iterator[None]:
    from desktop.logs import configure_logging

    configure_logging(paths.log_file)
    yield


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "home"):
        args.home = None
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    ctx: Context | None = None
    try:
        ctx = Context(args)
        with _file_logging(ctx.paths):
            return int(args.handler(ctx, args))
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nInterrupted: nothing was half-written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: the user gets one line, the log gets the traceback
        log.exception("unexpected error in %s", args.command)
        where = ctx.paths.log_file if ctx else "the log"
        print(f"error: internal error ({type(exc).__name__}); details are in {where}", file=sys.stderr)
        return EXIT_BUG
    finally:
        if ctx is not None:
            ctx.close()
