"""A layer's values: YAML problems and schema problems point at their line; diffs show changes; a chart's
schema fetches nothing and a broken one is one problem."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from desktop.profiles.values import ValuesProblem, override_values, parse_values, schema_problems, values_diff
from tests.support.hostile_server import Behaviour, HostileServer
from tests.support.repo_server import RepoServer

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
    assert len(problems) == 1 and problems[0].message.startswith("the chart's schema is invalid: ")


def test_diffs() -> None:
    assert values_diff("a: 1\n", "a: 1\n", "x", "y") == ""
    diff = override_values("replicaCount: 1\nimage: nginx\n", "replicaCount: 3\nimage: nginx\n")
    assert "-replicaCount: 1" in diff and "+replicaCount: 3" in diff and "--- chart defaults" in diff


# --- a chart's schema never reaches the network, and a broken one is one line (issue 24) ------------


def test_a_remote_ref_is_one_problem_and_nothing_is_fetched(make_repo: Callable[..., RepoServer]) -> None:
    repo = make_repo()
    repo.put("/name.json", json.dumps({"type": "string"}).encode())  # fetched, it would fail `name: 1`
    schemas = [
        {"properties": {"name": {"$ref": f"{repo.url}/name.json"}}},
        {"$id": f"{repo.url}/root.json", "properties": {"name": {"$ref": "name.json"}}},  # relative to its $id
    ]
    for schema in schemas:
        problems = schema_problems("name: 1\n", json.dumps(schema))
        assert [str(p) for p in problems] == [
            f"the chart's schema refers to {repo.url}/name.json, which is not fetched (values are checked offline);"
            " only the YAML was checked"
        ]
    assert repo.requests == []


def test_a_ref_to_a_server_that_never_answers_does_not_wait_for_it() -> None:
    server = HostileServer()
    server.paths["/never.json"] = Behaviour(stall=True)
    server.start()
    try:
        answer: list[list[ValuesProblem]] = []
        schema = json.dumps({"properties": {"name": {"$ref": f"{server.url}/never.json"}}})
        thread = threading.Thread(target=lambda: answer.append(schema_problems("name: 1\n", schema)), daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), "the check waited for the server"
        assert "which is not fetched" in answer[0][0].message and server.requests == []
    finally:
        server.stop()


def test_a_schema_that_refers_to_itself_is_invalid_in_one_line() -> None:
    loops = [
        {"$ref": "#"},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},  # a → b → a
        {
            "definitions": {
                "a": {"properties": {"x": {"$ref": "#/definitions/b"}}, "$ref": "#/definitions/b"},
                "b": {"$ref": "#/definitions/a"},
            },
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$ref": "#/definitions/a",
        },
    ]
    for schema in loops:
        problems = schema_problems("a: 1\n", json.dumps(schema))
        assert [p.message for p in problems] == [
            "the chart's schema is invalid: its $refs go round in a loop, or it nests too deeply;"
            " only the YAML was checked"
        ], schema


def test_other_schemas_the_validator_cannot_take_are_invalid_in_one_line() -> None:
    for schema, reason in [
        ({"$ref": "#/$defs/missing"}, "'/$defs/missing' does not exist"),
        ([{"type": "object"}], "is not of type 'object', 'boolean'"),
        ({"type": 12}, "12 is not valid under any of the given schemas"),
    ]:
        problems = schema_problems("a: 1\n", json.dumps(schema))
        assert len(problems) == 1 and problems[0].line == 0, schema
        message = problems[0].message
        assert message.startswith("the chart's schema is invalid: ") and reason in message and "\n" not in message
