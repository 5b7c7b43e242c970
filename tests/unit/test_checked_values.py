"""A layer's values as the window checks them: variables substituted first, a problem's line the line
typed even after a multiline value added lines, an undefined reference left out of the YAML checked."""

from __future__ import annotations

from desktop.profiles.checked_values import checked_values
from desktop.profiles.model import ProfileVariable
from desktop.profiles.values import ValuesProblem, parse_values

CERT = ProfileVariable("cert", input_type="multiline", default_value="|\n    line one\n    line two")


def test_a_problem_after_a_multiline_value_is_at_the_line_typed() -> None:
    typed = "tls:\n  cert: {{.spectro.var.cert}}\nbroken: b: c\n"
    checked = checked_values(typed, [CERT])
    assert checked.text == "tls:\n  cert: |\n    line one\n    line two\nbroken: b: c\n"
    _, problem = parse_values(checked.text)
    assert problem is not None and problem.line > 3  # in the substituted text, below the value's lines
    assert checked.mapped([problem])[0].line == 3 == checked.typed_line(problem.line)
    assert checked.notes and checked.notes[0].startswith("{{.spectro.var.cert}} takes its default")


def test_an_undefined_name_is_a_problem_and_not_also_a_yaml_error() -> None:
    checked = checked_values("a: 1\nb: {{.spectro.var.nope}}\n", [CERT])
    assert [p.line for p in checked.problems] == [2]
    assert "names no variable of this profile" in checked.problems[0].message
    assert checked.text == "a: 1\nb: \n" and parse_values(checked.text)[1] is None
    assert checked.typed_line(2) == 2 and checked.mapped([ValuesProblem(0, "x")])[0].line == 0


def test_a_test_value_replaces_the_default() -> None:
    domain = ProfileVariable("domain", default_value="a.example.org")
    checked = checked_values("host: {{.spectro.var.domain}}\n", [domain], {"domain": "b.example.org"})
    assert checked.text == "host: b.example.org\n" and checked.problems == []
