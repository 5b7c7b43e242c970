"""The command line's grammar: shared options, then each noun's module adds its commands."""

from __future__ import annotations

import argparse

from desktop import __version__
from desktop.cli import (
    bundle,
    cache,
    catalog,
    charts,
    desktop_entry,
    image_registry,
    images,
    keys,
    profile,
    registry,
    settings,
)


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
    registry.add_commands(commands, common, output)
    charts.add_commands(commands, common, output)
    images.add_commands(commands, common, output)
    desktop_entry.add_commands(commands, common, output)
    profile.add_commands(commands, common, output)
    settings.add_commands(commands, common, output)
    cache.add_commands(commands, common, output)
    catalog.add_commands(commands, common, output)
    bundle.add_commands(commands, common, output)
    keys.add_commands(commands, common, output)
    image_registry.add_commands(commands, common, output)
    return parser
