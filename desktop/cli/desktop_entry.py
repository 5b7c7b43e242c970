"""`chartkeeper install-desktop-entry`: add Chartkeeper to the desktop's application menu."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK


def cmd_install_desktop_entry(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.desktop_entry import install_desktop_entry

    prefix = Path(args.prefix) if args.prefix else Path.home() / ".local" / "share"
    for path in install_desktop_entry(prefix):
        print(f"wrote {path}")
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    entry = commands.add_parser(
        "install-desktop-entry",
        parents=[common],
        help="add Chartkeeper to the desktop's application menu",
        description="Write chartkeeper.desktop and the icon under ~/.local/share (or --prefix).",
    )
    entry.add_argument("--prefix", metavar="DIR", help="instead of ~/.local/share (e.g. /usr/share)")
    entry.set_defaults(handler=cmd_install_desktop_entry)
