"""A registry's snapshot in a bundle: one index-compatible document per chart, byte for byte the same on both sides.

Each shard is `{"apiVersion":"v1","entries":<the chart's document as the catalog stores it>,
"removedUpstream":[…]}`: Helm reads it as a one-chart index (it ignores the extra key), and its
bytes follow only from what the catalog holds for that chart — its stored document, spliced in
verbatim, and its removed-upstream marks in a fixed form. So the catalog that imported a shard
can make the same shard again and name its digest in a `have` list, and a delta leaves it out.
Reading one is hostile-input parsing: bounded size, element count and nesting, exact framing."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.bundle.errors import BundleError
from desktop.bundle.go_json import Struct, marshal
from desktop.helm.index import ChartDocument, parse_entries
from desktop.helm.metadata import NumberText

SHARD_PREFIX = b'{"apiVersion":"v1","entries":'
SHARD_MIDDLE = b',"removedUpstream":'
NO_ENTRIES = b"{}"
MAX_SHARD_BYTES = 32 * 1024 * 1024
MAX_ELEMENTS = 2_000_000  # commas in a shard: an upper bound on its values, checked before parsing
MAX_TEXT = 64 * 1024
MAX_ENTRY = 1024 * 1024
# An escaped UTF-16 surrogate: the index parser replaces unpaired ones, so such a document is
# stored as that parser writes it rather than verbatim.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


@dataclass(frozen=True)
class RemovedMark:
    """A version that left its index, as `removed_versions` keeps it."""

    version: str
    removed_at: float
    prerelease: bool
    deprecated: bool
    app_version: str
    description: str
    search_text: str
    entry: str  # the index entry as it was last listed, JSON text


@dataclass(frozen=True)
class ParsedShard:
    chart: str
    document: ChartDocument | None  # None when every version of the chart left its index
    versions: list[Any]  # the document's items, numbers kept as their text
    removed: tuple[RemovedMark, ...]
    skipped: int  # invalid versions the index parser skipped (kept in the document, as Helm does)


def snapshot_shard(document: bytes | None, removed: Sequence[RemovedMark]) -> bytes:
    """The shard of one chart: its stored document (or none) and its removed-upstream marks."""
    marks = sorted(removed, key=lambda mark: mark.version.encode("utf-8"))
    structs = [
        Struct(
            [
                ("version", mark.version),
                ("removedAt", float(mark.removed_at)),
                ("prerelease", bool(mark.prerelease)),
                ("deprecated", bool(mark.deprecated)),
                ("appVersion", mark.app_version),
                ("description", mark.description),
                ("searchText", mark.search_text),
                ("entry", mark.entry),
            ]
        )
        for mark in marks
    ]
    return SHARD_PREFIX + (document if document is not None else NO_ENTRIES) + SHARD_MIDDLE + marshal(structs) + b"}"


def parse_shard(data: bytes, chart: str, what: str) -> ParsedShard:
    """A shard from a bundle, checked: framing, size, one chart named `chart`, valid marks."""
    if len(data) > MAX_SHARD_BYTES:
        raise BundleError(f"{what} is {len(data):,} bytes, over the {MAX_SHARD_BYTES:,}-byte limit: refused.")
    if not data.startswith(SHARD_PREFIX) or not data.endswith(b"}"):
        raise BundleError(f"{what} is not a snapshot shard as Chartkeeper writes it: refused.")
    if data.count(b",") > MAX_ELEMENTS:
        raise BundleError(f"{what} holds more than {MAX_ELEMENTS:,} values: refused.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{what} is not UTF-8 text: refused.") from None
    decoder = json.JSONDecoder(parse_float=NumberText, parse_int=NumberText)
    start = len(SHARD_PREFIX)
    try:
        entries, end = decoder.raw_decode(text, start)
        rest = text[end:]
        if not rest.startswith(SHARD_MIDDLE.decode()):
            raise ValueError("framing")
        marks = json.loads(rest[len(SHARD_MIDDLE) : -1])
    except (ValueError, RecursionError):
        raise BundleError(f"{what} is not valid JSON as Chartkeeper writes it: refused.") from None
    if not isinstance(entries, dict) or len(entries) > 1 or (entries and chart not in entries):
        raise BundleError(f"{what} should hold chart {chart[:80]!r} alone: refused.")
    versions = entries.get(chart, [])
    if not isinstance(versions, list):
        raise BundleError(f"{what} lists the versions of {chart[:80]!r} as something other than a list: refused.")
    removed = tuple(_mark(item, what) for item in _list(marks, what))
    document: ChartDocument | None = None
    skipped = 0
    if entries:
        parsed = parse_entries({chart: versions})
        skipped = parsed.skipped
        if parsed.charts:
            parsed_document = parsed.charts[0]
            exact = text[start:end].encode("utf-8")
            if _SURROGATE_ESCAPE.search(exact) is None:
                parsed_document = ChartDocument(parsed_document.name, exact, parsed_document.entries)
            document = parsed_document
    return ParsedShard(chart, document, versions, removed, skipped)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BundleError(f"{what} lists its removed-upstream versions wrongly: refused.")
    return value


def _mark(item: Any, what: str) -> RemovedMark:
    if not isinstance(item, dict):
        raise BundleError(f"{what} has a removed-upstream mark that is not an object: refused.")
    version, app_version, description, search_text, entry = (
        item.get(key) for key in ("version", "appVersion", "description", "searchText", "entry")
    )
    removed_at, prerelease, deprecated = item.get("removedAt"), item.get("prerelease"), item.get("deprecated")
    if (
        not isinstance(version, str)
        or not isinstance(app_version, str)
        or not isinstance(description, str)
        or not isinstance(search_text, str)
        or not isinstance(entry, str)
        or not isinstance(prerelease, bool)
        or not isinstance(deprecated, bool)
        or not isinstance(removed_at, (int, float))
        or isinstance(removed_at, bool)
        or not math.isfinite(removed_at)
        or removed_at < 0
        or not version
        or max(len(version), len(app_version), len(description), len(search_text)) > MAX_TEXT
        or len(entry) > MAX_ENTRY
    ):
        raise BundleError(f"{what} has a removed-upstream mark with missing or wrong fields: refused.")
    try:
        decoded = json.loads(entry, parse_float=NumberText, parse_int=NumberText)
    except (ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, dict):
        raise BundleError(f"{what} has a removed-upstream mark whose entry is not a JSON object: refused.")
    return RemovedMark(version, float(removed_at), prerelease, deprecated, app_version, description, search_text, entry)
