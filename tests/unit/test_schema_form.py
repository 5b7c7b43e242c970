"""The values form read from a chart's schema: epinio's real one gives its groups, check boxes and
numbers; hostile schemas give a bounded form or one line, quickly, with nothing run or fetched."""

from __future__ import annotations

import json
import tarfile
import time

import pytest

from desktop.profiles.schema_form import MAX_DEPTH, MAX_FIELDS, build_form, problems_by_field
from desktop.profiles.values import ValuesProblem, schema_problems
from tests.support.render_charts import EPINIO, REAL_CHARTS


def epinio(name: str) -> str:
    with tarfile.open(REAL_CHARTS / EPINIO) as archive:
        member = archive.extractfile(f"epinio/{name}")
        assert member is not None
        return member.read().decode()


def test_epinios_schema_gives_its_groups_booleans_numbers_and_required_fields() -> None:
    form = build_form(epinio("values.schema.json"))
    assert form.problem is None
    kinds = {f.dotted: f.kind for f in form.fields}
    assert kinds["server"] == "group" and kinds["image.epinio"] == "group"
    assert kinds["server.disableTracking"] == "boolean"
    assert kinds["server.timeoutMultiplier"] == "integer"
    assert kinds["server.accessControlAllowOrigin"] == "string"
    assert kinds["api.users"] == "other"  # a list: edited in the YAML
    assert kinds["ingress"] == "other"  # epinio's schema gives it no type
    by_path = {f.dotted: f for f in form.fields}
    assert by_path["s3.endpoint"].required and not by_path["s3.region"].required
    assert by_path["server"].description == "server configuration"
    assert by_path["api.adminPassword"].description == "The cleartext password for the 'admin' user"
    order = [f.dotted for f in form.fields]
    assert order.index("server") < order.index("server.timeoutMultiplier") < order.index("ingress")
    assert len(form.fields) == 105 and form.notes == ()


def test_enums_bounds_refs_and_all_of() -> None:
    schema = {
        "$defs": {"port": {"type": "integer", "minimum": 1, "exclusiveMaximum": 65536, "description": "a port"}},
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"enum": ["fast", "safe", 3]},
            "port": {"$ref": "#/$defs/port"},
            "ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "both": {"allOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": {"type": "boolean"}}}]},
            "remote": {"$ref": "https://example.com/s.json"},
        },
    }
    form = build_form(json.dumps(schema))
    by_path = {f.dotted: f for f in form.fields}
    assert (
        by_path["mode"].kind == "choice" and by_path["mode"].choices == ("fast", "safe", 3) and by_path["mode"].required
    )
    port = by_path["port"]
    assert (port.kind, port.minimum, port.maximum, port.description) == ("integer", 1, 65535, "a port")
    assert (by_path["ratio"].kind, by_path["ratio"].maximum) == ("number", 1)
    assert by_path["both"].kind == "group" and by_path["both.b"].kind == "boolean"
    assert by_path["remote"].kind == "other"
    assert form.notes == (
        "remote: refers to https://example.com/s.json, which is not fetched; edit it in the Values tab.",
    )


def bounded(schema_text: str) -> tuple[object, float]:
    started = time.monotonic()
    form = build_form(schema_text)
    return form, time.monotonic() - started


def test_a_ref_loop_stops_at_once_and_says_where() -> None:
    looped = {
        "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
        "type": "object",
        "properties": {"x": {"$ref": "#/definitions/a"}, "tree": {"$ref": "#/definitions/node"}},
    }
    looped["definitions"]["node"] = {  # type: ignore[index]
        "type": "object",
        "properties": {"left": {"$ref": "#/definitions/node"}, "right": {"$ref": "#/definitions/node"}},
    }
    form, took = bounded(json.dumps(looped))
    assert took < 1
    by_path = {f.dotted: f for f in form.fields}  # type: ignore[attr-defined]
    assert by_path["x"].kind == "other" and by_path["tree"].kind == "group"
    assert by_path["tree.left"].kind == "other"  # a node in itself: not unfolded again
    assert "x: its $ref #/definitions/a goes round in a loop; edit it in the Values tab." in form.notes  # type: ignore[attr-defined]
    assert build_form(json.dumps({"$ref": "#"})).problem == (
        "The chart's schema is a $ref loop: edit its values in the Values tab."
    )


def test_ten_thousand_properties_give_a_bounded_form_and_one_line() -> None:
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(10_000)}}
    form, took = bounded(json.dumps(schema))
    assert took < 2
    assert len(form.fields) == MAX_FIELDS  # type: ignore[attr-defined]
    assert form.notes[0] == "The schema has more than 1,000 fields: the form shows the first 1,000."  # type: ignore[attr-defined]


def test_deep_nesting_stops_at_the_forms_depth() -> None:
    schema: dict[str, object] = {"type": "string"}
    for _ in range(200):
        schema = {"type": "object", "properties": {"n": schema}}
    form, took = bounded(json.dumps(schema))
    assert took < 1
    assert max(len(f.path) for f in form.fields) == MAX_DEPTH  # type: ignore[attr-defined]
    deep = "[" * 100_000 + "]" * 100_000
    assert (
        build_form(deep).problem
        == "The chart's schema is not JSON the form can read: edit its values in the Values tab."
    )


def test_a_catastrophic_pattern_is_never_run_by_the_form() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}}
    form, took = bounded(json.dumps(schema))
    assert took < 0.5 and [f.kind for f in form.fields] == ["string"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "The chart ships no values.schema.json: edit its values in the Values tab."),
        ("[1, 2]", "The chart's schema names no values: edit its values in the Values tab."),
        ("{not json", "The chart's schema is not JSON the form can read: edit its values in the Values tab."),
        (
            '{"$ref": "other.json"}',
            "The chart's schema is at other.json, not fetched: edit its values in the Values tab.",
        ),
    ],
)
def test_schemas_that_give_no_form_say_so_in_one_line(text: str | None, problem: str) -> None:
    assert build_form(text).problem == problem


# epinio's $schema is https://json-schema.org/draft-07/schema#, which jsonschema does not know (only
# http://): it warns and validates with the latest draft, as the window's checker child does.
@pytest.mark.filterwarnings("ignore:The metaschema specified by:DeprecationWarning")
def test_the_checkers_problems_land_on_their_fields() -> None:
    schema = epinio("values.schema.json")
    form = build_form(schema)
    values = "server:\n  disableTracking: maybe\n  traceLevel: 1\ns3:\n  bucket: b\n"
    problems = schema_problems(values, schema)
    marked = problems_by_field(form, problems)
    assert marked[("server", "disableTracking")] == ["'maybe' is not of type 'boolean'"]
    assert marked[("s3", "endpoint")] == ["required: endpoint is not set"]
    assert ("server", "traceLevel") not in marked
    assert problems_by_field(form, [ValuesProblem(0, "the chart's schema took longer than 5 s")]) == {}
