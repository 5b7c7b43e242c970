"""YAML read the way Helm's sigs.k8s.io/yaml reads it: go-yaml v2's YAML 1.1 typing of plain
scalars (`yes` is true, `1.10` a float, `010` octal eight), merge keys, map keys made text, and
limits on nodes and nesting (aliases cannot make a bomb of it)."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
import yaml.cyaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from desktop.bundle.errors import ChartArtifactError
from desktop.bundle.go_json import format_float32_g

MAX_YAML_NODES = 100_000  # go-yaml refuses "excessive aliasing"; a Chart.yaml has a few hundred nodes
MAX_YAML_DEPTH = 100
_PLAIN = "!chartkeeper-plain"  # a plain scalar without a tag: resolved the way go-yaml v2 resolves it
_TAG = "tag:yaml.org,2002:"
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}


class GoInt(int):
    """An integer go-yaml v2 decoded (int, int64 or uint64)."""

    __slots__ = ()


class _Resolver(yaml.resolver.BaseResolver):
    """Tags every plain, untagged scalar so that go-yaml v2's rules resolve it, not PyYAML's."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]  # untyped in the stubs


# libyaml's parser (go-yaml v2 is a port of libyaml) when PyYAML was built with it.
_Parser: Any = getattr(yaml.cyaml, "CParser", None) if yaml.__with_libyaml__ else None
if _Parser is not None:

    class _Composer(_Parser, _Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


def go_yaml_value(text: str, what: str) -> Any:
    """The first YAML document of `text` as go-yaml v2 decodes it into `interface{}`, with map keys
    made text as sigs.k8s.io/yaml makes them. Raises ChartArtifactError where Helm fails."""
    composer = _Composer(text)
    try:
        node = composer.get_node() if composer.check_node() else None
    except yaml.YAMLError as exc:
        raise ChartArtifactError(f"{what} is not valid YAML ({_one_line(exc)}).") from None
    finally:
        composer.dispose()
    if node is None:
        return None
    budget = [MAX_YAML_NODES]
    return _Decoder(what, budget).value(node, 0)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


class _Decoder:
    def __init__(self, what: str, budget: list[int]) -> None:
        self.what = what
        self.budget = budget

    def fail(self, reason: str) -> ChartArtifactError:
        return ChartArtifactError(f"{self.what}: {reason}; Helm cannot load it either.")

    def value(self, node: Node, depth: int) -> Any:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise self.fail(f"more than {MAX_YAML_NODES:,} YAML nodes (excessive aliasing?)")
        if depth > MAX_YAML_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            return [self.value(child, depth + 1) for child in node.value]
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            self.mapping(node, result, depth)
            return result
        raise self.fail("an unknown YAML node")

    def mapping(self, node: MappingNode, into: dict[str, Any], depth: int) -> None:
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "<<" and key_node.tag in (_PLAIN, _TAG + "merge"):
                self.merge(value_node, into, depth)
                continue
            key = self.key_text(self.value(key_node, depth + 1))
            into[key] = self.value(value_node, depth + 1)

    def merge(self, node: Node, into: dict[str, Any], depth: int) -> None:
        # go-yaml v2 writes the merged keys over what the mapping already holds; in a list of
        # mappings the earlier ones win, so they are applied last.
        if isinstance(node, MappingNode):
            self.mapping(node, into, depth + 1)
        elif isinstance(node, SequenceNode) and all(isinstance(child, MappingNode) for child in node.value):
            for child in reversed(node.value):
                self.mapping(child, into, depth + 1)
        else:
            raise self.fail("a merge (<<) of something that is not a mapping")

    def key_text(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, bool):
            return "true" if key else "false"
        if isinstance(key, int):
            return str(int(key))
        if isinstance(key, float):
            text = format_float32_g(key)
            return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
        raise self.fail("a mapping key that is null, a list or a mapping")

    def scalar(self, node: ScalarNode) -> Any:
        text = node.value
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(text)
        if tag in (_TAG + "str", "!"):
            return text
        if not tag.startswith(_TAG):
            return text  # go-yaml v2 keeps a scalar with a tag of its own as text
        kind = tag[len(_TAG) :]
        resolved = resolve_plain(text)
        if kind == "int" and isinstance(resolved, GoInt):
            return resolved
        if kind == "float" and isinstance(resolved, (float, GoInt)):
            return float(resolved)
        if kind == "bool" and isinstance(resolved, bool):
            return resolved
        if kind == "null" and resolved is None:
            return None
        if kind == "timestamp" and isinstance(resolved, str):
            return resolved
        raise self.fail(f"cannot decode '{text[:40]}' as !!{kind}")


def resolve_plain(text: str) -> Any:
    """A plain scalar as go-yaml v2's `resolve` types it: null, bool, int, float, or text."""
    if not text:
        return None
    first = text[0]
    if first in "yYnNtTfFoO~":
        if text in _NULLS:
            return None
        return _BOOLS.get(text, text)
    if first == ".":
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        value = float(text) if _DOT_FLOAT.fullmatch(text) else math.inf
        return text if math.isinf(value) else value  # Go's ParseFloat fails on overflow
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return text
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    # A timestamp (YYYY-…) stays text when decoded into interface{}; it can be no number either.
    plain = text.replace("_", "")
    number = _go_parse_int(plain)
    if number is not None:
        return GoInt(number)
    if _YAML_FLOAT.fullmatch(plain):
        value = float(plain)
        if not math.isinf(value):  # Go's ParseFloat reports a range error, and the text stays text
            return value
    return text


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64): prefixes 0x, 0o, 0b and a bare 0 (octal)."""
    sign = 1
    body = text
    signed = body[:1] in ("+", "-")
    if signed:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    lower = body[:2].lower()
    if lower in ("0x", "0o", "0b"):
        base = {"0x": 16, "0o": 8, "0b": 2}[lower]
        digits = body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, digits = 8, body[1:]
    else:
        base, digits = 10, body
    if not digits or not all(c in "0123456789abcdefABCDEF"[: base + (6 if base == 16 else 0)] for c in digits):
        return None
    value = sign * int(digits, base)
    if _INT64[0] <= value <= _INT64[1]:
        return value
    if not signed and 0 <= value <= _UINT64_MAX:
        return value
    return None
