"""Cutting an index.yaml in the usual layout (block style, as `helm repo index` writes it) into its
header and one piece of text per chart, without parsing it.

A chart starts where a line holding only `name:` at the charts' indentation is followed by the first
`- ` item of its versions. Every search here is for a literal, which runs at memory speed, so
cutting a 15 MB index takes milliseconds and never holds the interpreter long."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTRIES_LINE = re.compile(rb"^entries:[ \t]*(?:#[^\n]*)?\n", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(rb"^[^ \t\r\n#]", re.MULTILINE)
_KEY_THEN_ITEM = re.compile(rb"^( +)(?![ \t#-])[^\n]*:[ \t]*\n((?:[ \t]*(?:#[^\n]*)?\n)*)( +)- ", re.MULTILINE)


@dataclass(frozen=True)
class IndexPieces:
    header: bytes  # the document without its entries block
    charts: list[bytes]  # each: one or more `chart:` keys with their versions, still indented


def split_index(data: bytes) -> IndexPieces | None:
    """None when the text is not laid out as expected; the caller then parses it whole."""
    if b"\r" in data:
        return None  # CRLF line ends: rare enough to leave to the whole-document parser
    entries = _ENTRIES_LINE.search(data)
    if entries is None:
        return None
    start = entries.end()
    first = _KEY_THEN_ITEM.match(data, start) or _KEY_THEN_ITEM.search(data, start, start + 4096)
    if first is None or not _only_comments(data[start : first.start()]):
        return None
    indent, item_indent = len(first.group(1)), len(first.group(3))
    # Each chart's key line ends with ":\n" and its first version item follows at item_indent.
    marker = b":\n" + b" " * item_indent + b"-"
    starts = [first.start()]
    position = first.end()
    while True:
        found = data.find(marker, position)
        if found < 0:
            break
        line_start = data.rfind(b"\n", 0, found) + 1
        line = data[line_start:found]
        if len(line) > indent and line[:indent] == b" " * indent and line[indent : indent + 1] not in b" #-":
            starts.append(line_start)
        position = found + len(marker)
    after = _TOP_LEVEL_LINE.search(data, starts[-1])
    end = after.start() if after is not None else len(data)
    if any(start_ > end for start_ in starts):
        return None  # a "chart" after the entries block: not the layout we know
    bounds = [*starts, end]
    charts = [data[bounds[i] : bounds[i + 1]] for i in range(len(starts))]
    return IndexPieces(data[: entries.start()] + data[end:], charts)


def _only_comments(text: bytes) -> bool:
    return all(not line.strip() or line.lstrip().startswith(b"#") for line in text.splitlines())
