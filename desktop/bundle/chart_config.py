"""A Helm chart artifact's config blob: Chart.yaml read exactly as Helm 3 reads it, written as Helm writes it.

Helm (`helm push`, pkg/registry) loads Chart.yaml with sigs.k8s.io/yaml — go-yaml v2's YAML 1.1
typing, then a JSON round trip into its `chart.Metadata` struct, which turns a number or boolean
written where text belongs into text (`appVersion: 1.10` becomes "1.1": a float32 printed
shortest) — merges a requirements.yaml into it, sanitises text fields (`Validate`), and
`json.Marshal`s the struct. This module repeats each step, so the config is byte for byte Helm's.
A Chart.yaml Helm would refuse is refused with Helm's reason."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.bundle.errors import ChartArtifactError
from desktop.bundle.go_json import GoEncodeError, GoFloat, Struct, format_float32_g, marshal
from desktop.bundle.go_yaml import go_yaml_value
from desktop.helm.versions import parse_version

_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")
# unicode.IsSpace: ASCII whitespace, NEL, NBSP and the White_Space property (not U+001C–U+001F).
GO_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE = frozenset(GO_WHITESPACE)

# --- the JSON round trip into Helm's chart.Metadata --------------------------------------------

Decode = Callable[[Any, Any, "_Path"], Any]
_KEEP = object()  # a JSON null leaves a string or bool field as it was


class _Path(str):
    def at(self, key: str) -> _Path:
        return _Path(f"{self}.{key}" if self else key)


def _error(path: str, reason: str) -> ChartArtifactError:
    return ChartArtifactError(f"Chart.yaml: {path} {reason}; Helm cannot load it either.")


def _as_text(value: Any, path: _Path) -> Any:
    """What a string field receives: numbers and booleans become text the way sigs.k8s.io/yaml writes them."""
    if value is None:
        return _KEEP
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float32_g(value)
    raise _error(path, "must be text, not a list or mapping")


def _text(value: Any, old: Any, path: _Path) -> Any:
    result = _as_text(value, path)
    return old if result is _KEEP else result


def _flag(value: Any, old: Any, path: _Path) -> Any:
    if value is None:
        return old
    if isinstance(value, bool):
        return value
    raise _error(path, "must be true or false")


def _text_list(value: Any, old: Any, path: _Path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(path, "must be a list")
    items = []
    for item in value:
        text = _as_text(item, path)
        items.append("" if text is _KEEP else text)
    return items


def _text_map(value: Any, old: Any, path: _Path) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _error(path, "must be a mapping")
    merged = dict(old or {})
    for key in _json_order(value):
        text = _as_text(value[key], path.at(key))
        merged[key] = "" if text is _KEEP else text
    return merged


def _interface(value: Any, path: _Path) -> Any:
    """A value of an `interface{}` after the JSON round trip: every number a float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise _error(path, "holds NaN or an infinity, which JSON cannot carry")
        return GoFloat(float(value))
    if isinstance(value, list):
        return [_interface(item, path) for item in value]
    return {key: _interface(item, path.at(key)) for key, item in value.items()}


def _any_list(value: Any, old: Any, path: _Path) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(path, "must be a list")
    return [_interface(item, path) for item in value]


@dataclass(frozen=True)
class _Field:
    name: str
    decode: Decode
    omit_empty: bool = True


def _struct_list(fields: tuple[_Field, ...]) -> Decode:
    def decode(value: Any, old: Any, path: _Path) -> list[dict[str, Any] | None]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _error(path, "must be a list")
        previous = list(old or [])
        items: list[dict[str, Any] | None] = []
        for position, item in enumerate(value):
            if item is None:
                items.append(None)
            elif isinstance(item, dict):
                # encoding/json decodes into the element already at this place, if any
                reused = previous[position] if position < len(previous) else None
                items.append(_decode_struct(fields, item, dict(reused or {}), path))
            else:
                raise _error(path, "must be a list of mappings")
        return items

    return decode


MAINTAINER = (_Field("name", _text), _Field("email", _text), _Field("url", _text))
DEPENDENCY = (
    _Field("name", _text, omit_empty=False),
    _Field("version", _text),
    _Field("repository", _text, omit_empty=False),
    _Field("condition", _text),
    _Field("tags", _text_list),
    _Field("enabled", _flag),
    _Field("import-values", _any_list),
    _Field("alias", _text),
)
METADATA = (
    _Field("name", _text),
    _Field("home", _text),
    _Field("sources", _text_list),
    _Field("version", _text),
    _Field("description", _text),
    _Field("keywords", _text_list),
    _Field("maintainers", _struct_list(MAINTAINER)),
    _Field("icon", _text),
    _Field("apiVersion", _text),
    _Field("condition", _text),
    _Field("tags", _text),
    _Field("appVersion", _text),
    _Field("deprecated", _flag),
    _Field("annotations", _text_map),
    _Field("kubeVersion", _text),
    _Field("dependencies", _struct_list(DEPENDENCY)),
    _Field("type", _text),
)


def _json_order(mapping: dict[str, Any]) -> list[str]:
    """Keys in the order Go's json.Marshal wrote them (sorted by bytes), so later duplicates win."""
    return sorted(mapping, key=lambda k: k.encode("utf-8", "surrogatepass"))


