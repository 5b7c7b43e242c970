"""`chartkeeper registry …`: add, list, sync, remove registries, their history, and import from Helm."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from desktop.cli.access import read_password, read_token
from desktop.cli.arguments import count, days, size_mb
from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_ERROR, EXIT_OK
from desktop.cli.output import end_progress, print_json, print_table, progress_printer, warn
from desktop.errors import ValidationError
from desktop.wording import plural

CHANGES_SHOWN = 20


def cmd_registry_add(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.registry import RegistryDraft

    ca_pem = None
    if args.ca_file:
        from desktop.certificates import read_certificate_pem

        ca_pem = read_certificate_pem(Path(args.ca_file))
    oci = args.url.strip().lower().startswith("oci://")
    if (args.plain_http or args.charts or args.base_path) and not oci:
        raise ValidationError("--plain-http, --charts and --base-path are for OCI registries (oci:// endpoints).")
    if args.base_path and args.bundle:
        raise ValidationError(
            "A --bundle subscription reads one repository: give its path in the URL, not --base-path."
        )
    token = read_token(args)
    draft = RegistryDraft(
        name=args.name,
        endpoint=args.url,
        sync_enabled=not args.no_sync,
        username=args.username,
        password=token if token is not None else read_password(args),
        token_auth=token is not None,
        ca_pem=ca_pem,
        insecure_skip_tls_verify=args.insecure_skip_tls_verify,
        kind="oci" if oci else "helm",
        plain_http=args.plain_http,
        chart_names=tuple((args.charts or "").split(",")),
        base_paths=tuple(args.base_path),
    )
    show_progress = sys.stderr.isatty()
    if args.bundle:  # a subscription to the catalog `bundle push` published there
        from desktop.cli.bundle_output import subscribe_command

        return subscribe_command(ctx, draft, show_progress)
    from desktop.errors import TLSError
    from desktop.operations.registries import register_registry

    try:
        result = register_registry(ctx.services(), draft, progress=progress_printer(show_progress))
    except TLSError as exc:
        raise TLSError(exc.message + _certificate_hint(args.ca_file)) from None
    finally:
        end_progress(show_progress)
    for warning in result.warnings[:10]:
        warn(warning)
    if result.skipped > 10:
        warn(f"… and {result.skipped - 10} more invalid versions skipped")
    charts = plural(len({chart for chart, _ in result.diff.added}), "chart")
    print(
        f'"{result.registry.name}" has been added: {charts}, {plural(len(result.diff.added), "version")}'
        f"{'' if result.registry.sync_enabled else ' (synchronization off: reference charts by exact version)'}."
    )
    return EXIT_OK


def _certificate_hint(ca_file: str | None) -> str:
    """When TLS fails with a certificate file given: whether that certificate has expired (read only
    then, as reading it fully costs more than the whole check of a good one)."""
    if not ca_file:
        return ""
    from desktop.certificates import read_certificate_file

    problem = read_certificate_file(Path(ca_file)).leaf.validity_problem()
    return f" (The certificate in {ca_file} is {problem}.)" if problem else ""


def cmd_registry_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.origins import registry_origins
    from desktop.catalog.registries import summaries
    from desktop.cli.bundle_output import origin_document, origin_text
    from desktop.timefmt import iso_time, local_time

    items = summaries(ctx.db)
    origins = registry_origins(ctx.db)
    if args.output == "json":
        print_json(
            [
                {
                    "name": s.registry.name,
                    "type": s.registry.kind,
                    "url": s.registry.endpoint,
                    "base_paths": list(s.registry.base_paths),
                    "sync": s.registry.sync_enabled,
                    "auth": s.registry.auth,
                    "charts": s.chart_count,
                    "versions": s.version_count,
                    "last_sync": iso_time(s.state.last_success_at),
                    "status": _status_word(s.state),
                    "error": s.state.last_error,
                    "origin": origin_document(origins.get(s.registry.id), ctx.db),
                }
                for s in items
            ]
        )
        return EXIT_OK
    if not items:
        print("No registries yet: add one with `chartkeeper registry add NAME URL`.")
        return EXIT_OK
    print_table(
        ["NAME", "URL", "SYNC", "AUTH", "CHARTS", "LAST SYNC", "STATUS", "ORIGIN"],
        [
            [
                s.registry.name,
                s.registry.shown_endpoint,
                "on" if s.registry.sync_enabled else "off",
                {"none": "public", "basic": "private", "token": "token"}[s.registry.auth],
                s.chart_count,
                local_time(s.state.last_success_at),
                _status_text(s.state),
                origin_text(origins.get(s.registry.id), ctx.db),
            ]
            for s in items
        ],
    )
    return EXIT_OK


def _status_word(state: Any) -> str:
    if not state.last_error:
        return "ok"
    return "held" if state.last_error_kind == "held" else "failed"


def _status_text(state: Any) -> str:
    word = _status_word(state)
    return word if word == "ok" else f"{word}: {state.last_error}"


def cmd_registry_sync(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.origins import synchronized_registries
    from desktop.catalog.registries import get_registry

    registries = [get_registry(ctx.db, name) for name in args.names] if args.names else synchronized_registries(ctx.db)
    if not registries:
        print("Nothing to synchronize: no registry has synchronization on (name one to sync it anyway).")
        return EXIT_OK
    from desktop.operations.sync import sync_registry

    services = ctx.services()
    show_progress = sys.stderr.isatty() and args.output != "json"
    results = []
    for registry in registries:
        started = time.monotonic()
        try:
            result = sync_registry(
                services,
                registry.id,
                "manual",
                progress=progress_printer(show_progress),
                accept_removals=args.accept_removals,
            )
        finally:
            end_progress(show_progress)
        results.append(result)
        if args.output != "json":
            _print_sync_result(result, time.monotonic() - started)
    if args.output == "json":
        print_json(
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


def _print_sync_result(result: Any, elapsed: float) -> None:
    name = result.registry.name
    if result.status == "held":
        print(
            f'error: "{name}": held — {result.error} To apply it: chartkeeper registry sync {name} --accept-removals',
            file=sys.stderr,
        )
        return
    if not result.ok:
        print(f'error: "{name}": {result.error}', file=sys.stderr)
        return
    d = result.diff
    if result.status == "updated":
        parts = [f"{len(d.added):,} added", f"{len(d.changed):,} changed"]
        if d.removed:
            parts.append(f"{len(d.removed):,} marked removed upstream (kept: prune them with `registry prune`)")
        detail = ", ".join(parts)
    else:
        detail = "304 Not Modified" if result.http_status == 304 else "same content"
    print(f'"{name}": {result.status} ({detail}) in {elapsed:.2f} s')
    shown = 0
    for mark, keys in (("+", d.added), ("~", d.changed), ("-", d.removed)):
        for chart, version in keys:
            if shown < CHANGES_SHOWN:
                print(f"  {mark} {chart} {version}")
            shown += 1
    if shown > CHANGES_SHOWN:
        print(f"  … and {shown - CHANGES_SHOWN:,} more: chartkeeper registry history {name} --changes")
    for warning in result.warnings[:10]:
        warn(f"{name}: {warning}")


def cmd_registry_prune(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry
    from desktop.operations.prune import prune_registry

    registry = get_registry(ctx.db, args.name)
    count = prune_registry(ctx.services(), registry.id, args.older_than)
    age = f" removed more than {args.older_than:g} days ago" if args.older_than is not None else ""
    print(f'"{registry.name}": {plural(count, "version")}{age} deleted for good from the snapshot.')
    return EXIT_OK


def cmd_registry_remove(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry
    from desktop.operations.registries import remove_registry

    registry = remove_registry(ctx.services(), get_registry(ctx.db, args.name).id)
    print(f'"{registry.name}" has been removed, with its snapshot and sync history.')
    return EXIT_OK


def cmd_registry_history(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.registries import get_registry
    from desktop.catalog.sync_records import list_runs, run_changes
    from desktop.timefmt import iso_time, local_time

    registry = get_registry(ctx.db, args.name)
    runs = list_runs(ctx.db, registry.id, args.limit)
    if args.output == "json":
        print_json(
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
    print_table(
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
    from desktop.helm.repositories_file import default_repositories_file
    from desktop.operations.helm_import import import_from_helm

    path = Path(args.file) if args.file else default_repositories_file()
    outcomes = import_from_helm(ctx.services(), path)
    if args.output == "json":
        print_json([vars(o) for o in outcomes])
    elif outcomes:
        print_table(["NAME", "URL", "RESULT", "DETAIL"], [[o.name, o.url, o.status, o.detail] for o in outcomes])
    else:
        print(f"{path} lists no repositories.")
    return EXIT_OK if all(o.status != "failed" for o in outcomes) else EXIT_ERROR


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
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
    login = add.add_mutually_exclusive_group()
    login.add_argument("--username", help="registry username (omit for No Authentication)")
    login.add_argument(
        "--token-stdin",
        action="store_true",
        help="read a token from standard input, sent as `Authorization: Bearer` (instead of a username)",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--ca-file", metavar="FILE", help="the registry's X509 certificate (PEM or DER)")
    add.add_argument("--insecure-skip-tls-verify", action="store_true", help="skip the server certificate check")
    add.add_argument(
        "--no-sync",
        action="store_true",
        help="synchronization off: still connects once now, to check the endpoint and take the snapshot that is"
        " kept; never synced unasked after that; charts referenced by exact version",
    )
    add.add_argument("--max-index-size", type=size_mb, metavar="MB", help="largest index to accept (default 100)")
    add.add_argument("--plain-http", action="store_true", help="OCI: talk plain HTTP, without TLS (like helm)")
    add.add_argument(
        "--charts",
        metavar="NAMES",
        help="OCI: comma-separated chart names, when the registry does not list its repositories",
    )
    add.add_argument(
        "--base-path",
        action="append",
        default=[],
        metavar="PATH",
        help="OCI: a repository path on the host whose charts to read (repeat for several; charts are then"
        " named with their path, such as team-a/charts/web)",
    )
    add.add_argument(
        "--bundle",
        action="store_true",
        help="OCI: subscribe to the catalog `bundle push` published there; its sync imports the newest one",
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
    sync.add_argument("--max-index-size", type=size_mb, metavar="MB", help="largest index to accept (default 100)")
    sync.add_argument(
        "--accept-removals",
        action="store_true",
        help="apply a sync that removes many versions at once (one held as a possible truncated download)",
    )
    sync.set_defaults(handler=cmd_registry_sync)

    prune = registry_commands.add_parser(
        "prune",
        parents=[common],
        help="delete for good the versions that left a registry's index",
        description="Versions removed upstream stay in the snapshot, marked, until pruned.",
    )
    prune.add_argument("name", metavar="NAME")
    prune.add_argument("--older-than", type=days, metavar="DAYS", help="only those removed more than DAYS ago")
    prune.set_defaults(handler=cmd_registry_prune)

    remove = registry_commands.add_parser(
        "remove", aliases=["rm"], parents=[common], help="remove a registry with its snapshot"
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=cmd_registry_remove)

    history = registry_commands.add_parser("history", parents=[common, output], help="show a registry's sync runs")
    history.add_argument("name", metavar="NAME")
    history.add_argument("--limit", type=count, default=20, help="how many runs (default 20)")
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
