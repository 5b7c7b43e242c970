"""`chartkeeper cache`: how much the kept chart archives take, and clearing what no profile uses."""

from __future__ import annotations

import argparse
from typing import Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK
from desktop.cli.output import print_json, print_table
from desktop.wording import human_size


def cmd_cache_show(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.archives import cache_usage

    usage = cache_usage(ctx.db)
    rows = [
        ("used by profiles", usage.profile_count, usage.profile_size),
        ("pinned (chartkeeper pin)", usage.pinned_count, usage.pinned_size),
        ("used by nothing", usage.unused_count, usage.unused_size),
        ("total", usage.count, usage.size),
    ]
    if args.output == "json":
        print_json(
            {
                key: {"versions": count, "bytes": size}
                for key, count, size in zip(
                    ("profiles", "pinned", "unused", "total"), (r[1] for r in rows), (r[2] for r in rows), strict=True
                )
            }
        )
        return EXIT_OK
    print_table(["CHART ARCHIVES", "VERSIONS", "SIZE"], [[name, count, human_size(size)] for name, count, size in rows])
    return EXIT_OK


def cmd_cache_clear(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.chart_files import clear_unused_cache
    from desktop.wording import plural

    count, size = clear_unused_cache(ctx.services())
    print(
        f"Removed {plural(count, 'chart version')} ({human_size(size)}) that no profile uses; "
        "pinned versions and those in profiles stay."
    )
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    cache = commands.add_parser(
        "cache", parents=[common], help="the chart archives kept on this computer", description=__doc__
    )
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="COMMAND", required=True)
    show = cache_commands.add_parser("show", parents=[common, output], help="how much the cached chart archives take")
    show.set_defaults(handler=cmd_cache_show)
    clear = cache_commands.add_parser(
        "clear", parents=[common], help="delete cached chart archives that no profile uses and nobody pinned"
    )
    clear.set_defaults(handler=cmd_cache_clear)
