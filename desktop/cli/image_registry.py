"""`chartkeeper image-registry`: how container image hosts are reached for bundles' images — add, list, remove."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK


def cmd_image_registry_add(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.cli.access import read_password, read_token
    from desktop.operations.image_hosts import add_image_host

    token = read_token(args)
    entry = add_image_host(
        ctx.services(),
        args.host,
        plain_http=args.plain_http,
        insecure_skip_tls_verify=args.insecure_skip_tls_verify,
        ca_file=Path(args.ca_file) if args.ca_file else None,
        username=args.username or None,
        password=None if token is not None else read_password(args),
        token=token,
    )
    login = f" as {entry.username} (password in the keyring)" if entry.username else " anonymously"
    if entry.token_auth:
        login = " with a bearer token (in the keyring)"
    how = "plain HTTP" if entry.plain_http else "HTTPS" + (" with its CA" if entry.ca_pem else "")
    if entry.insecure_skip_tls_verify and not entry.plain_http:
        how += " without checking its certificate"
    print(f"Image registry {entry.host}: pulled over {how}{login}.")
    return EXIT_OK


def cmd_image_registry_list(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.cli.output import print_json, print_table
    from desktop.operations.image_hosts import list_image_hosts

    hosts = list_image_hosts(ctx.services())
    rows = [
        {
            "host": entry.host,
            "plain_http": entry.plain_http,
            "insecure_skip_tls_verify": entry.insecure_skip_tls_verify,
            "ca": entry.ca_pem is not None,
            "username": entry.username,
            "token": entry.token_auth,
        }
        for entry in hosts
    ]
    if args.output == "json":
        print_json(rows)
    elif not rows:
        print("No image registries: every image host is pulled anonymously over HTTPS with the system's trust.")
    else:
        print_table(
            ["HOST", "TRANSPORT", "LOGIN"],
            [
                [
                    row["host"],
                    "plain HTTP"
                    if row["plain_http"]
                    else "HTTPS"
                    + (" (own CA)" if row["ca"] else "")
                    + (" (certificate not checked)" if row["insecure_skip_tls_verify"] else ""),
                    row["username"] or ("token" if row["token"] else "anonymous"),
                ]
                for row in rows
            ],
        )
    return EXIT_OK


def cmd_image_registry_remove(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.image_hosts import check_host, remove_image_host

    remove_image_host(ctx.services(), args.host)
    print(f"Image registry {check_host(args.host)} removed: it is pulled anonymously over HTTPS again.")
    return EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    hosts = commands.add_parser(
        "image-registry", parents=[common], help="how container image hosts are reached (logins, TLS, plain HTTP)"
    )
    host_commands = hosts.add_subparsers(dest="image_registry_command", metavar="COMMAND", required=True)
    add = host_commands.add_parser("add", parents=[common], help="add or replace how HOST is reached")
    add.add_argument("host", metavar="HOST[:PORT]")
    login = add.add_mutually_exclusive_group()
    login.add_argument("--username", help="log in as this user (the password from --password-stdin)")
    login.add_argument(
        "--token-stdin",
        action="store_true",
        help="read a token from standard input, sent as `Authorization: Bearer` (instead of a username)",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--ca-file", metavar="FILE", help="the CA certificates (PEM) that sign the host's certificate")
    add.add_argument("--plain-http", action="store_true", help="talk plain HTTP, without TLS")
    add.add_argument("--insecure-skip-tls-verify", action="store_true", help="skip the server certificate check")
    add.set_defaults(handler=cmd_image_registry_add)
    listing = host_commands.add_parser("list", parents=[common, output], help="the image registries")
    listing.set_defaults(handler=cmd_image_registry_list)
    remove = host_commands.add_parser("remove", parents=[common], help="forget how HOST is reached, and its login")
    remove.add_argument("host", metavar="HOST[:PORT]")
    remove.set_defaults(handler=cmd_image_registry_remove)
