"""How counts and sizes read in messages, the same in the window and the CLI: 1 chart, 2 charts, 3.4 MB."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 chart`, `2 charts`, `1,204 versions`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def human_size(count: float) -> str:
    """`512 B`, `3.4 MB`, `1,204.5 GB` (powers of 1024)."""
    size = float(count)
    for unit in ("B", "KB", "MB"):
        decimals = 0 if unit == "B" else 1
        if round(size, decimals) < 1024:  # as shown: 1,048,575 B is 1.0 MB, not 1,024.0 KB
            return f"{size:,.{decimals}f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"
