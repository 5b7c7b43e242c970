"""How counts and sizes read in messages, the same in the window and the CLI: 1 chart, 2 charts, 3.4 MB."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 chart`, `2 charts`, `1,204 versions`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def human_size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"
