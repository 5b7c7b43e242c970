"""Namespace and install priority where Palette keeps them — in the `pack:` block of a layer's values —
written into exports and taken out on import, leaving the rest of the user's text (comments, Palette
macros that are not valid YAML) exactly as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from desktop.errors import ValidationError
from desktop.profiles.model import DEFAULT_NAMESPACE, validate_install_priority, validate_namespace
from desktop.profiles.values import TOO_DEEP, ValuesProblem, parse_values

PRIORITY_KEY = "spectrocloud.com/install-priority"
NAMESPACE_KEY = "namespace"
_PACK_LINE = re.compile(r"pack:[ \t]*(#.*)?")
_ENTRY = re.compile(r"(?P<indent>[ \t]+)(?P<key>[^\s:#][^:#]*?|\"[^\"]*\"|'[^']*'):(?:[ \t]+(?P<value>.*))?")
_KEYS = {NAMESPACE_KEY, PRIORITY_KEY}
_PLAIN_SAFE = re.compile(r"[a-z][-a-z0-9]*")  # a namespace every YAML reader takes as a string
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}


@dataclass(frozen=True)
class PackSettings:
    override: str  # the values without namespace and priority
    namespace: str
    priority: int


def _pack_block(lines: list[str]) -> tuple[int, int] | None:
    """(index of the top-level `pack:` line, index after its block), found line by line so that
    values YAML cannot parse (Palette macros such as `{{ .spectro.var.x }}`) work too."""
    for start, line in enumerate(lines):
        if _PACK_LINE.fullmatch(line.rstrip("\r\n")):
            end = start + 1
            while end < len(lines):
                text = lines[end].rstrip("\r\n")
                if text.strip() and not text[0].isspace() and not text.startswith("#"):
                    break
                end += 1
            return start, end
    return None


def _entries(lines: list[str], start: int, end: int) -> tuple[str | None, dict[str, tuple[int, str]]]:
    """The block's child indentation and its namespace/priority lines: key → (index, raw value)."""
    indent: str | None = None
    found: dict[str, tuple[int, str]] = {}
    for index in range(start + 1, end):
        text = lines[index].rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        match = _ENTRY.fullmatch(text)
        if indent is None:
            indent = text[: len(text) - len(text.lstrip())]
        if match is None or match["indent"] != indent:
            continue
        key = match["key"].strip("\"'")
        if key in _KEYS and key not in found:
            found[key] = (index, match["value"] or "")
    return indent, found


def _scalar(raw: str) -> str:
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw.strip()
    return "" if value is None else str(value)


def split_pack_values(values: str, where: str) -> PackSettings:
    """Namespace and priority out of Palette pack values; `where` names the pack in messages.
    Values YAML cannot read are kept as text (Palette macros), unless nested beyond reading."""
    if parse_values(values)[1] == ValuesProblem(0, TOO_DEEP):
        raise ValidationError(f"{where}: {TOO_DEEP}; no chart needs that.")
    lines = values.splitlines(keepends=True)
    block = _pack_block(lines)
    namespace_text, priority_text = DEFAULT_NAMESPACE, "0"
    override = values
    if block is not None:
        start, end = block
        _, found = _entries(lines, start, end)
        if NAMESPACE_KEY in found:
            namespace_text = _scalar(found[NAMESPACE_KEY][1]) or DEFAULT_NAMESPACE
        if PRIORITY_KEY in found:
            priority_text = _scalar(found[PRIORITY_KEY][1]) or "0"
        drop = {index for index, _ in found.values()}
        remaining = [i for i in range(start + 1, end) if i not in drop and lines[i].strip()]
        if not any(not lines[i].lstrip().startswith("#") for i in remaining):
            drop.add(start)  # nothing of the user's is left in `pack:`
        override = "".join(line for i, line in enumerate(lines) if i not in drop)
    try:
        namespace = validate_namespace(namespace_text)
        priority = validate_install_priority(priority_text)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc.message}") from None
    settings = PackSettings(override, namespace, priority)
    return settings if _agrees(values, settings) else _split_structurally(values, where)


