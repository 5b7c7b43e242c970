"""Chart metadata as Helm presents it: text fields cleaned as Helm cleans them, and the stored
per-chart documents read back with numbers kept as their exact text. No parser here: showing a
chart's details must not load the index parser."""

from __future__ import annotations

import json
from typing import Any

# The JSON bridge passes YAML's other spellings of null through as text; Helm reads them as null.
YAML_NULLS = frozenset({"~", "Null", "NULL"})


class NumberText(str):
    """A scalar the JSON bridge saw as a number, kept as its text (`1.10` stays '1.10')."""

    __slots__ = ()


class InvalidEntry(Exception):
    """A field that is not what Helm's chart metadata allows."""


def load_chart_document(document: str | bytes) -> list[Any]:
    """The versions list of a stored chart document, numbers kept as their exact text."""
    decoded = json.loads(document, parse_float=NumberText, parse_int=NumberText, strict=False)
    return next(iter(decoded.values()), []) if isinstance(decoded, dict) else []


def entry_metadata(item: dict[str, Any]) -> dict[str, Any]:
    """A version's metadata as Helm presents it: only the fields Helm knows, text sanitised."""
    meta: dict[str, Any] = {}
    for key, value in item.items():
        kind = FIELD_KINDS.get(key)
        if kind is None or value is None or (type(value) is str and value in YAML_NULLS):
            continue
        try:
            cleaned = kind(value)
        except InvalidEntry:
            continue
        if cleaned not in (None, "", [], {}):
            meta[key] = cleaned
    meta.setdefault("apiVersion", "v1")
    return meta


def as_text(value: Any) -> str:
    """A scalar as the text Helm's typed decoding would give a string field."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, dict)):
        raise InvalidEntry("a text field holds a list or mapping")
    return value if type(value) is str else str(value)


def sanitised(text: str) -> str:
    """Helm's sanitizeString: whitespace becomes a space, unprintable characters go."""
    if text.isprintable():
        return text
    return "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or ch.isprintable())


def sanitised_text(value: Any) -> str:
    if type(value) is str and value.isprintable():
        return value
    return sanitised(as_text(value))


def display_text(value: Any) -> str:
    """Sanitised text, or '' for a null or a value that is not text at all."""
    if value is None or (type(value) is str and value in YAML_NULLS):
        return ""
    try:
        return sanitised_text(value)
    except InvalidEntry:
        return ""


def flag(value: Any) -> bool | None:
    return True if value is True or value == "true" else None


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [sanitised_text(v) for v in value if not isinstance(v, (dict, list))]


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidEntry("not a list")
    return value


def _plain_list(value: Any) -> list[str]:
    return [as_text(v) for v in _as_list(value) if not isinstance(v, (dict, list))]


def _maintainers(value: Any) -> list[dict[str, str]]:
    return [
        {k: sanitised_text(m[k]) for k in ("name", "email", "url") if m.get(k) is not None}
        for m in _as_list(value)
        if isinstance(m, dict)
    ]


def _dependencies(value: Any) -> list[dict[str, Any]]:
    return [dict(d) for d in _as_list(value) if isinstance(d, dict) and d.get("name")]


def _annotations(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidEntry("annotations must be a mapping of strings")
    return {str(k): as_text(v) for k, v in value.items() if not isinstance(v, (dict, list))}


# How each field Helm knows is cleaned. Helm sanitises some text when it loads an index;
# others it keeps as they are.
FIELD_KINDS: dict[str, Any] = {
    "name": sanitised_text,
    "description": sanitised_text,
    "home": sanitised_text,
    "icon": sanitised_text,
    "condition": sanitised_text,
    "tags": sanitised_text,
    "appVersion": sanitised_text,
    "kubeVersion": sanitised_text,
    "version": as_text,
    "apiVersion": as_text,
    "created": as_text,
    "digest": as_text,
    "type": as_text,
    "deprecated": flag,
    "keywords": text_list,
    "sources": text_list,
    "urls": _plain_list,
    "maintainers": _maintainers,
    "dependencies": _dependencies,
    "annotations": _annotations,
}
