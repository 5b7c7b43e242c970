"""'closest: …' hints pick versions by precedence, as `search` orders them, never by text likeness."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from desktop.helm.versions import nearest_versions, parse_version

PATCHES = [f"2.2.{n}" for n in range(13)]


def test_above_every_version_the_newest_are_closest() -> None:
    assert nearest_versions("2.2.99", PATCHES) == ["2.2.12", "2.2.11", "2.2.10"]  # difflib said 2.2.9, 2.2.8, 2.2.7


def test_between_versions_the_neighbours_on_both_sides() -> None:
    assert nearest_versions("2.2.5-rc.1", PATCHES) == ["2.2.5", "2.2.4", "2.2.3"]
    assert nearest_versions("1.0.0", PATCHES) == ["2.2.2", "2.2.1", "2.2.0"]


def test_no_version_gives_no_hint() -> None:
    assert nearest_versions("latest", PATCHES) == []
    assert nearest_versions("2.2.1", ["not-a-version"]) == []


@given(st.lists(st.sampled_from([*PATCHES, "1.0", "3.0.0-beta.1", "v2.2.3"]), unique=True), st.sampled_from(PATCHES))
def test_hints_are_real_versions_newest_first(versions: list[str], requested: str) -> None:
    hint = nearest_versions(requested, versions)
    assert set(hint) <= set(versions) and len(hint) == min(3, len(versions))
    keys = [parse_version(v).sort_key for v in hint]  # type: ignore[union-attr]
    assert keys == sorted(keys, reverse=True)
