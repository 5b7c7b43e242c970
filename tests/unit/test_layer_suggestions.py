"""What a new layer suggests and how values problems read: namespaces from the chart, YAML errors in
plain words at the right line."""

from __future__ import annotations

import pytest

from desktop.profiles.namespaces import namespace_from_name, suggested_namespace
from desktop.profiles.values import parse_values


def test_the_chart_declared_namespace_wins_then_the_charts_name() -> None:
    longhorn = {"annotations": {"catalog.cattle.io/namespace": "longhorn-system"}}
    assert suggested_namespace("longhorn", longhorn) == "longhorn-system"
    assert suggested_namespace("epinio", {"annotations": {"catalog.cattle.io/namespace": "Not Valid!"}}) == "epinio"
    assert suggested_namespace("cert-manager", {}) == "cert-manager"
    assert suggested_namespace("web", None) == "web"
    assert namespace_from_name("My_Chart.v2") == "my-chart-v2"
    assert namespace_from_name("___") == "default"
    assert len(namespace_from_name("a" * 100)) == 63


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("image:\n  tags: [1, 2\nreplicas: 3\n", 3, "list is not closed with ']'"),
        ("a: {x: 1\nb: 2\n", 2, "mapping is not closed"),
        ("image: repo: nginx\n", 1, "A second ':' on this line"),
        ("a:\n  b: 1\n c: 2\n", 3, "indentation does not match"),
        ("a:\n\tb: 1\n", 2, "tab character"),
        ('a: "abc\nb: 1\n', 3, "quoted text is not closed"),
        ("a: *base\n", 1, "anchor (&base) that is not defined"),
        ("a: 1\nb\nc: 2\n", 3, "key without ':'"),
        ('a: "\\q"\n', 1, "not an escape YAML knows"),
        ("a: @x\n", 1, "cannot start with @: put it in quotes"),
        ("a: !!python/object x\n", 1, "python/object is not allowed"),
    ],
)
def test_yaml_errors_read_in_plain_words(text: str, line: int, words: str) -> None:
    data, problem = parse_values(text)
    assert data is None and problem is not None
    assert problem.line == line
    assert words in problem.message
    assert "expected" not in problem.message.lower()  # not the parser's grammar


def test_an_unclosed_list_says_where_it_started() -> None:
    _, problem = parse_values("tags: [1, 2\nnext: 1\n")
    assert problem is not None and "(it starts on line 1)" in problem.message
