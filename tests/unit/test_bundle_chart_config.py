"""Chart.yaml read as Helm reads it, written as Go writes it (the integration tests compare with real `helm push`)."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.bundle.chart_config import chart_config, go_sanitize
from desktop.bundle.errors import ChartArtifactError
from desktop.bundle.go_json import GoFloat, Struct, format_float32_g, format_float64, marshal, quote
from desktop.bundle.go_yaml import resolve_plain
from desktop.bundle.helm_artifact import build_chart_artifact, helm_created, oci_tag
from tests.support.bundle_files import stable_archive


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.10", 1.1),
        ("010", 8),
        ("0x1F", 31),
        ("0o17", 15),
        ("-0b101", -5),
        ("08", 8.0),
        ("1_000", 1000),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("yes", True),
        ("n", False),
        ("Off", False),
        ("~", None),
        ("", None),
        ("2001-12-14", "2001-12-14"),
        ("1e400", "1e400"),
        ("v1.2.3", "v1.2.3"),
        ("1.2.3", "1.2.3"),
        ("18446744073709551615", 18446744073709551615),
        ("-9223372036854775809", -9.223372036854776e18),
    ],
)
def test_plain_scalars_are_typed_as_go_yaml_v2_types_them(text: str, value: object) -> None:
    resolved = resolve_plain(text)
    assert resolved == value and isinstance(resolved, type(value))


def config(chart_yaml: str, requirements: str | None = None) -> dict:
    return json.loads(chart_config(chart_yaml, requirements).blob)


def test_numbers_and_booleans_in_text_fields_become_helms_text() -> None:
    got = config(
        "apiVersion: v2\nname: demo\nversion: 1.0\nappVersion: 1.10\ndescription: yes\n"
        "keywords: [1, 2.50, on, ~, 0x1F, 3.14159265358979, 1e7]\nannotations: {num: 1.5, flag: off, none: ~}\n"
    )
    assert got["version"] == "1" and got["appVersion"] == "1.1" and got["description"] == "true"
    assert got["keywords"] == ["1", "2.5", "true", "", "31", "3.1415927", "1e+07"]
    assert got["annotations"] == {"flag": "false", "none": "", "num": "1.5"}


def test_fields_follow_helms_struct_order_and_empty_ones_are_left_out() -> None:
    blob = chart_config(
        "type: application\nname: demo\nversion: 0.1.0\nkeywords: []\nannotations: {}\nicon: ''\n"
        "deprecated: false\nHome: https://example.test\nunknown: {x: 1}\n"
    ).blob
    assert (
        blob
        == b'{"name":"demo","home":"https://example.test","version":"0.1.0","apiVersion":"v1","type":"application"}'
    )


def test_text_is_sanitised_and_escaped_like_go() -> None:
    blob = chart_config(
        'apiVersion: v2\nname: demo\nversion: 0.1.0\ndescription: "a\\tb\\nc <&> \\u2028 \\x01"\n'
        'annotations: {note: "bell\\b <x>"}\n'
    ).blob
    assert b'"description":"a b c \\u003c\\u0026\\u003e   "' in blob
    assert b'"annotations":{"note":"bell\\b \\u003cx\\u003e"}' in blob
    assert go_sanitize("x\u001cy\u00a0z\u200bw") == "xy zw"  # U+001C is no space in Go; U+200B is not printable


def test_requirements_yaml_is_merged_and_dependencies_keep_their_fields() -> None:
    got = config(
        "name: old\nversion: 1.0.0\n",
        "dependencies:\n- name: db\n  version: ~1.0\n  repository: https://charts.example.test\n"
        "  import-values: [data, {child: a, parent: 1}]\n  enabled: yes\n",
    )
    assert got["apiVersion"] == "v1"
    assert got["dependencies"] == [
        {
            "name": "db",
            "version": "~1.0",
            "repository": "https://charts.example.test",
            "enabled": True,
            "import-values": ["data", {"child": "a", "parent": 1}],
        }
    ]
    assert config("name: x\nversion: 1.0.0\ndependencies: [{name: d}]\n")["dependencies"] == [
        {"name": "d", "repository": ""}
    ]


def test_merge_keys_and_aliases_are_read_as_go_yaml_reads_them() -> None:
    got = config("base: &b {description: shared, home: h}\nname: demo\nversion: 1.0.0\n<<: *b\ndescription: own\n")
    assert (got["description"], got["home"]) == ("own", "h")


@pytest.mark.parametrize(
    ("chart_yaml", "reason"),
    [
        ("version: 1.0.0\n", "name is required"),
        ("name: demo\n", "version is required"),
        ("name: demo\nversion: one\n", "not a valid SemVer"),
        ("name: a/b\nversion: 1.0.0\n", "not allowed"),
        ("name: demo\nversion: 1.0.0\ntype: plugin\n", "type must be application or library"),
        ("name: demo\nversion: 1.0.0\nmaintainers: [~]\n", "null nodes"),
        ("name: demo\nversion: 1.0.0\ndependencies: [{name: a}, {name: b, alias: a}]\n", "more than one dependency"),
        ("name: demo\nversion: 1.0.0\ndependencies: [{name: a, alias: 'x y'}]\n", "disallowed characters"),
        ("name: [demo]\nversion: 1.0.0\n", "name must be text"),
        ("name: demo\nversion: 1.0.0\ndeprecated: 'true'\n", "deprecated must be true or false"),
        ("name: demo\nversion: 1.0.0\nextra: .nan\n", "NaN"),
        ("- just\n- a list\n", "not a mapping"),
        ("name: demo\nversion: [1\n", "not valid YAML"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "excessive aliasing",
        ),
    ],
)
def test_charts_helm_refuses_are_refused_with_its_reason(chart_yaml: str, reason: str) -> None:
    with pytest.raises(ChartArtifactError, match=reason):
        chart_config(chart_yaml)


def test_the_artifact_is_helms_manifest() -> None:
    archive = stable_archive("demo", "1.2.3+build.7")
    chart = build_chart_artifact(archive, b"provenance", "2025-03-04T05:06:07.123456789+01:00")
    manifest = json.loads(chart.artifact.manifest)
    assert list(manifest) == ["schemaVersion", "config", "layers", "annotations"]
    assert [layer["digest"] for layer in manifest["layers"]] == sorted(layer["digest"] for layer in manifest["layers"])
    assert manifest["annotations"] == {
        "org.opencontainers.image.created": "2025-03-04T04:06:07Z",
        "org.opencontainers.image.title": "demo",
        "org.opencontainers.image.version": "1.2.3+build.7",
    }
    assert chart.tag == oci_tag("1.2.3+build.7") == "1.2.3_build.7"
    with pytest.raises(ChartArtifactError, match="not an RFC 3339 date"):
        build_chart_artifact(archive, None, "yesterday")
    with pytest.raises(ChartArtifactError, match=r"no Chart\.yaml|not a gzip"):
        build_chart_artifact(b"not a chart", None, "2025-01-01T00:00:00Z")
    assert helm_created("2026-01-01") == "2026-01-01T00:00:00Z"


def test_go_json_writes_structs_maps_and_floats_as_go_does() -> None:
    value = Struct([("b", {"z": 1, "a": [GoFloat(1.0), GoFloat(1e21), GoFloat(1e-7), None, True]}), ("a", "é")])
    assert marshal(value) == '{"b":{"a":[1,1e+21,1e-7,null,true],"z":1},"a":"é"}'.encode()
    assert format_float32_g(1234567.0) == "1.234567e+06" and format_float32_g(1e39) == "+Inf"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_float64_text_reads_back_as_the_same_number(value: float) -> None:
    assert float(format_float64(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_go_float32_text_reads_back_as_the_same_float32(value: float) -> None:
    text = format_float32_g(value)
    assert struct.unpack("<f", struct.pack("<f", float(text)))[0] == value or (value == 0 and float(text) == 0)
    assert not math.isinf(float(text))


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_go_strings_are_json_that_reads_back_unchanged(text: str) -> None:
    encoded = quote(text)
    assert json.loads(encoded) == text
    assert not any(c in encoded for c in "<>&\u2028\u2029") and all(ord(c) >= 0x20 for c in encoded)
