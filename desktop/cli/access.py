"""How a command reaches a registry it is given: the access options and the password, read once, one way."""

from __future__ import annotations

import argparse
import getpass
import sys

from desktop.errors import ValidationError

PASSWORD_LIMIT = 64 * 1024


def read_password(args: argparse.Namespace) -> str | None:
    """The password for `--username`: from standard input with `--password-stdin`, else asked at a terminal,
    never taken as an argument; None without a username."""
    if not args.username:
        if args.password_stdin:
            raise ValidationError("--password-stdin needs --username.")
        return None
    if args.password_stdin:
        from desktop.files import read_stdin_text

        password = read_stdin_text(PASSWORD_LIMIT, "The password").rstrip("\r\n")
        if not password:
            raise ValidationError("No password arrived on standard input.")
        return password
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {args.username}: ")
    raise ValidationError("Give the password on standard input with --password-stdin (never as an argument).")


def read_passphrase(args: argparse.Namespace, key_file: str) -> str | None:
    """A signing key's passphrase: from standard input with `--passphrase-stdin`, else asked at a
    terminal (empty for a key without one); None when neither can give one."""
    if args.passphrase_stdin:
        from desktop.files import read_stdin_text

        return read_stdin_text(PASSWORD_LIMIT, "The passphrase").rstrip("\r\n") or None
    if sys.stdin.isatty():
        return getpass.getpass(f"Passphrase of {key_file} (empty for none): ") or None
    return None


def read_token(args: argparse.Namespace) -> str | None:
    """The token for `--token-stdin`, from standard input only (never an argument, never asked at a
    terminal where it would be typed blind); None without the option."""
    if not getattr(args, "token_stdin", False):
        return None
    if args.password_stdin:
        raise ValidationError("--token-stdin and --password-stdin exclude each other: a token needs no password.")
    from desktop.files import read_stdin_text

    token = read_stdin_text(PASSWORD_LIMIT, "The token").strip()
    if not token:
        raise ValidationError("No token arrived on standard input.")
    return token


def access_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that talks to an OCI registry given by URL (push, pull, mirror)."""
    parser.add_argument("--username", help="registry username (omit for none, or a registered registry's login)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--ca-file", metavar="FILE", help="the registry's X509 certificate (PEM or DER)")
    parser.add_argument("--insecure-skip-tls-verify", action="store_true", help="skip the server certificate check")
    parser.add_argument("--plain-http", action="store_true", help="talk plain HTTP, without TLS (like helm)")
