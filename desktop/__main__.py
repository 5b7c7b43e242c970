"""The `chartkeeper` entry point: no command opens the window; a command runs headless."""

from __future__ import annotations

import contextlib
import sys
from typing import NoReturn


def _wants_window(argv: list[str]) -> bool:
    """True when the arguments hold nothing but --home: the user launched the app."""
    rest = list(argv)
    while rest:
        current = rest.pop(0)
        if current == "--home" and rest:
            rest.pop(0)
        elif not current.startswith("--home="):
            return False
    return True


def _exit_now(code: int) -> NoReturn:
    """End the window's process once it has shut down in order (the worker stopped, the catalog
    closed, the log flushed), without the interpreter's finalization: a daemon thread still inside a
    library call then (a keyring's D-Bus call, a download a cancel abandoned) would be torn down there,
    and a C++ frame on its stack could abort the process ("FATAL: exception not rethrown")."""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["--render-child"]:  # the frozen app rendering a chart for itself (desktop.helm.rendering)
        from desktop.helm.render_child import main as render_child

        return render_child()
    if _wants_window(argv):
        try:
            from desktop.app import run_app
        except ImportError as exc:
            if exc.name and exc.name.startswith("desktop"):
                raise
            print(f"error: the desktop window cannot start ({exc}); the commands still work:", file=sys.stderr)
        else:
            _exit_now(run_app(argv))
    from desktop.cli import main as cli_main

    return cli_main(argv or ["--help"])


if __name__ == "__main__":
    if getattr(sys, "frozen", False):  # the frozen build: a child it starts (the schema checker) runs here
        import multiprocessing

        multiprocessing.freeze_support()
    sys.exit(main())
