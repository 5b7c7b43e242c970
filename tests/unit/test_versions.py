"""Version parsing, ordering and constraints behave as Helm's (Masterminds semver v3) do: Masterminds' own
test tables as data, the issue's cases, clear refusals, and properties over any text."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import semantic_version
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.errors import ValidationError
from desktop.helm.constraint_grammar import MAX_CONSTRAINT_LENGTH, _rewrite_hyphen_ranges, parse_constraint
from desktop.helm.versions import ChartVersionNumber, VersionConstraint, newest_first, parse_version, pick_version

# Masterminds/semver's test tables, copied as data; the file names the commit they come from.
TABLES: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "masterminds_semver.json").read_text())


def _parsed(text: str) -> ChartVersionNumber:
    parsed = parse_version(text)
    assert parsed is not None, text
    return parsed


def _rows(*tables: str) -> list[Any]:
    return [pytest.param(*row, id=f"{table}:{row[0]}|{row[1]}") for table in tables for row in TABLES[table]]


# --- versions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["1.2.3", "1.10", "0.6", "1.24.001", "v1.2.3", "1", "1.0.0-rc.1", "103.0.2+up1.10.0", "1.0.0-alpha-1.x+build.7"],
)
def test_versions_helm_accepts_parse_and_keep_their_exact_text(text: str) -> None:
    assert _parsed(text).text == text


@pytest.mark.parametrize("text", ["latest", "1.2.3.4", "1.2.3-", "1.2.3-01", "", "1..2", "x1.2", "1.2.3+"])
def test_versions_helm_rejects_do_not_parse(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(("text", "invalid"), [pytest.param(*row, id=repr(row[0])) for row in TABLES["TestNewVersion"]])
def test_masterminds_version_table(text: str, invalid: bool) -> None:
    """NewVersion's table in its coercing mode, the mode Helm uses for chart versions."""
    assert (parse_version(text) is None) is invalid


@pytest.mark.parametrize("text", TABLES["TestOriginal"])
def test_masterminds_original_text_is_kept(text: str) -> None:
    assert _parsed(text).text == text


@pytest.mark.parametrize(("text", "expected"), [pytest.param(*row, id=row[0]) for row in TABLES["TestCoerceString"]])
def test_masterminds_coerced_parts(text: str, expected: str) -> None:
    v = _parsed(text)
    shown = f"{v.major}.{v.minor}.{v.patch}" + (f"-{'.'.join(v.prerelease)}" if v.prerelease else "")
    assert shown + (f"+{v.build}" if v.build else "") == expected


@pytest.mark.parametrize(("identifiers", "valid"), TABLES["TestValidatePrerelease"])
def test_masterminds_prerelease_identifiers(identifiers: str, valid: bool) -> None:
    assert (parse_version(f"1.2.3-{identifiers}") is not None) is valid


@pytest.mark.parametrize(("metadata", "valid"), TABLES["TestValidateMetadata"])
def test_masterminds_build_metadata(metadata: str, valid: bool) -> None:
    assert (parse_version(f"1.2.3+{metadata}") is not None) is valid


def _compare(a: str, b: str) -> int:
    first, second = _parsed(a).precedence, _parsed(b).precedence
    return (first > second) - (first < second)


_RELATIONS = {
    "TestCompare": lambda c: c,
    "TestLessThan": lambda c: c < 0,
    "TestLessThanEqual": lambda c: c <= 0,
    "TestGreaterThan": lambda c: c > 0,
    "TestGreaterThanEqual": lambda c: c >= 0,
    "TestEqual": lambda c: c == 0,
}


@pytest.mark.parametrize(
    ("table", "first", "second", "expected"),
    [pytest.param(table, *row, id=f"{table}:{row[0]}|{row[1]}") for table in _RELATIONS for row in TABLES[table]],
)
def test_masterminds_comparison_tables(table: str, first: str, second: str, expected: Any) -> None:
    assert _RELATIONS[table](_compare(first, second)) == expected


def test_masterminds_collection_sorts_oldest_first_when_reversed() -> None:
    raw, expected = TABLES["TestCollection"]
    ordered = list(reversed(newest_first([_parsed(t) for t in raw])))
    assert [f"{v.major}.{v.minor}.{v.patch}" for v in ordered] == expected


