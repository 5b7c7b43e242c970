"""Version parsing, ordering and constraints behave as Helm's (Masterminds semver) do."""

from __future__ import annotations

import random

import pytest
import semantic_version

from desktop.errors import ValidationError
from desktop.helm.versions import VersionConstraint, newest_first, parse_version


@pytest.mark.parametrize(
    "text",
    ["1.2.3", "1.10", "0.6", "1.24.001", "v1.2.3", "1", "1.0.0-rc.1", "103.0.2+up1.10.0", "1.0.0-alpha-1.x+build.7"],
)
def test_versions_helm_accepts_parse_and_keep_their_exact_text(text: str) -> None:
    parsed = parse_version(text)
    assert parsed is not None
    assert parsed.text == text


@pytest.mark.parametrize("text", ["latest", "1.2.3.4", "1.2.3-", "1.2.3-01", "", "1..2", "x1.2", "1.2.3+"])
def test_versions_helm_rejects_do_not_parse(text: str) -> None:
    assert parse_version(text) is None


def test_short_versions_fill_in_zeros() -> None:
    parsed = parse_version("0.6")
    assert parsed is not None
    assert (parsed.major, parsed.minor, parsed.patch) == (0, 6, 0)


def test_order_is_semver_precedence_newest_first() -> None:
    texts = [
        "1.0.0",
        "1.0.0-rc.1",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "2.0.0",
        "1.10.0",
        "1.9.0",
        "0.6",
    ]
    ordered = [v.text for v in newest_first([parse_version(t) for t in texts])]  # type: ignore[misc]
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


def test_order_agrees_with_semantic_version_on_random_versions() -> None:
    rng = random.Random(7)
    words = ["alpha", "beta", "rc", "1", "2", "11", "x-y"]
    texts = set()
    while len(texts) < 400:
        text = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 5)}"
        if rng.random() < 0.5:
            text += "-" + ".".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        texts.add(text)
    ours = [v.text for v in newest_first([parse_version(t) for t in texts])]  # type: ignore[misc]
    library = sorted(texts, key=semantic_version.Version, reverse=True)
    assert [semantic_version.Version(t) for t in ours] == [semantic_version.Version(t) for t in library]


@pytest.mark.parametrize(
    ("constraint", "allowed"),
    [
        ("^1.2", ["1.2.0", "1.2.3", "1.2.5", "1.3.0", "1.9.9"]),
        ("~1.2.3", ["1.2.3", "1.2.5"]),
        (">=1, <2", ["1.2.0", "1.2.3", "1.2.5", "1.3.0", "1.9.9"]),
        (">= 1.2, < 1.3 || >= 4.2.3", ["1.2.0", "1.2.3", "1.2.5", "4.3.0"]),
        ("1.2 - 1.3", ["1.2.0", "1.2.3", "1.2.5", "1.3.0"]),
        ("!=1.2.3", ["0.4.0", "1.2.0", "1.2.5", "1.3.0", "1.9.9", "2.0.0", "4.3.0"]),
        ("1.2.x", ["1.2.0", "1.2.3", "1.2.5"]),
        (">=1.2.3-rc.1 <2", ["1.2.3-rc.2", "1.2.3", "1.2.5", "1.3.0", "1.9.9"]),
        ("=> 2", ["2.0.0", "4.3.0"]),
    ],
)
def test_constraints_use_helms_syntax(constraint: str, allowed: list[str]) -> None:
    candidates = ["0.4.0", "1.2.0", "1.2.3-rc.2", "1.2.3", "1.2.5", "1.3.0", "1.9.9", "2.0.0", "2.1.0-beta.1", "4.3.0"]
    parsed = VersionConstraint(constraint).validate()
    assert sorted(c for c in candidates if parsed.allows(parse_version(c))) == sorted(allowed)  # type: ignore[arg-type]


@pytest.mark.parametrize("constraint", ["garbage", ">=", "1.2,", "^^1"])
def test_a_bad_constraint_is_a_clear_error(constraint: str) -> None:
    with pytest.raises(ValidationError, match="is not a version constraint"):
        VersionConstraint(constraint).validate()
