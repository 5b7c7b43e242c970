"""Profile variables: Palette's rules for defining them, `{{.spectro.var.NAME}}` substituted into a
layer's values (defaults, test values, fixed and sensitive variables, names no variable has), and
their JSON shapes read back as written."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.errors import ValidationError
from desktop.profiles.model import MASK, Layer, Profile, ProfileVariable, VariableOption
from desktop.profiles.variable_documents import (
    palette_variable,
    read_palette_variables,
    read_variable_fields,
    variables_document,
)
from desktop.profiles.variables import (
    layer_variable_problems,
    override_with_variables,
    parse_test_values,
    regex_unsafe,
    substitute_variables,
    undefined_references,
    validate_variables,
    value_problem,
    variable_problems,
)
from tests.support.exports import palette_variables


def var(name: str = "host", **fields: object) -> ProfileVariable:
    fields.setdefault("display_name", name.title())
    return ProfileVariable(name, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ((var("a"), var("a", display_name="Other")), "'a' is defined twice"),
        ((var("a", display_name="Same"), var("b", display_name="Same")), "has the display name 'Same' of variable 'a'"),
        ((var("a", required=True),), "is required, so it needs a default value"),
        ((var("a", regex="^[0-9]+$", default_value="abc"),), "its default 'abc' does not match the regex ^[0-9]+$"),
        ((var("a", regex="(", default_value="x"),), "its regex is not a valid regular expression"),
        ((var("a", format="number", default_value="many"),), "its default 'many' is not a number"),
        ((var("a", format="boolean", default_value="yes"),), "is not true or false"),
        ((var("a", format="ipv4", default_value="10.0.0.256"),), "is not an IPv4 address"),
        ((var("a", format="ipv4cidr", default_value="10.0.0.1"),), "is not an IPv4 CIDR"),
        ((var("a", format="ipv6", default_value="10.0.0.1"),), "is not an IPv6 address"),
        ((var("a", format="version", default_value="one"),), "is not a version"),
        ((var("a", format="base64", default_value="no!"),), "is not base64"),
        ((var("a", format="date"),), "'date' is not a format"),
        ((var("a", input_type="radio"),), "'radio' is not an input type"),
        ((var("a", input_type="dropdown"),), "is a dropdown without options"),
        ((var("a", options=(VariableOption("x"),)),), "has options but is not a dropdown"),
        ((var("a", input_type="dropdown", default_value="z", options=(VariableOption("x"),)),), "none of the drop"),
        ((var("a", default_value="one\ntwo"),), "only a multiline variable's value may"),
        ((var("my-var"),), "a variable name uses letters, digits and '_'"),
        ((var("1st"),), "a variable name uses letters, digits and '_'"),
        ((var("a", is_sensitive=True, format="number", default_value="s3cret"),), "its default is not a number"),
    ],
)
def test_each_of_palettes_rules_refuses_in_one_line(variables: tuple[ProfileVariable, ...], expected: str) -> None:
    problems = variable_problems(variables)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(ValidationError) as refused:
        validate_variables(variables)
    assert "\n" not in refused.value.message
    assert "s3cret" not in " ".join(problems)  # a sensitive default is never quoted


def test_variables_that_keep_the_rules_pass() -> None:
    good = (
        var("host", required=True, default_value="web.example", regex="^[a-z.]+$"),
        var("port", format="number", default_value="8080"),
        var("on", format="boolean", default_value="true"),
        var("net", format="ipv4cidr", default_value="10.0.0.0/16"),
        var("v6", format="ipv6", default_value="fd00::1"),
        var("tag", format="version", default_value="1.2.3"),
        var("blob", format="base64", default_value="aGk="),
        var("motd", input_type="multiline", default_value="a\nb"),
        var("size", input_type="dropdown", options=(VariableOption("s", "Small"), VariableOption("l", default=True))),
        var("empty"),
    )
    assert variable_problems(good) == []
    assert good[8].default() == "l"  # a dropdown without a default takes the option marked default


def test_a_pattern_that_backtracks_without_end_is_not_run() -> None:
    risky = var("a", regex="^(a+)+$", default_value="a" * 40 + "!")
    assert regex_unsafe(risky.regex) and not regex_unsafe("^[a-z0-9.-]+$")
    started = time.monotonic()
    assert value_problem(risky, risky.default_value) is None  # not checked here: Palette's engine checks it
    assert time.monotonic() - started < 1


def test_defaults_are_substituted_and_each_says_so() -> None:
    variables = (
        var("host", default_value="web.example"),
        var("secret", is_sensitive=True, default_value="s3cret"),
        var("empty"),
    )
    text = (
        'host: "{{.spectro.var.host}}"\nalso: {{ .spectro.var.host }}\n'
        'pw: {{.spectro.var.secret}}\ne: "{{.spectro.var.empty}}"\n'
    )
    result = substitute_variables(text, variables)
    assert result.text == 'host: "web.example"\nalso: web.example\npw: s3cret\ne: ""\n'
    assert result.problems == []
    assert result.notes == [
        "{{.spectro.var.host}} takes its default 'web.example'",
        "{{.spectro.var.secret}} takes its default (sensitive, not shown)",
        "{{.spectro.var.empty}} has no default: it is left empty",
    ]
    assert "s3cret" not in " ".join(result.notes)


def test_test_values_replace_defaults_except_for_fixed_variables() -> None:
    variables = (
        var("host", default_value="web.example", regex="^[a-z.]+$"),
        var("replicas", immutable=True, default_value="3", format="number"),
        var("cidr", hidden=True, default_value="10.0.0.0/16"),
    )
    text = "h: {{.spectro.var.host}}\nr: {{.spectro.var.replicas}}\nc: {{.spectro.var.cidr}}\n"
    result = substitute_variables(text, variables, {"host": "lab.example", "replicas": "9", "cidr": "x"})
    assert result.text == "h: lab.example\nr: 3\nc: 10.0.0.0/16\n"
    assert "{{.spectro.var.host}} takes the test value 'lab.example'" in result.notes
    assert any("replicas}}: the test value is not used, the variable is immutable" in n for n in result.notes)
    assert any("cidr}}: the test value is not used, the variable is hidden" in n for n in result.notes)
    wrong = substitute_variables(text, variables, {"host": "UPPER"})
    assert [str(p) for p in wrong.problems] == [
        "line 1: {{.spectro.var.host}}: the test value 'UPPER' does not match the regex ^[a-z.]+$"
    ]


def test_a_name_no_variable_has_is_a_problem_at_its_line() -> None:
    text = "a: 1\nb: '{{.spectro.var.hots}}'\nc: {{.spectro.var.host\n"
    result = substitute_variables(text, (var("host", default_value="x"),))
    assert [str(p) for p in result.problems] == [
        "line 2: {{.spectro.var.hots}} names no variable of this profile: define it, or correct the name",
        "line 3: a {{.spectro.var.…}} reference is not closed with }}",
    ]
    profile = Profile("", "p", layers=(Layer("u", "r", "https://r.example", "web", "1.0.0", values_override=text),))
    assert undefined_references(profile)[0].startswith("layer web: line 2: {{.spectro.var.hots}} names no variable")
    assert [len(found) for found in layer_variable_problems(profile)] == [2]


def test_a_masked_sensitive_default_asks_for_a_test_value() -> None:
    secret = var("pw", is_sensitive=True, default_value=MASK)
    assert [str(p) for p in substitute_variables("p: {{.spectro.var.pw}}", (secret,)).problems] == [
        "line 1: {{.spectro.var.pw}}: its sensitive default was masked by the export: set a test value"
    ]
    given_value = substitute_variables("p: {{.spectro.var.pw}}", (secret,), {"pw": "real"})
    assert given_value.text == "p: real" and given_value.problems == []
    assert given_value.notes == ["{{.spectro.var.pw}} takes the test value (sensitive, not shown)"]


def test_the_diff_from_defaults_substitutes_first_and_says_so() -> None:
    diff, substitution = override_with_variables(
        "replicas: 1\n", "replicas: {{.spectro.var.n}}\n", (var("n", default_value="4"),)
    )
    assert "+replicas: 4" in diff and "+++ this layer, variables substituted" in diff
    assert substitution.notes == ["{{.spectro.var.n}} takes its default '4'"]


def test_test_values_name_variables_of_the_profile() -> None:
    variables = (var("host"),)
    assert parse_test_values(["host=a=b"], variables) == {"host": "a=b"}
    with pytest.raises(ValidationError, match="has no variable 'port'"):
        parse_test_values(["port=1"], variables)
    with pytest.raises(ValidationError, match="NAME=VALUE"):
        parse_test_values(["host"], variables)


def test_palettes_shape_reads_back_as_written() -> None:
    read = read_palette_variables(palette_variables())
    assert [palette_variable(v) for v in read] == palette_variables()
    assert read[1].masked_default and read[3].default() == "large" and read[2].fixed
    with pytest.raises(ValidationError, match="'isSensitive' is not true or false"):
        read_palette_variables([{"name": "a", "isSensitive": "yes"}])
    with pytest.raises(ValidationError, match="is required, so it needs a default value"):
        read_palette_variables([{"name": "a", "required": True}])


def test_the_catalogs_shape_keeps_a_sensitive_default_and_a_bundles_masks_it() -> None:
    secret = (var("pw", is_sensitive=True, default_value="s3cret"),)
    assert variables_document(secret)[0]["defaultValue"] == "s3cret"
    assert variables_document(secret, mask=True)[0]["defaultValue"] == MASK
    assert palette_variable(secret[0])["defaultValue"] == MASK


# --- round trips --------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
PLAIN = TEXT.filter(lambda text: "{{" not in text and "{" not in text[-1:])  # no reference starts in it


@st.composite
def variable_sets(draw: st.DrawFn) -> tuple[ProfileVariable, ...]:
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    return tuple(
        ProfileVariable(
            name,
            display_name=f"D {name}",
            description=draw(TEXT),
            default_value=draw(TEXT.filter(lambda t: "\n" not in t)),
            required=False,
            immutable=draw(st.booleans()),
            hidden=draw(st.booleans()),
            is_sensitive=draw(st.booleans()),
        )
        for name in names
    )


@given(variable_sets(), st.data())
def test_substitution_writes_each_value_where_its_reference_was(
    variables: tuple[ProfileVariable, ...], data: st.DataObject
) -> None:
    pieces = data.draw(st.lists(st.tuples(PLAIN, st.sampled_from(variables), st.booleans()), max_size=6))
    tail = data.draw(PLAIN)
    text = (
        "".join(
            f"{plain}{{{{ .spectro.var.{v.name} }}}}" if spaced else f"{plain}{{{{.spectro.var.{v.name}}}}}"
            for plain, v, spaced in pieces
        )
        + tail
    )
    expected = "".join(plain + v.default_value for plain, v, _ in pieces) + tail
    result = substitute_variables(text, variables)
    assert result.text == expected
    assert result.problems == []
    assert len(result.notes) == len({v.name for _, v, _ in pieces})
    assert substitute_variables(expected, ()).text == expected  # nothing left to substitute


@given(variable_sets())
def test_stored_variables_read_back_as_they_were(variables: tuple[ProfileVariable, ...]) -> None:
    assert read_variable_fields(variables_document(variables), "stored") == variables