def test_short_versions_fill_in_zeros() -> None:
    parsed = _parsed("0.6")
    assert (parsed.major, parsed.minor, parsed.patch) == (0, 6, 0)


def test_order_is_semver_precedence_newest_first() -> None:
    texts = ["1.0.0", "1.0.0-rc.1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2"]
    texts += ["1.0.0-beta.11", "2.0.0", "1.10.0", "1.9.0", "0.6"]
    ordered = [v.text for v in newest_first([_parsed(t) for t in texts])]
    assert ordered == [
        "2.0.0",
        "1.10.0",
        "1.9.0",
        "1.0.0",
        "1.0.0-rc.1",
        "1.0.0-beta.11",
        "1.0.0-beta.2",
        "1.0.0-beta",
        "1.0.0-alpha.beta",
        "1.0.0-alpha.1",
        "1.0.0-alpha",
        "0.6",
    ]


def test_a_numeric_identifier_too_large_for_64_bits_compares_as_text_as_in_masterminds() -> None:
    assert _compare("1.0.0-100000000000000000000", "1.0.0-99999999999999999999") < 0  # "1…" < "9…" as text
    assert _compare("1.0.0-18446744073709551615", "1.0.0-9") > 0  # still a number


def test_order_agrees_with_semantic_version_on_random_versions() -> None:
    """A second, independent implementation of SemVer 2.0 precedence as a cross-check."""
    rng = random.Random(7)
    words = ["alpha", "beta", "rc", "1", "2", "11", "x-y"]
    texts: set[str] = set()
    while len(texts) < 400:
        text = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 5)}"
        if rng.random() < 0.5:
            text += "-" + ".".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        texts.add(text)
    ours = [v.text for v in newest_first([_parsed(t) for t in texts])]
    library = sorted(texts, key=semantic_version.Version, reverse=True)
    assert [semantic_version.Version(t) for t in ours] == [semantic_version.Version(t) for t in library]


# --- constraints: Masterminds' tables -------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    _rows("TestConstraintCheck", "TestConstraintsCheck", "TestConstraintsValidate", "TestConstraintsValidate.tests2"),
)
def test_masterminds_constraint_tables(constraint: str, version: str, expected: bool) -> None:
    # TestConstraintCheck checks single comparisons, where an empty one means `*`; a whole
    # constraint that is empty is refused (test_an_empty_constraint_is_refused).
    assert VersionConstraint(constraint or "*").allows(_parsed(version)) is expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    _rows(
        "TestConstraintsCheckIncludePrerelease",
        "TestConstraintsValidateIncludePrerelease",
        "TestConstraintsValidateIncludePrerelease.tests2",
    ),
)
def test_masterminds_constraint_tables_including_prereleases(constraint: str, version: str, expected: bool) -> None:
    assert VersionConstraint(constraint, include_prereleases=True).allows(_parsed(version)) is expected


_MASTERMINDS_FUNCTIONS = {
    "constraintGreaterThanEqual": ">=",
    "constraintLessThanEqual": "<=",
    "constraintGreaterThan": ">",
    "constraintLessThan": "<",
    "constraintTildeOrEqual": "=",
}


@pytest.mark.parametrize(("text", "function", "version", "refused"), TABLES["TestParseConstraint"])
def test_masterminds_single_comparisons_parse(text: str, function: str, version: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ValidationError):
            parse_constraint(text)
        return
    [[comparison]] = parse_constraint(text)
    assert comparison.operator == _MASTERMINDS_FUNCTIONS[function]
    assert f"{comparison.major}.{comparison.minor}.{comparison.patch}" == version


@pytest.mark.parametrize(("text", "groups", "first_group", "refused"), TABLES["TestNewConstraint"])
def test_masterminds_constraints_parse_into_groups(text: str, groups: int, first_group: int, refused: bool) -> None:
    if refused:
        with pytest.raises(ValidationError, match="is not a version constraint"):
            parse_constraint(text)
        return
    parsed = parse_constraint(text)
    assert (len(parsed), len(parsed[0])) == (groups, first_group)


@pytest.mark.parametrize(("text", "rewritten"), TABLES["TestRewriteRange"])
def test_masterminds_hyphen_ranges_are_rewritten(text: str, rewritten: str) -> None:
    assert _rewrite_hyphen_ranges(text) == rewritten


