"""Chart versions as Helm reads them: loose SemVer parsing, precedence order, and `--version` constraints
matched by Masterminds/semver v3's rules (what Helm 3 and 4 use)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from desktop.errors import ValidationError
from desktop.helm.constraint_grammar import Comparison, parse_constraint

# The shape Helm accepts (Masterminds semver v3, coercing mode): `v` prefix allowed, minor and
# patch optional, leading zeros tolerated in the numeric parts.
_LOOSE_VERSION = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_UINT64_MAX = 2**64 - 1
_UINT64_DIGITS = len(str(_UINT64_MAX))

PrereleaseKey = tuple[tuple[int, int, str], ...]
Precedence = tuple[int, int, int, int, PrereleaseKey]


@dataclass(frozen=True, slots=True)
class ChartVersionNumber:
    """A parsed version; `text` is the exact string from the index, never rewritten."""

    text: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]
    build: str
    # SemVer 2.0 precedence: a release sorts after its prereleases; build metadata is ignored.
    precedence: Precedence = field(compare=False, repr=False)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Precedence, then the text itself so that equal-precedence versions keep a stable order."""
        return (*self.precedence, self.build, self.text)


def _prerelease_key(identifiers: tuple[str, ...]) -> PrereleaseKey:
    # Numeric identifiers sort numerically and before alphanumeric ones (SemVer 2.0, item 11); one
    # too large for 64 bits compares as text, as in Masterminds.
    return tuple((0, int(part), "") if _is_number(part) else (1, 0, part) for part in identifiers)


def _is_number(identifier: str) -> bool:
    return identifier.isdigit() and (len(identifier) < _UINT64_DIGITS or int(identifier) <= _UINT64_MAX)


def _precedence(major: int, minor: int, patch: int, prerelease: tuple[str, ...]) -> Precedence:
    if prerelease:
        return (major, minor, patch, 0, _prerelease_key(prerelease))
    return (major, minor, patch, 1, ())


@functools.lru_cache(maxsize=8192)
def parse_version(text: str) -> ChartVersionNumber | None:
    """The version as Helm understands it, or None where Helm would reject it."""
    match = _LOOSE_VERSION.fullmatch(text)
    if match is None:
        return None
    major_text, minor_text, patch_text, pre, build = match.groups()
    major, minor, patch = int(major_text), int(minor_text or 0), int(patch_text or 0)
    if major > _UINT64_MAX or minor > _UINT64_MAX or patch > _UINT64_MAX:
        return None
    if pre is None:
        return ChartVersionNumber(text, major, minor, patch, (), build or "", (major, minor, patch, 1, ()))
    prerelease = tuple(pre.split("."))
    if any(len(p) > 1 and p[0] == "0" and p.isdigit() for p in prerelease):
        return None
    return ChartVersionNumber(
        text, major, minor, patch, prerelease, build or "", (major, minor, patch, 0, _prerelease_key(prerelease))
    )


def newest_first(versions: list[ChartVersionNumber]) -> list[ChartVersionNumber]:
    return sorted(versions, key=lambda v: v.sort_key, reverse=True)


def nearest_versions(requested: str, versions: Iterable[str], count: int = 3) -> list[str]:
    """The `count` versions nearest to `requested` in precedence order (the one just below first, then
    alternately above and below), newest first, for "closest: …" hints: for 2.2.99 where 2.2.12 is newest,
    2.2.12, 2.2.11, 2.2.10 — never the text-alike 2.2.9. A request that is no version gets []."""
    wanted = parse_version(requested)
    ordered = newest_first([v for v in map(parse_version, versions) if v is not None])
    if wanted is None or not ordered:
        return []
    key = (*wanted.precedence, wanted.build, wanted.text)
    split = next((i for i, v in enumerate(ordered) if v.sort_key < key), len(ordered))
    above, below = ordered[:split][::-1], ordered[split:]  # each nearest first
    picked: list[ChartVersionNumber] = []
    while len(picked) < count and (above or below):
        if below:
            picked.append(below.pop(0))
        if above and len(picked) < count:
            picked.append(above.pop(0))
    return [v.text for v in newest_first(picked)]


# --- Constraints -------------------------------------------------------------------------------

Test = Callable[[ChartVersionNumber], bool]


