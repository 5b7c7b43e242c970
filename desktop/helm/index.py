"""Helm repository index (index.yaml or its JSON form) → per-chart documents of validated versions.

Ingest does only what Helm does when it loads an index (check name, version and type; skip invalid
versions with a warning) and keeps each chart's versions as a JSON document. The per-field clean-up
Helm applies (`entry_metadata`) runs when a version is read, so large indexes register quickly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from desktop.errors import IndexFormatError
from desktop.helm.index_json import pairs_of, try_json
from desktop.helm.index_splitter import split_index
from desktop.helm.metadata import (
    YAML_NULLS,
    InvalidEntry,
    NumberText,
    as_text,
    display_text,
    flag,
    load_chart_document,
    text_list,
)
from desktop.helm.versions import ChartVersionNumber, parse_version
from desktop.helm.yaml_tree import YamlTree, may_hold_aliases, quiet_native_errors, valid_unicode

MAX_WARNINGS_KEPT = 200
_CHART_TYPES = frozenset({"", "application", "library"})
# Numbers in these fields are re-read as the exact text of the YAML. rapidyaml's JSON emitter writes
# plain scalars as they are when they are JSON numbers already, but rewrites `1.` as `1.0` and `.5`
# as `0.5`: a chart document holding such a number is written again with the exact text.
_EXACT_FIELDS = ("version", "appVersion", "kubeVersion")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_FIRST_CHARACTER = re.compile(rb"[ \t\r\n]*(\S)")
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
# What Helm's chart metadata allows as a dependency's alias.
_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")


@dataclass(slots=True)
class IndexEntry:
    """One valid chart version: where it sits in its chart document, and what listings show."""

    chart: str
    version: ChartVersionNumber
    position: int
    app_version: str
    description: str
    deprecated: bool
    keywords: str  # space-separated, for search


@dataclass(slots=True)
class ChartDocument:
    """A chart's versions as the index lists them: UTF-8 JSON `{"<chart>": [...]}`."""

    name: str
    json: bytes
    entries: list[IndexEntry]


@dataclass
class ParsedIndex:
    api_version: str
    charts: list[ChartDocument] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0
    _chart_positions: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def warn(self, message: str) -> None:
        """An invalid version or chart was skipped."""
        self.skipped += 1
        self.note(message)

    def note(self, message: str) -> None:
        """Something odd about the index that loses nothing."""
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(message)

    def add(self, chart: ChartDocument) -> None:
        """A chart's versions, one entry per version; a chart named twice gets both lists."""
        position = self._chart_positions.get(chart.name)
        if position is None:
            self._chart_positions[chart.name] = len(self.charts)
            entries = self._one_per_version(chart.name, chart.entries)
            self.charts.append(chart if entries is chart.entries else replace(chart, entries=entries))
            return
        earlier = self.charts[position]
        earlier_items, items = load_chart_document(earlier.json), load_chart_document(chart.json)
        entries = earlier.entries + [replace(e, position=e.position + len(earlier_items)) for e in chart.entries]
        self.charts[position] = ChartDocument(
            chart.name, _document(chart.name, earlier_items + items), self._one_per_version(chart.name, entries)
        )
        self.note(
            f"chart {chart.name!r} is listed twice in the index: the versions of both lists are kept "
            "(Helm refuses such an index)"
        )

    def _one_per_version(self, chart: str, entries: list[IndexEntry]) -> list[IndexEntry]:
        """A version listed more than once is listed with its last entry's details and fetched from its
        first entry: what `helm search repo` shows (its search index keeps the last entry it sees per
        version) and what `helm pull`, `show` and `install` download (the index's Get returns the first)."""
        if len({entry.version.text for entry in entries}) == len(entries):
            return entries
        kept: dict[str, IndexEntry] = {}
        for entry in entries:
            first = kept.get(entry.version.text)
            kept[entry.version.text] = entry if first is None else replace(entry, position=first.position)
        twice = [text for text, count in Counter(e.version.text for e in entries).items() if count > 1]
        self.note(
            f"chart {chart!r} lists version {', '.join(twice[:5])}{' and others' if len(twice) > 5 else ''} more than "
            "once: the last entry's details are listed and the first entry is fetched, as Helm does"
        )
        return list(kept.values())

    @property
    def entries(self) -> Iterator[IndexEntry]:
        for chart in self.charts:
            yield from chart.entries

    @property
    def version_count(self) -> int:
        return sum(len(chart.entries) for chart in self.charts)


