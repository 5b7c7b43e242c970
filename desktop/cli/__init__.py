"""Headless commands shaped like Helm's; `main` runs one and turns every failure into one line."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Iterator, Sequence

from desktop.cli.exit_codes import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from desktop.errors import UserError, bug_message
from desktop.paths import AppPaths

log = logging.getLogger("desktop.cli")


@contextlib.contextmanager
def _file_logging(paths: AppPaths) -> Iterator[None]:
    from desktop.logs import configure_logging

    configure_logging(paths.log_file)
    yield


class Terminated(KeyboardInterrupt):
    """SIGTERM: handled like Ctrl-C, so a running sync records itself as interrupted."""


def _on_sigterm(_signal: int, _frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    from desktop.cli.context import Context
    from desktop.cli.parser import build_parser

    signal.signal(signal.SIGTERM, _on_sigterm)

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
    except KeyboardInterrupt as exc:
        what = "Stopped (SIGTERM)" if isinstance(exc, Terminated) else "Interrupted"
        print(f"\n{what}: nothing was half-written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        known = _known_failure(exc, ctx)
        if known is not None:
            log.warning("%s failed: %s", args.command, known.message, exc_info=exc)
            print(f"error: {known.message}", file=sys.stderr)
            return EXIT_ERROR
        # a bug: the user gets one line, the log gets the traceback
        log.exception("unexpected error in %s", args.command)
        where = ctx.paths.log_file if ctx else "the log"
        print(f"error: {bug_message(where, exc)}", file=sys.stderr)
        return EXIT_BUG
    finally:
        if ctx is not None:
            ctx.close()


def _known_failure(error: Exception, ctx: object | None) -> UserError | None:
    """The machine's faults that reach here from anywhere, as the user's line (`desktop/failures.py`)."""
    from desktop.failures import known_failure

    paths = getattr(ctx, "paths", None)
    return known_failure(error, paths.catalog if isinstance(paths, AppPaths) else None)
