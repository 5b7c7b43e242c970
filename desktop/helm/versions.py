"""Chart versions as Helm reads them: loose SemVer parsing, precedence order and Helm's constraint syntax."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from desktop.errors import ValidationError

if TYPE_CHECKING:
    import semantic_version

# The same shape Helm accepts (Masterminds semver v3, coercing mode): `v` prefix allowed,
# minor and patch optional, leading zeros tolerated in the numeric parts.
_LOOSE_VERSION = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_UINT64_MAX = 2**64 - 1

PrereleaseKey = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True, slots=True)
class ChartVersionNumber:
    """A parsed version; `text` is the exact string from the index, never rewritten."""

    text: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]
    build: str

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def precedence(self) -> tuple[int, int, int, int, PrereleaseKey]:
        """SemVer 2.0 precedence: a release sorts after its prereleases; build metadata is ignored."""
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, _prerelease_key(self.prerelease))

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Precedence, then the text itself so that equal-precedence versions keep a stable order."""
        return (*self.precedence, self.build, self.text)

    def as_semantic_version(self) -> semantic_version.Version:
        import semantic_version

        return semantic_version.Version(
            major=self.major,
            minor=self.minor,
            patch=self.patch,
            prerelease=self.prerelease,
            build=tuple(self.build.split(".")) if self.build else (),
        )


def _prerelease_key(identifiers: tuple[str, ...]) -> PrereleaseKey:
    # Numeric identifiers sort numerically and before alphanumeric ones (SemVer 2.0, item 11).
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in identifiers)


@functools.lru_cache(maxsize=8192)
def parse_version(text: str) -> ChartVersionNumber | None:
    """The version as Helm understands it, or None where Helm would reject it."""
    match = _LOOSE_VERSION.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, pre, build = match.groups()
    numbers = (int(major), int(minor or 0), int(patch or 0))
    if any(n > _UINT64_MAX for n in numbers):
        return None
    prerelease = tuple(pre.split(".")) if pre else ()
    if any(len(p) > 1 and p.isdigit() and p.startswith("0") for p in prerelease):
        return None
    return ChartVersionNumber(text, *numbers, prerelease, build or "")


def newest_first(versions: list[ChartVersionNumber]) -> list[ChartVersionNumber]:
    return sorted(versions, key=lambda v: v.sort_key, reverse=True)


# --- Constraints -------------------------------------------------------------------------------

_OPERATORS = {
    "=": "=",
    "": "",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "=>": ">=",
    "<=": "<=",
    "=<": "<=",
    "~": "~",
    "~>": "~",
    "^": "^",
    "!=": "!=",
}
_COMPARATOR = re.compile(
    r"\s*(\^|~>|~|!=|>=|=>|<=|=<|>|<|=)?\s*"
    r"v?([0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s*"
)
_HYPHEN_RANGE = re.compile(r"^\s*v?(\S+)\s+-\s+v?(\S+)\s*$")


@dataclass(frozen=True)
class VersionConstraint:
    """A Helm (Masterminds) constraint such as `^1.2`, `~1.2.3`, `>=1, <2` or `1.2 - 1.4 || >=3`."""

    text: str

    @cached_property
    def _groups(self) -> list[tuple[Any, list[Any]]]:
        import semantic_version

        groups = []
        for group_text in self.text.split("||"):
            npm_parts: list[str] = []
            excluded: list[Any] = []
            for part in group_text.split(","):
                if not part.strip():
                    raise self._invalid()
                hyphen = _HYPHEN_RANGE.match(part)
                if hyphen:
                    npm_parts.append(f"{hyphen.group(1)} - {hyphen.group(2)}")
                    continue
                position = 0
                while position < len(part):
                    comparator = _COMPARATOR.match(part, position)
                    if comparator is None or comparator.end() == position:
                        raise self._invalid()
                    operator, version = _OPERATORS[comparator.group(1) or ""], comparator.group(2)
                    if operator == "!=":
                        excluded.append((semantic_version.NpmSpec(version), "-" in version))
                    else:
                        npm_parts.append(operator + version)
                    position = comparator.end()
            try:
                spec = semantic_version.NpmSpec(" ".join(npm_parts) or "*")
            except ValueError as exc:
                raise self._invalid() from exc
            groups.append((spec, excluded))
        return groups

    def _invalid(self) -> ValidationError:
        return ValidationError(
            f"'{self.text}' is not a version constraint: use forms like '^1.2', '~1.2.3', '>=1.0, <2.0' or '1.2.x'."
        )

    def validate(self) -> VersionConstraint:
        _ = self._groups
        return self

    def allows(self, version: ChartVersionNumber) -> bool:
        candidate = version.as_semantic_version()
        for spec, excluded in self._groups:
            if not spec.match(candidate):
                continue
            if any(_excludes(spec_, names_prerelease, candidate) for spec_, names_prerelease in excluded):
                continue
            return True
        return False


def _excludes(not_wanted: Any, names_prerelease: bool, candidate: Any) -> bool:
    """`!=X` fails for X itself and, as in Helm, for prereleases when X names none."""
    if candidate.prerelease and not names_prerelease:
        return True
    return bool(not_wanted.match(candidate))