def parse_index(data: bytes) -> ParsedIndex:
    """Parse and validate an index; invalid versions are skipped with a warning, as Helm does."""
    if data.startswith(_BYTE_ORDER_MARK):  # editors on Windows write one; Helm reads past it
        data = data[len(_BYTE_ORDER_MARK) :]
    if b"\r" in data and b"\r\n" in data:  # (looking for one byte is ~30 times faster than for two)
        data = data.replace(b"\r\n", b"\n")  # CRLF line ends: YAML reads a line break as "\n", JSON as a blank
    first = _FIRST_CHARACTER.match(data)
    if first is None:
        raise IndexFormatError("The index is empty: the server sent no content where index.yaml should be.")
    if first.group(1) == b"<":
        raise IndexFormatError(
            "The server sent an HTML page, not a Helm index (a login page or a web UI?): "
            "check that the endpoint is the repository URL that serves index.yaml."
        )
    if first.group(1) in (b"{", b"["):
        document = try_json(_utf8(data))
        if document is not None:
            return _from_json(document)
    with quiet_native_errors():
        pieces = _from_yaml_in_pieces(data)  # checks UTF-8 piece by piece
        if pieces is not None:
            return pieces
        _utf8(data)
        return _from_yaml(YamlTree(data))


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IndexFormatError(
            f"The index is not UTF-8 text (invalid byte at offset {exc.start}); is this really index.yaml?"
        ) from None


def parse_entries(entries: dict[str, list[Any]]) -> ParsedIndex:
    """Validate entries gathered elsewhere (an OCI registry's chart configs) as an index's."""
    return _from_json({"apiVersion": "v1", "entries": entries})


def _from_json(document: Any) -> ParsedIndex:
    if not isinstance(document, dict):
        raise IndexFormatError("The server sent JSON that is not a Helm index (not an object).")
    parsed = ParsedIndex(_require_api_version(document.get("apiVersion"), document))
    blocks = [value for key, value in pairs_of(document) if key == "entries"]
    _note_repeated_entries(parsed, len(blocks))
    for entries in blocks:
        if not entries:
            continue
        if not isinstance(entries, dict):
            raise IndexFormatError("The index's 'entries' is not a mapping of chart names to versions.")
        for chart, versions in pairs_of(entries):
            if not isinstance(versions, list):
                parsed.warn(f"skipped chart {chart!r}: its entry is not a list of versions")
                continue
            _add_chart(parsed, str(chart), versions, None)
    return parsed


def _note_repeated_entries(parsed: ParsedIndex, blocks: int) -> None:
    if blocks > 1:
        parsed.note(
            f"the index has {blocks} 'entries' blocks: the charts of all of them are kept (Helm refuses such an index)"
        )


def _from_yaml(tree: YamlTree) -> ParsedIndex:
    root = tree.root
    if not tree.is_map(root):
        kind = "a list" if tree.is_seq(root) else "plain text"
        raise IndexFormatError(f"The server sent YAML that is not a Helm index (it is {kind}, not a mapping).")
    parsed = _with_api_version(tree)
    blocks = [node for node in tree.children(root) if tree.key(node) == "entries"]
    _note_repeated_entries(parsed, len(blocks))
    for entries in blocks:
        if not tree.is_map(entries):
            if tree.is_seq(entries) or tree.scalar_text(entries):
                raise IndexFormatError("The index's 'entries' is not a mapping of chart names to versions.")
            continue  # `entries:` with nothing after it: no charts, as in Helm
        for chart_node in tree.children(entries):
            _read_chart(parsed, tree, chart_node)
    return parsed