# --- constraints: what the issue found, and Helm's everyday syntax --------------------------------

ISSUE_INDEX = ["0.2.5", "0.9.0", "1.0.0", "1.1.0", "1.2.0-alpha.1", "1.2.0", "1.2.3-alpha.1", "1.2.3-rc.1"]
ISSUE_INDEX += ["1.2.3", "1.9.0", "2.0.0-rc.1", "2.1.0-beta.1"]


def _pick(constraint: str, versions: list[str]) -> str | None:
    ordered = [v.text for v in newest_first([_parsed(t) for t in versions])]
    parsed = VersionConstraint(constraint).validate()
    return next((t for t in ordered if parsed.allows(_parsed(t))), None)


@pytest.mark.parametrize(
    ("constraint", "picked"),
    [
        ("<2", "1.9.0"),  # a prerelease of the next major never leaks through an upper bound
        ("<2.0.0", "1.9.0"),
        ("<=1.1", "1.1.0"),
        ("<=1.2.3", "1.2.3"),
        ("<0", None),
        ("1.2.3-rc.1", "1.2.3-rc.1"),  # an exact prerelease is exact
        (">=1.0.0-0", "2.1.0-beta.1"),  # a prerelease in the constraint admits prereleases in its range
        (">0.0.0-0", "2.1.0-beta.1"),  # what Helm documents as the same as --devel
        ("~1.2.3-beta.2", "1.2.3"),
        ("^1.2.0-alpha.0", "1.9.0"),
        (">= 1.0.0 <= 2.0.0-beta", "1.9.0"),
        ("!=4.1-alpha", "2.1.0-beta.1"),
        ("1.0.0 - 2.0.0, <=2.0.0", "1.9.0"),
        ("~*", "1.9.0"),
        (">=0-0", "2.1.0-beta.1"),
        ("*-0", "2.1.0-beta.1"),
        ("~0.0.0", "1.9.0"),
        ("^1.2", "1.9.0"),
        ("~1.2.3", "1.2.3"),
        (">= 1.2, < 1.3 || >= 4.2.3", "1.2.3"),
        ("1.2 - 1.3", "1.2.3"),
        ("1.2.x", "1.2.3"),
        ("=> 2", None),
    ],
)
def test_constraints_pick_what_helm_picks(constraint: str, picked: str | None) -> None:
    assert _pick(constraint, ISSUE_INDEX) == picked


@pytest.mark.parametrize(
    ("constraint", "version"),
    [("1.2.0-alpha.1", "1.2.0-alpha.1"), ("~1.2.3-beta.2", "1.2.4-beta.2"), (">= 1.0.0 <= 2.0.0-beta", "1.0.1-beta")],
)
def test_a_prerelease_in_the_constraint_admits_prereleases_anywhere_in_its_range(constraint: str, version: str) -> None:
    assert VersionConstraint(constraint).allows(_parsed(version))


@pytest.mark.parametrize(
    ("constraint", "bad_part"),
    [
        ("garbage", "'garbage' is not a version"),
        (">=", "'>=' must be followed by a version"),
        (">= bar", "'>=' must be followed by a version, not 'bar'"),
        ("1.2,", "nothing follows the ','"),
        ("^^1", "'^^' is not an operator"),
        ("12.3.34~ 1.2.3", "'12.3.34' is followed by '~'"),
        ("1.2.3.4", "'1.2.3' is followed by '.4'"),
        ("1x", "'1x' in '1x' is neither a number nor x, X or *"),
        ("1.2 ||", "a '||' has nothing on one side"),
        ("99999999999999999999", "larger than a version number can be"),
        ("1.2.3-beta.01", "'01' in '1.2.3-beta.01': a numeric prerelease part must not start with 0"),
        ("> 1\x00", "'1' is followed by '\\x00'"),
    ],
)
def test_a_refused_constraint_names_the_bad_part_on_one_line(constraint: str, bad_part: str) -> None:
    with pytest.raises(ValidationError) as caught:
        VersionConstraint(constraint).validate()
    assert bad_part in caught.value.message
    assert "is not a version constraint" in caught.value.message
    assert "\n" not in caught.value.message


