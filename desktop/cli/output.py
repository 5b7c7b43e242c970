"""How commands print: tables and JSON on stdout, warnings and progress on stderr."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

DESCRIPTION_WIDTH = 50


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        print("\t".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def clip(text: str, width: int = DESCRIPTION_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# What a terminal would act on rather than show (ESC starts colour, cursor, title and clipboard
# sequences; C1's CSI does on some terminals; a lone CR rewrites the line): written as `\x1b`.
# Newlines, tabs and the CR of a CRLF line end are kept.
_CONTROL = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def visible_controls(text: str) -> str:
    """`text` for a terminal: its control characters shown, never interpreted."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def progress_printer(enabled: bool) -> Callable[[str, int, int | None], None] | None:
    if not enabled:
        return None
    last = [0.0]

    def report(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase == "download" and now - last[0] < 0.2:
            return
        last[0] = now
        amount = f"{done / 1048576:.1f} MB" + (f" of {total / 1048576:.1f} MB" if total else "")
        label = {
            "download": f"downloading index… {amount}",
            "parse": "reading index…",
            "write": "saving snapshot…",
        }.get(phase, phase)
        print(f"\r\033[K{label}", end="", file=sys.stderr, flush=True)

    return report


def end_progress(enabled: bool) -> None:
    if enabled:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