def _with_api_version(tree: YamlTree) -> ParsedIndex:
    api_node = tree.find(tree.root, "apiVersion")
    return ParsedIndex(_require_api_version(tree.scalar_text(api_node) if api_node is not None else None, None))


def _read_chart(parsed: ParsedIndex, tree: YamlTree, chart_node: int) -> None:
    chart = tree.key(chart_node)
    if not tree.is_seq(chart_node):
        parsed.warn(f"skipped chart {chart!r}: its entry is not a list of versions")
        return
    document = tree.to_json(chart_node, exact_numbers=False)
    if document is not None:
        versions = next(iter(document[1].values()))
        _add_chart(parsed, chart, versions, document[0], tree, chart_node)
        return
    versions = []
    for version_node in tree.children(chart_node):
        try:
            versions.append(tree.walk(version_node))
        except IndexFormatError as exc:
            parsed.warn(f"skipped a version of chart {chart!r}: {exc.message}")
    _add_chart(parsed, chart, versions, None)


def _from_yaml_in_pieces(data: bytes) -> ParsedIndex | None:
    """The usual index layout, parsed one chart at a time: small trees, little memory, and the
    thread lets go of the interpreter between charts (a 15 MB tree would hold the window still
    for a tenth of a second). None when the layout is not the usual one: then parse it whole."""
    if may_hold_aliases(data):
        return None
    pieces = split_index(data)
    if pieces is None:
        return None
    try:
        pieces.header.decode("utf-8")
        header = YamlTree(pieces.header)
        if not header.is_map(header.root) or header.find(header.root, "entries") is not None:
            return None
        parsed = _with_api_version(header)
        for chunk in pieces.charts:
            chunk.decode("utf-8")
            tree = YamlTree(chunk)
            if not tree.is_map(tree.root):
                return None
            for chart_node in tree.children(tree.root):
                _read_chart(parsed, tree, chart_node)
    except (UnicodeDecodeError, IndexFormatError):
        return None
    return parsed


def _add_chart(
    parsed: ParsedIndex,
    chart: str,
    versions: list[Any],
    document: bytes | None,
    tree: YamlTree | None = None,
    chart_node: int | None = None,
) -> None:
    if not chart or not chart.isprintable():
        parsed.warn(f"skipped chart {chart!r}: its name is not printable text")
        return
    if chart.strip() != chart:  # ' web' would be listed beside 'web', and no one can type it
        parsed.warn(f"skipped chart {chart!r}: its name starts or ends with white space")
        return
    entries: list[IndexEntry] = []
    rewritten = False
    for position, item in enumerate(versions):
        if not isinstance(item, dict):
            parsed.warn(f"skipped a version of chart {chart!r}: empty or not a mapping")
            continue
        if tree is not None and chart_node is not None:
            rewritten |= _restore_exact_numbers(item, tree, chart_node, position)
        try:
            version = _validated_version(item)
        except InvalidEntry as exc:
            written = item.get("version")
            if isinstance(written, (list, dict)):
                parsed.warn(f"skipped a version of chart {chart!r}: {exc}")
            else:
                parsed.warn(f"skipped chart {chart!r} version {as_text(written)!r}: {exc}")
            continue
        entries.append(
            IndexEntry(
                chart,
                version,
                position,
                display_text(item.get("appVersion")),
                display_text(item.get("description")),
                flag(item.get("deprecated")) is True,
                " ".join(text_list(item.get("keywords") or [])),
            )
        )
    if document is None or rewritten:
        document = _document(chart, versions)
    parsed.add(ChartDocument(chart, document, entries))


def _document(chart: str, versions: list[Any]) -> bytes:
    return valid_unicode(json.dumps({chart: versions}, ensure_ascii=False, separators=(",", ":"))).encode()


