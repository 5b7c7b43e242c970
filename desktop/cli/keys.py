"""`chartkeeper keys`: the OpenPGP public keys this site trusts for signed bundles — import, list, remove."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK

if TYPE_CHECKING:
    from desktop.trust.openpgp import PublicKey


def _expiry(key: PublicKey) -> str:
    if key.revoked:
        return "revoked"
    if key.expires is None:
        return "never"
    return key.expires.date().isoformat() + (" (expired)" if key.expired() else "")


def cmd_keys_import(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.trust.keys import import_keys
    from desktop.wording import plural

    keys = import_keys(ctx.paths.trusted_keys, Path(args.file))
    for key in keys:
        print(f"trusted: {key.fingerprint} {key.name} (expires {_expiry(key)})")
    print(f"{plural(len(keys), 'key')} imported.")
    return EXIT_OK


def cmd_keys_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.cli.output import print_json, print_table
    from desktop.trust.keys import trusted_keys

    keys = trusted_keys(ctx.paths.trusted_keys)
    if args.output == "json":
        print_json(
            [
                {
                    "fingerprint": key.fingerprint,
                    "user_ids": list(key.user_ids),
                    "expires": key.expires.isoformat() if key.expires else None,
                    "revoked": key.revoked,
                }
                for key in keys
            ]
        )
    elif not keys:
        print("No trusted keys: import one with `chartkeeper keys import FILE` (gpg --export --armor KEY > FILE).")
    else:
        print_table(
            ["FINGERPRINT", "USER IDS", "EXPIRES"], [[k.fingerprint, "; ".join(k.user_ids), _expiry(k)] for k in keys]
        )
    return EXIT_OK


def cmd_keys_remove(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.trust.keys import remove_key

    key = remove_key(ctx.paths.trusted_keys, args.fingerprint)
    print(f"No longer trusted: {key.fingerprint} {key.name}.")
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    keys = commands.add_parser("keys", parents=[common], help="the OpenPGP keys this site trusts for signed bundles")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)
    do_import = key_commands.add_parser(
        "import", parents=[common], help="trust the public keys of FILE (armored, binary, or a GnuPG keyring)"
    )
    do_import.add_argument("file", metavar="FILE")
    do_import.set_defaults(handler=cmd_keys_import)
    listing = key_commands.add_parser("list", parents=[common, output], help="the trusted keys")
    listing.set_defaults(handler=cmd_keys_list)
    remove = key_commands.add_parser("remove", parents=[common], help="stop trusting a key")
    remove.add_argument("fingerprint", metavar="FPR", help="its fingerprint (or at least its last 16 hex digits)")
    remove.set_defaults(handler=cmd_keys_remove)
