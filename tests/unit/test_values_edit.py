"""Setting one value from the values form: only that value's text changes, comments, order and
quoting stay, and what is written reads back as the value set (Helm's YAML 1.1 reading included)."""

from __future__ import annotations

import tarfile

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.errors import ValidationError
from desktop.profiles.values_edit import MAX_TEXT, render_scalar, set_value
from tests.support.render_charts import EPINIO, REAL_CHARTS

VALUES = """\
# top comment
image:
  repository: rancher/epinio   # where it comes from
  tag: "v1.10.0"
server:
  # Disable tracking
  disableTracking: false
  traceLevel: 0
  empty:
ingress:
  annotations: {}
last: 1 # trailing
"""


def epinio_values() -> str:
    with tarfile.open(REAL_CHARTS / EPINIO) as archive:
        member = archive.extractfile("epinio/values.yaml")
        assert member is not None
        return member.read().decode()


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b]


def test_a_changed_value_keeps_every_comment_key_order_and_quote() -> None:
    after = set_value(VALUES, ["server", "disableTracking"], True)
    assert after == VALUES.replace("disableTracking: false", "disableTracking: true")
    after = set_value(after, ["image", "tag"], "v1.11.0")
    assert 'tag: "v1.11.0"' in after  # the user's quotes kept
    after = set_value(after, ["image", "repository"], "rancher/other")
    assert "  repository: rancher/other   # where it comes from\n" in after
    assert yaml.safe_load(after)["image"] == {"repository": "rancher/other", "tag": "v1.11.0"}


def test_missing_keys_are_added_under_their_mapping_at_its_indentation() -> None:
    after = set_value(VALUES, ["server", "timeoutMultiplier"], 3)
    assert "  traceLevel: 0\n  empty:\n  timeoutMultiplier: 3\ningress:" in after
    after = set_value(after, ["dex", "configSecret", "create"], False)
    assert after.endswith("last: 1 # trailing\ndex:\n  configSecret:\n    create: false\n")
    after = set_value(after, ["ingress", "annotations", "a"], "b")
    assert "ingress:\n  annotations:\n    a: b\nlast: 1" in after
    after = set_value(after, ["server", "empty", "x"], 1)
    assert "  empty:\n    x: 1\n" in after
    data = yaml.safe_load(after)
    assert data["server"] == {"disableTracking": False, "traceLevel": 0, "empty": {"x": 1}, "timeoutMultiplier": 3}
    assert list(data) == ["image", "server", "ingress", "last", "dex"]
    assert after.startswith("# top comment\n")


def test_epinio_values_change_in_one_line_and_follow_its_indentation() -> None:
    text = epinio_values()
    after = set_value(text, ["server", "disableTracking"], True)
    assert changed_lines(text, after) == [("  disableTracking: false", "  disableTracking: true")]
    assert len(after) == len(text) - 1  # "true" for "false", nothing else
    after = set_value(text, ["s3", "useSSL"], True)
    assert yaml.safe_load(after)["s3"]["useSSL"] is True
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == [
        line for line in after.splitlines() if line.lstrip().startswith("#")
    ]


@pytest.mark.parametrize(
    ("text", "path", "says"),
    [
        ("a: [1\n", ["a"], "not valid YAML"),
        ("- 1\n", ["a"], "not a block mapping"),
        ("a: 1\n", ["a", "b"], "a is not a mapping"),
        ("a: {b: 1}\n", ["a", "c"], "flow style"),
        ("a:\n  b: 1\n", ["a"], "holds a mapping or list"),
        ("x: &k 1\ny: *k\n", ["y"], "alias"),
        ("a: " + "[" * 5000 + "\n", ["a"], "nested too deeply"),
        ("a: " + "b" * MAX_TEXT + "\n", ["a"], "over 2 MiB"),
        ("a: 1\n", [], "keys deep"),
    ],
)
def test_what_cannot_take_a_value_says_so_in_one_line(text: str, path: list[str], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        set_value(text, path, 1)
    assert says in caught.value.message and "\n" not in caught.value.message


def test_an_empty_text_becomes_the_value_alone() -> None:
    assert set_value("", ["a", "b"], True) == "a:\n  b: true\n"
    assert set_value("# only a comment\n", ["a"], "x") == "# only a comment\na: x\n"


@pytest.mark.parametrize(
    "value", ["yes", "on", "NO", "y", "1:20", "012", "null", "", " a", "1e3", "#x", "a: b", 1e16, 1e-7]
)
def test_strings_helm_would_read_as_something_else_are_quoted(value: str | float) -> None:
    assert yaml.safe_load(f"k: {render_scalar(value)}")["k"] == value
    if isinstance(value, str) and value.lower() in ("y", "n", "yes", "on", "no"):
        assert render_scalar(value).startswith('"')


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
keys = st.text(min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(path=st.lists(keys, min_size=1, max_size=4), value=scalars, base=st.sampled_from([VALUES, "", "a: 1\n"]))
def test_a_value_set_reads_back_as_set_and_leaves_the_rest(path: list[str], value: object, base: str) -> None:
    try:
        after = set_value(base, path, value)  # type: ignore[arg-type]
    except ValidationError:
        return  # the path runs through a value that is not a mapping
    data = yaml.safe_load(after)
    node = data
    for key in path:
        node = node[key]
    assert node == value
    before = yaml.safe_load(base) or {}
    for key, kept in before.items():
        if key != path[0]:
            assert data[key] == kept
    assert [line for line in base.splitlines() if line.lstrip().startswith("#")] == [
        line for line in after.splitlines() if line.lstrip().startswith("#")
    ]