def _field_for(fields: tuple[_Field, ...], key: str) -> _Field | None:
    for field in fields:
        if field.name == key:
            return field
    folded = key.lower()
    return next((field for field in fields if field.name.lower() == folded), None)


def _check_encodable(value: Any, path: _Path) -> None:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise _error(path, "holds NaN or an infinity, which JSON cannot carry")
    if isinstance(value, list):
        for item in value:
            _check_encodable(item, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_encodable(item, path.at(key))


def _decode_struct(
    fields: tuple[_Field, ...], document: dict[str, Any], state: dict[str, Any], path: _Path
) -> dict[str, Any]:
    for key in _json_order(document):
        field = _field_for(fields, key)
        if field is None:
            _check_encodable(document[key], path.at(key))  # ignored, but JSON must still carry it
            continue
        value = field.decode(document[key], state.get(field.name), path.at(field.name))
        if value is not None:  # a null leaves a text or flag field as it was
            state[field.name] = value
    return state


def _decode_document(document: Any, state: dict[str, Any], what: str) -> None:
    if document is None:
        return
    if not isinstance(document, dict):
        raise ChartArtifactError(f"{what} is not a mapping of fields; Helm cannot load it either.")
    _decode_struct(METADATA, document, state, _Path(""))


# --- Validate ---------------------------------------------------------------------------


def go_sanitize(text: str) -> str:
    """Helm's sanitizeString: whitespace becomes a space, what is not printable goes."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(" " if char in _GO_SPACE else char for char in text if char in _GO_SPACE or char.isprintable())


def _validate(meta: dict[str, Any]) -> None:
    for key in ("name", "description", "home", "icon", "condition", "tags", "appVersion", "kubeVersion"):
        if key in meta:
            meta[key] = go_sanitize(meta[key])
    for key in ("sources", "keywords"):
        if key in meta:
            meta[key] = [go_sanitize(item) for item in meta[key]]

    def refuse(reason: str) -> ChartArtifactError:
        return ChartArtifactError(f"Chart.yaml: {reason}; Helm refuses such a chart too.")

    if not meta.get("apiVersion"):
        raise refuse("apiVersion is required")
    name = meta.get("name", "")
    if not name:
        raise refuse("name is required")
    if name in (".", "..") or "/" in name:
        raise refuse(f"name {name!r} is not allowed")
    version = meta.get("version", "")
    if not version:
        raise refuse("version is required")
    if parse_version(version) is None:
        raise refuse(f"version {version!r} is not a valid SemVer version")
    if meta.get("type", "") not in ("", "application", "library"):
        raise refuse("type must be application or library")
    for maintainer in meta.get("maintainers", []):
        if maintainer is None:
            raise refuse("maintainers must not contain empty or null nodes")
        for key in ("name", "email", "url"):
            if key in maintainer:
                maintainer[key] = go_sanitize(maintainer[key])
    seen: set[str] = set()
    for dependency in meta.get("dependencies", []):
        if dependency is None:
            raise refuse("dependencies must not contain empty or null nodes")
        for key in ("name", "version", "repository", "condition"):
            if key in dependency:
                dependency[key] = go_sanitize(dependency[key])
        if "tags" in dependency:
            dependency["tags"] = [go_sanitize(tag) for tag in dependency["tags"]]
        alias = dependency.get("alias", "")
        if alias and not _ALIAS.fullmatch(alias):
            raise refuse(f"dependency {dependency.get('name', '')!r} has disallowed characters in the alias")
        key = alias or dependency.get("name", "")
        if key in seen:
            raise refuse(f"more than one dependency with name or alias {key!r}")
        seen.add(key)


# --- json.Marshal --------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, (str, list, dict)) and not value)


def _as_struct(fields: tuple[_Field, ...], state: dict[str, Any]) -> Struct:
    encoded = Struct()
    for field in fields:
        value = state.get(field.name)
        if field.omit_empty and _is_empty(value):
            continue
        if field.name in ("maintainers", "dependencies"):
            nested = MAINTAINER if field.name == "maintainers" else DEPENDENCY
            items = value or []
            encoded.append((field.name, [None if item is None else _as_struct(nested, item) for item in items]))
        else:
            encoded.append((field.name, "" if value is None else value))  # a text field never set: Go's zero value
    return encoded


@dataclass(frozen=True)
class ChartConfig:
    """The chart's metadata as Helm holds it after loading, and the config blob Helm pushes."""

    metadata: dict[str, Any]
    blob: bytes

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def version(self) -> str:
        return str(self.metadata["version"])


def chart_config(chart_yaml: str, requirements_yaml: str | None = None) -> ChartConfig:
    """Helm's `chart.Metadata` for a chart whose Chart.yaml (and requirements.yaml) are given."""
    state: dict[str, Any] = {}
    _decode_document(go_yaml_value(chart_yaml, "Chart.yaml"), state, "Chart.yaml")
    if not state.get("apiVersion"):
        state["apiVersion"] = "v1"  # Helm 2 charts may leave it out
    if requirements_yaml is not None:
        _decode_document(go_yaml_value(requirements_yaml, "requirements.yaml"), state, "requirements.yaml")
    _validate(state)
    try:
        blob = marshal(_as_struct(METADATA, state))
    except GoEncodeError as exc:  # pragma: no cover - NaN is refused while decoding
        raise ChartArtifactError(f"Chart.yaml cannot be written as JSON ({exc}).") from None
    return ChartConfig(state, blob)