def _restore_exact_numbers(item: dict[str, Any], tree: YamlTree, chart_node: int, position: int) -> bool:
    """Replace decoded numbers in the exact fields by their YAML text (`version: 1.10` is '1.10');
    True when the chart document must be written again because the emitter changed the text."""
    rewritten = False
    for key in _EXACT_FIELDS:
        value = item.get(key)
        if type(value) is not float and type(value) is not int:
            continue
        version_node = tree.child(chart_node, position)
        found = tree.find(version_node, key) if version_node is not None else None
        exact = tree.scalar_text(found) if found is not None else None
        if exact is None:
            continue
        item[key] = NumberText(exact)
        rewritten |= _JSON_NUMBER.fullmatch(exact) is None
    return rewritten


def _require_api_version(value: Any, json_document: dict[str, Any] | None) -> str:
    if value in (None, ""):
        if json_document is not None and "entries" not in json_document:
            detail = _json_error_detail(json_document)
            raise IndexFormatError(f"The server sent JSON that is not a Helm index{detail}: check the endpoint URL.")
        raise IndexFormatError(
            "The index has no apiVersion, so it is not a valid Helm repository index (Helm refuses it too)."
        )
    return str(value)


def _json_error_detail(document: dict[str, Any]) -> str:
    for key in ("error", "message", "errors", "detail"):
        if key in document:
            detail = json.dumps(document[key], ensure_ascii=False)
            return f" (it says {key}: {detail[:120]})"
    return ""


def _validated_version(item: dict[str, Any]) -> ChartVersionNumber:
    """Helm's checks when it loads an index (chart metadata's Validate): name, version, type,
    maintainers and dependencies."""
    name = item.get("name")
    if type(name) is not str:
        name = _text(name, "name")
    if not name:
        raise InvalidEntry("chart.metadata.name is required")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidEntry(f"chart.metadata.name {name!r} is invalid")
    version_text = item.get("version")
    if type(version_text) is not str:
        version_text = _text(version_text, "version")
    if not version_text:
        raise InvalidEntry("chart.metadata.version is required")
    version = parse_version(version_text)
    if version is None:
        raise InvalidEntry(f"chart.metadata.version {version_text!r} is invalid")
    chart_type = item.get("type")
    if chart_type is not None and chart_type not in _CHART_TYPES:
        raise InvalidEntry("chart.metadata.type must be application or library")
    maintainers = item.get("maintainers")
    if maintainers and isinstance(maintainers, list):
        for maintainer in maintainers:
            if type(maintainer) is not dict and not isinstance(maintainer, dict):
                raise InvalidEntry(_not_a_mapping("maintainers", maintainer))
    dependencies = item.get("dependencies")
    if dependencies and isinstance(dependencies, list):
        for dependency in dependencies:
            if type(dependency) is not dict and not isinstance(dependency, dict):
                raise InvalidEntry(_not_a_mapping("dependencies", dependency))
            if not _valid_alias(dependency.get("alias")):
                raise InvalidEntry(
                    f"dependency {display_text(dependency.get('name'))!r} has disallowed characters in the alias"
                )
    return version


def _text(value: Any, key: str) -> str:
    """A field Helm reads as text, or InvalidEntry naming it when it is a list or mapping."""
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        raise InvalidEntry(f"chart.metadata.{key} must be text, not {kind}")
    return as_text(value)


def _not_a_mapping(field_name: str, value: Any) -> str:
    if value is None or (type(value) is str and value in YAML_NULLS):
        return f"{field_name} must not contain empty or null nodes"  # Helm's words
    return f"{field_name} must hold mappings, not {'a list' if isinstance(value, list) else repr(as_text(value))}"


def _valid_alias(alias: Any) -> bool:
    """Empty, or the letters, digits, `_` and `-` Helm allows."""
    if alias is None or isinstance(alias, (list, dict)):
        return alias is None
    text = as_text(alias)
    return not text or text in YAML_NULLS or _ALIAS.fullmatch(text) is not None
