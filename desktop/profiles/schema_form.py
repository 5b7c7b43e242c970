"""A chart's values.schema.json walked into the fields of a values form, bounded: so many fields,
so deep, `$ref`s followed only inside the document (a loop stops), nothing fetched, no pattern run."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from desktop.profiles.values import ValuesProblem

MAX_FIELDS = 1000  # a real chart's schema has a few hundred at most; each a row of widgets (~1 ms apiece)
MAX_DEPTH = 12  # objects in objects
MAX_STEPS = 20_000  # schemas looked at, `$ref`s and `allOf`s included
MAX_SCHEMA = 4 * 1024 * 1024
MAX_CHOICES = 200
Kind = Literal["group", "boolean", "choice", "integer", "number", "string", "other"]
_REQUIRED = re.compile(r"^'(.*)' is a required property$")


@dataclass(frozen=True)
class FormField:
    path: tuple[str, ...]
    kind: Kind
    description: str = ""
    required: bool = False
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    why_other: str = ""  # for `other`: why the form does not edit it

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class SchemaForm:
    """`fields` in the schema's order, each group before its fields; `notes`: one line each, what the
    form left out and why; `problem`: the schema gives no form at all (one line)."""

    fields: tuple[FormField, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None


@dataclass
class _Walk:
    document: Any
    fields: list[FormField] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    steps: int = 0
    full: bool = False


def build_form(schema_text: str | None) -> SchemaForm:
    if not schema_text or not schema_text.strip():
        return SchemaForm(problem="The chart ships no values.schema.json: edit its values in the Values tab.")
    if len(schema_text) > MAX_SCHEMA:
        return SchemaForm(problem="The chart's schema is over 4 MiB: edit its values in the Values tab.")
    try:
        document = json.loads(schema_text)
    except (ValueError, RecursionError):
        return SchemaForm(
            problem="The chart's schema is not JSON the form can read: edit its values in the Values tab."
        )
    walk = _Walk(document)
    try:
        root, seen = _resolved(walk, document, (), frozenset())
    except _Stop as stop:
        return SchemaForm(problem=f"The chart's schema {stop.reason}: edit its values in the Values tab.")
    except _Loop:
        return SchemaForm(problem="The chart's schema is a $ref loop: edit its values in the Values tab.")
    except _Remote as remote:
        return SchemaForm(
            problem=f"The chart's schema is at {remote.ref}, not fetched: edit its values in the Values tab."
        )
    if not isinstance(root, Mapping) or not isinstance(root.get("properties"), Mapping) or not root["properties"]:
        return SchemaForm(problem="The chart's schema names no values: edit its values in the Values tab.")
    _properties(walk, root, (), seen)
    if walk.full:
        walk.notes.insert(
            0, f"The schema has more than {MAX_FIELDS:,} fields: the form shows the first {MAX_FIELDS:,}."
        )
    return SchemaForm(tuple(walk.fields), tuple(dict.fromkeys(walk.notes)))


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _resolved(walk: _Walk, schema: Any, path: tuple[str, ...], seen: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """`schema` with its `$ref` chain followed inside the document and its `allOf` merged, and the
    `$ref`s followed to reach it (with those of the fields it is in: one met again is a loop)."""
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        walk.steps += 1
        if walk.steps > MAX_STEPS:
            raise _Stop(f"takes more than {MAX_STEPS:,} steps to read (its $refs?)")
        ref = schema["$ref"]
        if ref in seen:
            raise _Loop(ref)
        if not ref.startswith("#"):
            raise _Remote(ref)
        seen = seen | {ref}
        schema = _pointer(walk.document, ref)
    if isinstance(schema, Mapping) and isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required = list(merged.get("required") or [])
        for each in schema["allOf"][:50]:
            part, _ = _resolved(walk, each, path, seen)
            if isinstance(part, Mapping):
                properties.update(part.get("properties") or {})
                required.extend(part.get("required") or [])
                for key, value in part.items():
                    merged.setdefault(key, value)
        merged["properties"], merged["required"] = properties, required
        schema = merged
    return schema, seen


class _Loop(Exception):
    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


class _Remote(Exception):
    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


def _pointer(document: Any, ref: str) -> Any:
    node = document
    for token in [p for p in ref[1:].split("/") if p]:
        part = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}  # a dangling $ref: nothing to say about the value
    return node


def _properties(walk: _Walk, schema: Mapping[str, Any], path: tuple[str, ...], seen: frozenset[str]) -> None:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    required = schema.get("required")
    required_names = {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()
    for name, child in properties.items():
        if len(walk.fields) >= MAX_FIELDS:
            walk.full = True
            return
        _field(walk, child, (*path, str(name)), name in required_names, seen)


def _field(walk: _Walk, schema: Any, path: tuple[str, ...], required: bool, seen: frozenset[str]) -> None:
    dotted = ".".join(path)
    walk.steps += 1
    if walk.steps > MAX_STEPS:
        walk.full = True
        return
    try:
        schema, seen = _resolved(walk, schema, path, seen)
    except _Loop as loop:
        walk.notes.append(f"{dotted}: its $ref {loop.ref} goes round in a loop; edit it in the Values tab.")
        walk.fields.append(FormField(path, "other", required=required, why_other="its $ref goes round in a loop"))
        return
    except _Stop:
        walk.full = True
        return
    except _Remote as remote:
        walk.notes.append(f"{dotted}: refers to {remote.ref}, which is not fetched; edit it in the Values tab.")
        walk.fields.append(FormField(path, "other", required=required, why_other=f"refers to {remote.ref}"))
        return
    if not isinstance(schema, Mapping):
        walk.fields.append(FormField(path, "other", required=required, why_other="its schema is not an object"))
        return
    description = schema.get("description") or schema.get("title") or ""
    description = " ".join(str(description).split())[:500]
    default = schema.get("default")
    kind, why = _kind(schema)
    base = FormField(path, "other", description=description, required=required, default=default)
    if kind == "group":
        if len(path) >= MAX_DEPTH:
            walk.notes.append(f"{dotted}: nested more than {MAX_DEPTH} deep; edit it in the Values tab.")
            walk.fields.append(replace(base, why_other="nested too deeply for the form"))
            return
        walk.fields.append(replace(base, kind="group"))
        _properties(walk, schema, path, seen)
        return
    if kind == "choice":
        choices = tuple(c for c in schema["enum"][:MAX_CHOICES] if c is None or isinstance(c, str | int | float | bool))
        walk.fields.append(replace(base, kind="choice", choices=choices))
        return
    if kind in ("integer", "number"):
        low, high = _bound(schema, "minimum", "exclusiveMinimum", 1), _bound(schema, "maximum", "exclusiveMaximum", -1)
        walk.fields.append(replace(base, kind=kind, minimum=low, maximum=high))
        return
    walk.fields.append(replace(base, kind=kind, why_other=why))


def _kind(schema: Mapping[str, Any]) -> tuple[Kind, str]:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(c is None or isinstance(c, str | int | float | bool) for c in enum):
        return "choice", ""
    types = schema.get("type")
    names = (
        [types]
        if isinstance(types, str)
        else [t for t in types if isinstance(t, str)]
        if isinstance(types, list)
        else []
    )
    names = [name for name in names if name != "null"] or names
    if len(names) != 1:
        if isinstance(schema.get("properties"), Mapping) and schema["properties"] and not names:
            return "group", ""
        return "other", "it may be of several types" if names else "its schema gives no type"
    name = names[0]
    if name == "object":
        if isinstance(schema.get("properties"), Mapping) and schema["properties"]:
            return "group", ""
        return "other", "a mapping of free keys"
    if name in ("boolean", "integer", "number", "string"):
        return name, ""  # type: ignore[return-value]
    if name == "array":
        return "other", "a list"
    return "other", f"of type {name}"


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str, step: int) -> float | None:
    value = schema.get(inclusive)
    strict = schema.get(exclusive)
    if isinstance(strict, int | float) and not isinstance(strict, bool):  # draft 6 and later: a number
        return float(strict + step) if isinstance(strict, int) else float(strict)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if strict is True:  # draft 4: a flag on the bound
            return float(value + step) if isinstance(value, int) else float(value)
        return float(value)
    return None


def problems_by_field(form: SchemaForm, problems: Sequence[ValuesProblem]) -> dict[tuple[str, ...], list[str]]:
    """The checker's problems on the form's fields (`path: message`): a missing required value on
    that value's field, another on the deepest field its path names; problems of no field are left."""
    paths = {f.dotted: f.path for f in form.fields}
    found: dict[tuple[str, ...], list[str]] = {}
    for problem in problems:
        where, sep, message = problem.message.partition(": ")
        if not sep:
            continue
        missing = _REQUIRED.match(message)
        if missing is not None:
            inner = f"{where}.{missing.group(1)}" if where != "(top level)" else missing.group(1)
            if inner in paths:
                found.setdefault(paths[inner], []).append(f"required: {missing.group(1)} is not set")
                continue
        dotted = where
        while dotted and dotted not in paths:
            dotted = dotted.rpartition(".")[0]
        if dotted:
            found.setdefault(paths[dotted], []).append(message if dotted == where else f"{where}: {message}")
    return found
