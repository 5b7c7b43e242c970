"""A layer's values: YAML checked as typed, validated against the chart's values.schema.json with
each error pointing at its line, and diffs (override against defaults, one version's defaults
against another's)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

from desktop.profiles.yaml_messages import plain_yaml_message

TOO_DEEP = "the values are nested too deeply to read"
SCHEMA_INVALID = "the chart's schema is invalid"
NOT_FETCHED = "the chart's schema refers to {uri}, which is not fetched (values are checked offline)"
ONLY_YAML = "only the YAML was checked"


@dataclass(frozen=True)
class ValuesProblem:
    line: int  # 1-based; 0 when it concerns the whole document
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def parse_values(text: str) -> tuple[Any, ValuesProblem | None]:
    """The YAML as data, or the first syntax problem with its line."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        started = exc.context_mark.line + 1 if exc.context_mark is not None else None
        started = started if started != line else None
        return None, ValuesProblem(line, plain_yaml_message(exc.problem, exc.context, started))
    except yaml.YAMLError as exc:
        return None, ValuesProblem(0, str(exc))
    except RecursionError:  # PyYAML builds nested values recursively: refuse what no chart needs
        return None, ValuesProblem(0, TOO_DEEP)
    if data is not None and not isinstance(data, dict):
        return None, ValuesProblem(1, "values must be a mapping (key: value lines), not a single value or a list")
    return data or {}, None


def schema_problems(text: str, schema_text: str | None, limit: int = 50) -> list[ValuesProblem]:
    """Problems against the chart's JSON schema (draft chosen by its $schema, else 2020-12's
    validator), each at the line of the value that breaks it. Nothing is fetched: a $ref to another
    document is one problem, as is a schema that breaks the validator (a $ref loop). Not bounded in
    time (a costly `pattern`): the window runs it in `schema_process`'s child."""
    data, problem = parse_values(text)
    if problem is not None:
        return [problem]
    if not schema_text:
        return []
    import jsonschema
    from referencing import Registry
    from referencing.exceptions import NoSuchResource, Unresolvable

    refused: list[str] = []

    def refuse(uri: str) -> NoReturn:
        refused.append(uri)
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs classes mypy cannot see through

    try:
        schema = json.loads(schema_text)
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema, registry=Registry(retrieve=refuse))  # type: ignore[call-arg]
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except Unresolvable as exc:
        if refused:
            return [ValuesProblem(0, f"{NOT_FETCHED.format(uri=refused[-1])}; {ONLY_YAML}")]
        return [_invalid(str(exc))]
    except RecursionError:
        return [_invalid("its $refs go round in a loop, or it nests too deeply")]
    except jsonschema.SchemaError as exc:
        return [_invalid(exc.message)]
    except Exception as exc:  # a schema the validator cannot take (a list, a keyword of the wrong type)
        return [_invalid(str(exc) or type(exc).__name__)]
    lines = _line_finder(text)
    problems = []
    for error in errors:
        path = list(error.absolute_path)
        where = ".".join(str(p) for p in path) or "(top level)"
        line_path = path
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            allowed = set(schema.get("properties", {}))
            extra = next((key for key in error.instance if key not in allowed), None)
            line_path = [*path, extra] if extra is not None else path  # point at the unexpected key
        problems.append(ValuesProblem(lines(line_path), f"{where}: {error.message}"))
        if len(problems) >= limit:
            break
    return sorted(problems, key=lambda p: p.line)


def _invalid(reason: str) -> ValuesProblem:
    first = reason.strip().splitlines()[0] if reason.strip() else "the validator refused it"
    if len(first) > 200:
        first = first[:199] + "…"
    return ValuesProblem(0, f"{SCHEMA_INVALID}: {first}; {ONLY_YAML}")


def _line_finder(text: str) -> Any:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None

    def find(path: Sequence[Any]) -> int:
        node = root
        line = 1
        for part in path:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
                if match is None:
                    break
                line = match[0].start_mark.line + 1
                node = match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    return find


def values_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    """A unified diff, empty when the two texts are the same."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), before_label, after_label
        )
    )


def override_values(defaults: str | None, current: str) -> str:
    """The override as a diff against the chart's defaults (what the user changed)."""
    return values_diff(defaults or "", current, "chart defaults", "this layer")