def _agrees(values: str, settings: PackSettings) -> bool:
    """Whether the line-by-line split means what the YAML means (always so for values YAML cannot read)."""
    before, problem = parse_values(values)
    if problem is not None:
        return True
    after, problem = parse_values(settings.override)
    if problem is not None:
        return False
    pack = before.get("pack", {})
    if pack is None:
        before = {k: v for k, v in before.items() if k != "pack"}
    elif isinstance(pack, dict):
        if str(pack.get(NAMESPACE_KEY, DEFAULT_NAMESPACE)) != settings.namespace:
            return False
        rest = {k: v for k, v in pack.items() if k not in _KEYS}
        before = {**before, "pack": rest} if rest else {k: v for k, v in before.items() if k != "pack"}
    else:
        return False
    return bool(before == after)


def _split_structurally(values: str, where: str) -> PackSettings:
    """The fallback for unusual layouts (flow mappings, anchors): right, but written anew."""
    data, _ = parse_values(values)
    pack = data.get("pack")
    pack = pack if isinstance(pack, dict) else {}
    try:
        namespace = validate_namespace(_text(pack.get(NAMESPACE_KEY)) or DEFAULT_NAMESPACE)
        priority = validate_install_priority(_text(pack.get(PRIORITY_KEY)) or "0")
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc.message}") from None
    rest = {k: v for k, v in pack.items() if k not in _KEYS}
    data = {**data, "pack": rest} if rest else {k: v for k, v in data.items() if k != "pack"}
    return PackSettings(_dump(data) if data else "", namespace, priority)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def pack_values(override: str, namespace: str, priority: int, where: str) -> str:
    """The layer's values as Palette keeps them: namespace and install priority in `pack:` (what
    the override itself says about them gives way to the layer's fields)."""
    stripped = split_pack_values(override, where).override if override else ""
    text = _insert(stripped, namespace, priority)
    data, problem = parse_values(text)
    if problem is None and not _means(data, namespace, priority, stripped):
        merged, _ = parse_values(stripped)  # a layout the lines cannot follow: write it anew, then insert
        pack = merged.get("pack")
        if not pack:
            merged = {k: v for k, v in merged.items() if k != "pack"}
        text = _insert(_dump(merged) if merged else "", namespace, priority)
    return text


def _insert(values: str, namespace: str, priority: int) -> str:
    lines = values.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    shown = namespace if _PLAIN_SAFE.fullmatch(namespace) and namespace not in _YAML_WORDS else f'"{namespace}"'
    block = _pack_block(lines)
    if block is None:
        return f'pack:\n  {NAMESPACE_KEY}: {shown}\n  {PRIORITY_KEY}: "{priority}"\n' + "".join(lines)
    start, end = block
    indent = _entries(lines, start, end)[0] or "  "
    inserted = [f"{indent}{NAMESPACE_KEY}: {shown}\n", f'{indent}{PRIORITY_KEY}: "{priority}"\n']
    return "".join([*lines[: start + 1], *inserted, *lines[start + 1 :]])


def _means(data: Any, namespace: str, priority: int, override: str) -> bool:
    pack = data.get("pack") if isinstance(data, dict) else None
    if not isinstance(pack, dict):
        return False
    if pack.get(NAMESPACE_KEY) != namespace or pack.get(PRIORITY_KEY) != str(priority):
        return False
    original, problem = parse_values(override)
    return problem is not None or _without_settings(data) == original


def _without_settings(data: dict[str, Any]) -> dict[str, Any]:
    pack = {k: v for k, v in data["pack"].items() if k not in _KEYS}
    return {**data, "pack": pack} if pack else {k: v for k, v in data.items() if k != "pack"}


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
