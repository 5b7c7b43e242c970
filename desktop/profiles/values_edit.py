"""One value of a values YAML set in place: only that value's characters change (or the lines added
for a key not yet there), so the user's comments, key order, indentation and quoting all stay."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import yaml

from desktop.errors import ValidationError
from desktop.profiles.values import TOO_DEEP

MAX_TEXT = 2 * 1024 * 1024  # as a pack's values (palette_import.MAX_VALUES): big charts' are a few hundred KB
MAX_PATH = 32  # keys deep: the form stops far sooner
Scalar = str | int | float | bool | None
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+=, -]*")  # words, paths, versions: never quoted
_PRINTABLE = re.compile("[\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_GO_BOOLEANS = {"y", "n"}  # booleans to Helm's YAML reader (go-yaml v2), strings to PyYAML: quoted
_BREAKS = "\n\t\r\x85\u2028\u2029"  # line breaks to YAML 1.1: escaped inside quotes
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def set_value(text: str, path: Sequence[str], value: Scalar) -> str:
    """`text` with the scalar at `path` (keys from the top) set to `value`, missing mappings added;
    a ValidationError in one line when the text cannot take it (not YAML, not a mapping there)."""
    if not path or len(path) > MAX_PATH:
        raise ValidationError(f"a value is set at 1 to {MAX_PATH} keys deep")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"the values are over {MAX_TEXT // (1024 * 1024)} MiB: edit them in the Values tab")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    except yaml.YAMLError:
        raise ValidationError("the values are not valid YAML: fix them in the Values tab first") from None
    except RecursionError:
        raise ValidationError(f"{TOO_DEEP}: edit them in the Values tab") from None
    rendered = render_scalar(value)
    if root is None:  # nothing, or only comments: kept, the value after them
        return text + ("" if not text or text.endswith("\n") else "\n") + _block(path, rendered, 0, 2)
    if isinstance(root, yaml.ScalarNode) and root.tag == "tag:yaml.org,2002:null":  # `~` or `null`
        start, end = root.start_mark.index, root.end_mark.index
        return text[:start] + _block(path, rendered, 0, 2).rstrip("\n") + text[end:]
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise ValidationError("the values are not a block mapping (key: value lines): edit them in the Values tab")
    node: yaml.MappingNode = root
    indent = 0
    step = _step(root)
    for depth, key in enumerate(path):
        where = ".".join(path[: depth + 1])
        match = _entry(node, key)
        if match is None:
            return _insert(text, node, indent, path[depth:], rendered, step)
        key_node, child = match
        if child.start_mark.index < key_node.end_mark.index:  # an alias: the node lives at its anchor
            raise ValidationError(f"{where} is an alias (*): edit it in the Values tab")
        last = depth == len(path) - 1
        if last:
            return _replace(text, key_node, child, rendered, where, isinstance(value, str))
        if isinstance(child, yaml.ScalarNode) and child.tag == "tag:yaml.org,2002:null" and not child.value:
            colon = text.index(":", key_node.end_mark.index)  # `key:` with nothing after: its mapping starts here
            inner = key_node.start_mark.column + step
            return (
                text[: colon + 1]
                + "\n"
                + _block(path[depth + 1 :], rendered, inner, step).rstrip("\n")
                + text[colon + 1 :]
            )
        if not isinstance(child, yaml.MappingNode):
            raise ValidationError(f"{where} is not a mapping in the values: edit it in the Values tab")
        if child.flow_style:
            if child.value:
                raise ValidationError(f"{where} is written in flow style ({{…}}): edit it in the Values tab")
            inner = key_node.start_mark.column + step
            block = "\n" + _block(path[depth + 1 :], rendered, inner, step).rstrip("\n")
            colon = text.index(":", key_node.end_mark.index)
            return text[: colon + 1] + block + text[child.end_mark.index :]
        node = child
        indent = child.start_mark.column
    raise AssertionError("unreachable")


def render_scalar(value: Scalar) -> str:
    """`value` as YAML that PyYAML (and Helm's YAML 1.1 reader) read back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        shown = repr(value)
        if "e" in shown and "." not in shown.split("e")[0]:  # YAML 1.1 needs the dot: 1.0e+16, not 1e+16
            mantissa, exponent = shown.split("e")
            shown = f"{mantissa}.0e{'+' if not exponent.startswith('-') else ''}{exponent.lstrip('+')}"
        return shown
    return _string(value)


def _string(value: str) -> str:
    if _PLAIN.fullmatch(value) and not value.endswith(" ") and value.lower() not in _GO_BOOLEANS:
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    escaped = "".join(
        _ESCAPES.get(char, char) if _PRINTABLE.fullmatch(char) and char not in _BREAKS else _escape(char)
        for char in value
    )
    return f'"{escaped}"'


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _entry(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The last entry whose key reads as `key` (YAML's last one wins, as Helm's reader)."""
    found = None
    for key_node, child in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, child)
    return found


def _step(root: yaml.MappingNode) -> int:
    """The document's indentation step: how far its first nested mapping sits in from its key."""
    pending = [root]
    while pending:
        node = pending.pop(0)
        for key_node, child in node.value:
            if isinstance(child, yaml.MappingNode) and not child.flow_style and child.value:
                step = int(child.start_mark.column - key_node.start_mark.column)
                if step > 0:
                    return step
                pending.append(child)
        if len(pending) > 1000:
            break
    return 2


def _replace(text: str, key_node: yaml.Node, child: yaml.Node, rendered: str, where: str, quoted_as_typed: bool) -> str:
    if not isinstance(child, yaml.ScalarNode):
        raise ValidationError(f"{where} holds a mapping or list in the values: edit it in the Values tab")
    start, end = child.start_mark.index, child.end_mark.index
    if text[start:end].startswith(("&", "!")):
        raise ValidationError(f"{where} carries an anchor or tag: edit it in the Values tab")
    if start == end:  # `key:` with nothing after
        colon = text.index(":", key_node.end_mark.index)
        return text[: colon + 1] + " " + rendered + text[colon + 1 :]
    old = text[start:end]
    if child.style in ("|", ">"):  # a block scalar's span runs to the line after its last one
        kept = len(old) - len(old.rstrip("\n"))
        return text[:start] + rendered + "\n" * max(1, kept) + text[end:]
    if child.style in ("'", '"') and quoted_as_typed and not rendered.startswith('"'):
        rendered = f"{child.style}{rendered}{child.style}"  # the user quoted it: kept quoted, as they did
    return text[:start] + rendered + text[end:]


def _insert(text: str, node: yaml.MappingNode, indent: int, keys: Sequence[str], rendered: str, step: int) -> str:
    """New lines after the mapping's last entry (before any comment lines that follow it)."""
    last_value = node.value[-1][1]
    end = last_value.end_mark.index
    if isinstance(last_value, yaml.ScalarNode) and last_value.style not in ("|", ">"):
        newline = text.find("\n", end)
        end = len(text) if newline < 0 else newline + 1
    else:  # a nested block ends where the next line starts; comments after its last value stay before the new key
        end = text.rfind("\n", 0, end) + 1 if end < len(text) and text[end - 1 : end] != "\n" else end
    block = _block(keys, rendered, indent, step)
    before = text[:end]
    if before and not before.endswith("\n"):
        before += "\n"
    return before + block + text[end:]


def _block(keys: Sequence[str], rendered: str, indent: int, step: int) -> str:
    lines = []
    for depth, key in enumerate(keys):
        pad = " " * (indent + depth * step)
        name = _string(key)
        lines.append(f"{pad}{name}: {rendered}" if depth == len(keys) - 1 else f"{pad}{name}:")
    return "\n".join(lines) + "\n"
