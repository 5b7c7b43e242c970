"""A layer's values: YAML problems and schema problems point at their line; diffs show changes."""

from __future__ import annotations

import json

from desktop.profiles.values import override_values, parse_values, schema_problems, values_diff

SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "replicaCount": {"type": "integer", "minimum": 1},
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}, "required": ["tag"]},
            "ports": {"type": "array", "items": {"type": "integer"}},
        },
        "additionalProperties": False,
    }
)


def test_a_yaml_error_names_its_line() -> None:
    _, problem = parse_values("a: 1\nb: [1, 2\nc: 3\n")
    assert problem is not None and problem.line == 3


def test_values_must_be_a_mapping() -> None:
    _, problem = parse_values("- just\n- a list\n")
    assert problem is not None and "must be a mapping" in problem.message


def test_schema_errors_point_at_the_offending_lines() -> None:
    text = "replicaCount: 0\nimage:\n  repository: nginx\nports:\n  - 80\n  - http\nextra: true\n"
    problems = [(p.line, p.message) for p in schema_problems(text, SCHEMA)]
    assert (1, "replicaCount: 0 is less than the minimum of 1") in problems
    assert (2, "image: 'tag' is a required property") in problems
    assert (6, "ports.1: 'http' is not of type 'integer'") in problems
    assert (7, "(top level): Additional properties are not allowed ('extra' was unexpected)") in problems
    assert schema_problems("replicaCount: 2\nimage:\n  tag: '1.0'\n", SCHEMA) == []


def test_a_broken_schema_is_reported_not_raised() -> None:
    problems = schema_problems("a: 1\n", '{"type": 12}')
    assert len(problems) == 1 and "values.schema.json is itself invalid" in problems[0].message


def test_diffs() -> None:
    assert values_diff("a: 1\n", "a: 1\n", "x", "y") == ""
    diff = override_values("replicaCount: 1\nimage: nginx\n", "replicaCount: 3\nimage: nginx\n")
    assert "-replicaCount: 1" in diff and "+replicaCount: 3" in diff and "--- chart defaults" in diff
