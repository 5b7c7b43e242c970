"""`chartkeeper settings`: list, get and set the tenant settings, checked like the window checks them."""

from __future__ import annotations

import argparse
from typing import Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK
from desktop.cli.output import print_json, print_table


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cmd_settings_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.settings_store import load_settings
    from desktop.settings import SETTING_RULES

    values = load_settings(ctx.db).as_mapping()
    if args.output == "json":
        print_json(values)
        return EXIT_OK
    print_table(
        ["KEY", "VALUE", "MEANING"],
        [
            [key, _shown(values[key]) + (f" {rule.unit}" if rule.unit else ""), f"{rule.label}: {rule.help}"]
            for key, rule in SETTING_RULES.items()
        ],
    )
    return EXIT_OK


def cmd_settings_get(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.catalog.settings_store import load_settings
    from desktop.errors import ValidationError
    from desktop.settings import SETTING_RULES

    if args.key not in SETTING_RULES:
        raise ValidationError(f"'{args.key}' is not a setting: use one of {', '.join(SETTING_RULES)}.")
    print(_shown(load_settings(ctx.db).as_mapping()[args.key]))
    return EXIT_OK


def cmd_settings_set(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.settings import set_tenant_setting

    updated = set_tenant_setting(ctx.services(), args.key, args.value)
    print(f"{args.key} = {_shown(updated.as_mapping()[args.key])}")
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    settings = commands.add_parser(
        "settings",
        parents=[common, output],
        help="list, get and set the tenant settings",
        description="The tenant settings of the window's Tenant settings tab, for headless machines and scripts.",
    )
    settings.set_defaults(handler=cmd_settings_list)
    settings_commands = settings.add_subparsers(dest="settings_command", metavar="COMMAND")
    listing = settings_commands.add_parser("list", parents=[common, output], help="every setting with its value")
    listing.set_defaults(handler=cmd_settings_list)
    get = settings_commands.add_parser("get", parents=[common], help="one setting's value")
    get.add_argument("key", metavar="KEY")
    get.set_defaults(handler=cmd_settings_get)
    put = settings_commands.add_parser("set", parents=[common], help="change one setting")
    put.add_argument("key", metavar="KEY")
    put.add_argument("value", metavar="VALUE")
    put.set_defaults(handler=cmd_settings_set)
