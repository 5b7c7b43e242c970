"""`chartkeeper catalog …`: check the catalog file, and recover what can be read from a damaged one."""

from __future__ import annotations

import argparse
from typing import Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK
from desktop.cli.output import print_json
from desktop.errors import CatalogError


def cmd_catalog_check(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.maintenance import check_catalog, describe_check

    report = check_catalog(ctx.paths.catalog)
    if args.output == "json":
        print_json(
            {
                "path": str(report.path),
                "exists": report.exists,
                "sound": report.sound,
                "schema": report.schema_version,
                "bytes": report.size,
                "problems": report.problems,
            }
        )
    elif report.problems:
        print(f"SQLite's integrity check of {report.path} found:")
        for problem in report.problems:
            print(f"  {problem}")
    if report.exists and not report.sound:
        raise CatalogError(describe_check(report))
    if args.output != "json":
        print(describe_check(report))
    return EXIT_OK


def cmd_catalog_recover(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.maintenance import check_catalog, recover_catalog

    report = check_catalog(ctx.paths.catalog)
    if not report.exists:
        raise CatalogError(f"There is no catalog at {report.path}: nothing to recover.")
    if report.sound:
        print(f"The catalog {report.path} is sound: nothing to recover.")
        return EXIT_OK
    print(recover_catalog(ctx.paths.catalog).summary())
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    catalog = commands.add_parser("catalog", parents=[common], help="check the catalog file, or recover a damaged one")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", metavar="COMMAND", required=True)

    check = catalog_commands.add_parser(
        "check",
        parents=[common, output],
        help="run SQLite's integrity check on the catalog (exit 1 when it is damaged)",
        description="Read every page of the catalog, changing nothing, and report what SQLite finds.",
    )
    check.set_defaults(handler=cmd_catalog_check)

    recover = catalog_commands.add_parser(
        "recover",
        parents=[common],
        help="copy what can be read of a damaged catalog into a new one; the damaged file is kept beside it",
        description=(
            "Close the window first. Every table is copied as far as it can be read into a new catalog that "
            "takes the old one's place; the damaged file is renamed catalog.sqlite3.damaged-<time>, never deleted. "
            "Snapshot charts that lost rows are downloaded again at their registry's next sync."
        ),
    )
    recover.set_defaults(handler=cmd_catalog_recover)