@dataclass(frozen=True)
class VersionConstraint:
    """A Helm (Masterminds) constraint such as `^1.2`, `~1.2.3`, `>=1, <2` or `1.2 - 1.4 || >=3`.

    A version with a prerelease passes only an OR-group that names a prerelease somewhere (`>=1.0.0-0`),
    unless `include_prereleases` (Masterminds' IncludePrerelease, which Helm leaves off)."""

    text: str
    include_prereleases: bool = False

    @cached_property
    def _groups(self) -> list[tuple[bool, tuple[Test, ...]]]:
        return [
            (self.include_prereleases or any(c.prerelease for c in group), tuple(_compiled(c) for c in group))
            for group in parse_constraint(self.text)
        ]

    def validate(self) -> VersionConstraint:
        _ = self._groups
        return self

    def allows(self, version: ChartVersionNumber) -> bool:
        is_prerelease = bool(version.prerelease)
        for admits_prereleases, tests in self._groups:
            if is_prerelease and not admits_prereleases:
                continue
            for test in tests:
                if not test(version):
                    break
            else:
                return True
        return False


def pick_version(requested: str, versions: Iterable[str]) -> str | None:
    """The version `helm pull --version REQUESTED` takes from `versions` (newest first): the exact
    text when it is listed, else the newest version the constraint allows; None when there is none
    or REQUESTED is not a constraint."""
    listed = list(versions)
    if requested in listed:
        return requested
    try:
        constraint = VersionConstraint(requested).validate()
    except ValidationError:
        return None
    for text in listed:
        parsed = parse_version(text)
        if parsed is not None and constraint.allows(parsed):
            return text
    return None


def _compiled(c: Comparison) -> Test:
    """One comparison as a test of a version, following Masterminds' rules operator by operator."""
    key = _precedence(c.major, c.minor, c.patch, c.prerelease)
    major, minor, patch, prerelease = c.major, c.minor, c.patch, c.prerelease
    operator = c.operator
    if operator == "=" and c.fixed < 3:
        operator = "~"  # `1.2`, `1.2.x`, `=1.x`: a range, read as `~` reads it
    if operator == "=":
        return lambda v: v.precedence == key
    if operator == "<":
        return lambda v: v.precedence < key
    if operator == ">=":
        return lambda v: v.precedence >= key
    if operator == ">":
        return _greater_than(c, key)
    if operator == "<=":
        return _at_most(c, key)
    if operator == "!=":
        if c.fixed == 1:  # `!=1.x`: any other major
            return lambda v: v.major != major
        if c.fixed == 2:  # `!=1.2.x`: any other major.minor, or another prerelease
            return lambda v: v.major != major or v.minor != minor or v.prerelease != prerelease
        return lambda v: v.precedence != key
    if operator == "~":
        if c.fixed in (0, 3) and major == minor == patch == 0:  # `~*`, `~0.0.0`: anything from there on
            return lambda v: v.precedence >= key
        if c.fixed == 1:
            return lambda v: v.precedence >= key and v.major == major
        return lambda v: v.precedence >= key and v.major == major and v.minor == minor
    return _caret(c, key)


def _greater_than(c: Comparison, key: Precedence) -> Test:
    major, minor = c.major, c.minor
    if c.fixed == 1:  # `>1` and `>1.x`: a higher major
        return lambda v: v.major > major
    if c.fixed == 2:  # `>1.2`: a higher minor within the major, or a higher major
        return lambda v: v.major > major or (v.major == major and v.minor > minor)
    return lambda v: v.precedence > key


def _at_most(c: Comparison, key: Precedence) -> Test:
    major, minor = c.major, c.minor
    if c.fixed == 3:
        return lambda v: v.precedence <= key
    if c.fixed == 1:  # `<=1` and `<=1.x`: any 1.y.z
        return lambda v: v.major <= major
    # `<=1.2`: any 1.2.z; and `<=*` (0.0.0) only 0.0.z, as Masterminds reads it
    return lambda v: v.major < major or (v.major == major and v.minor <= minor)


def _caret(c: Comparison, key: Precedence) -> Test:
    major, minor, patch = c.major, c.minor, c.patch
    if major > 0 or c.fixed == 1:  # `^1.2.3`, `^0.x`: the same major
        return lambda v: v.precedence >= key and v.major == major
    if minor > 0 or c.fixed == 2:  # `^0.2.3`, `^0.0`: the same 0.minor
        return lambda v: v.precedence >= key and v.major == 0 and v.minor == minor
    # `^0.0.3` (and `^*`, `^0.0.0`, as Masterminds reads them): that very 0.0.patch
    return lambda v: v.precedence >= key and v.major == 0 and v.minor == 0 and v.patch == patch