def test_an_empty_constraint_is_refused() -> None:
    with pytest.raises(ValidationError, match="it is empty"):
        VersionConstraint("  ").validate()


def test_an_overlong_constraint_is_refused_before_it_is_read() -> None:
    with pytest.raises(ValidationError, match="at most 1,000"):
        VersionConstraint("1 " * MAX_CONSTRAINT_LENGTH).validate()


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("constraint", "accepted"),
    [
        (" " * 999, False),
        ("1" + " " * 997 + "x", True),
        ("1 - " * 249, False),
        ("1-a." * 249, False),
        (",".join(["1"] * 500), True),
        ("v" * 999, False),
        ("1." * 499, False),
        ("1 ||" * 249 + "1", True),
    ],
)
def test_hostile_constraints_are_read_in_bounded_time(constraint: str, accepted: bool) -> None:
    try:
        VersionConstraint(constraint).validate()
    except ValidationError:
        assert not accepted
    else:
        assert accepted


def test_include_prereleases_admits_them_in_every_group() -> None:
    assert not VersionConstraint(">=1.1").allows(_parsed("4.1.0-beta"))
    assert VersionConstraint(">=1.1", include_prereleases=True).allows(_parsed("4.1.0-beta"))


def test_pick_version_takes_the_exact_text_first_then_the_newest_match() -> None:
    listed = ["2.0.0", "v1.2.5", "1.2.4", "1.2.0"]
    assert pick_version("1.2.0", listed) == "1.2.0"
    assert pick_version("1.2.5", listed) == "v1.2.5"  # as Helm's IndexFile.Get falls back to the constraint
    assert pick_version("1.2", listed) == "v1.2.5"
    assert pick_version("^3", listed) is None
    assert pick_version("not a version", listed) is None


# --- properties over any text ---------------------------------------------------------------------

_CONSTRAINT_PIECES = st.sampled_from(
    ["", " ", "  ", ",", ", ", "||", "|", " - ", "-", "+", ".", "v", "x", "X", "*", "0", "1", "2", "10", "01", "a",
     "alpha", "rc.1", "=", "!", ">", "<", "~", "^", ">=", "<=", "=>", "=<", "~>", "!=", "\t", "\v", "é", "\x00"]
)  # fmt: skip
_CONSTRAINT_TEXT = st.one_of(st.text(max_size=40), st.lists(_CONSTRAINT_PIECES, max_size=14).map("".join))
_VERSION_TEXT = st.builds(
    lambda numbers, pre, build: ".".join(numbers) + (f"-{pre}" if pre else "") + (f"+{build}" if build else ""),
    st.lists(st.sampled_from(["0", "1", "2", "3", "10", "18446744073709551615", "18446744073709551616"]),
             min_size=1, max_size=3),
    st.sampled_from(["", "0", "1", "alpha", "alpha.1", "beta.2", "rc.1", "0-0", "99999999999999999999999", "z"]),
    st.sampled_from(["", "build", "001"]),
)  # fmt: skip


@settings(max_examples=400, deadline=None, database=None)
@given(constraint=_CONSTRAINT_TEXT, versions=st.lists(_VERSION_TEXT, max_size=6))
def test_any_text_either_parses_or_is_a_validation_error_and_matching_never_raises(
    constraint: str, versions: list[str]
) -> None:
    try:
        parsed = VersionConstraint(constraint).validate()
    except ValidationError as exc:
        assert exc.message.count("\n") == 0
        return
    for text in versions:
        version = parse_version(text)
        if version is not None:
            assert parsed.allows(version) in (True, False)


@settings(max_examples=200, deadline=None, database=None)
@given(versions=st.lists(_VERSION_TEXT, min_size=2, max_size=8))
def test_an_exact_constraint_allows_exactly_the_versions_of_equal_precedence(versions: list[str]) -> None:
    parsed = [v for v in (parse_version(t) for t in versions) if v is not None]
    for version in parsed:
        constraint = VersionConstraint(f"{version.major}.{version.minor}.{version.patch}" + (
            "-" + ".".join(version.prerelease) if version.prerelease else ""
        ))  # fmt: skip
        for other in parsed:
            assert constraint.allows(other) is (other.precedence == version.precedence)
