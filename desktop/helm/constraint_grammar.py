"""Helm's `--version` constraint text (Masterminds/semver v3's grammar) parsed into OR-groups of comparisons."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from desktop.errors import ValidationError

MAX_CONSTRAINT_LENGTH = 1000  # Masterminds has no limit; no real constraint comes near this one
_UINT64_MAX = 2**64 - 1

# Blank is what Go's `\s` matches (no vertical tab, nothing beyond ASCII).
_BLANK = " \t\n\f\r"
_OPERATOR_CHARACTERS = frozenset("=!<>~^")
# Every spelling Masterminds accepts, and the comparison it means. No operator and `=` both mean
# "equal", which becomes a range when the version has wildcards (`1.2` is `1.2.x`).
_OPERATORS = {
    "": "=",
    "=": "=",
    "!=": "!=",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "=>": ">=",
    "<=": "<=",
    "=<": "<=",
    "~": "~",
    "~>": "~",
    "^": "^",
}
# What may stand where a version's number goes: digits and the wildcards. Masterminds' pattern also
# lets `|` through there; such a number is refused when it is read, as Masterminds refuses it.
_NUMBER_CHARACTERS = frozenset(string.digits + "xX*|")
_IDENTIFIER_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-")
_WILDCARDS = frozenset({"x", "X", "*"})

_BLANK_CLASS = "[ \t\n\f\r]"
_VERSION_PATTERN = (
    r"v?[0-9xX*|]+(?:\.[0-9xX*|]+)?(?:\.[0-9xX*|]+)?"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
# `A - B` anywhere in the text (blanks around the dash required), rewritten as `>= A, <= B` first.
_HYPHEN_RANGE = re.compile(
    f"{_BLANK_CLASS}*({_VERSION_PATTERN}){_BLANK_CLASS}+-{_BLANK_CLASS}+({_VERSION_PATTERN}){_BLANK_CLASS}*"
)
_HINT = "use forms like '^1.2', '~1.2.3', '>=1.0 <2.0', '1.2.x', '1.2 - 1.4' or '^1 || ^2'"


@dataclass(frozen=True, slots=True)
class Comparison:
    """One `OPERATOR VERSION` of a constraint. `fixed` counts the leading numbers the version pins:
    3 for `1.2.3`, 2 for `1.2` or `1.2.x`, 1 for `1` or `1.x`, 0 for `*`; the rest read as 0."""

    operator: str  # one of = != > < >= <= ~ ^
    version: str  # as written
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]
    fixed: int


def parse_constraint(text: str) -> list[list[Comparison]]:
    """The constraint's OR-groups, each a list of comparisons that must all hold; a ValidationError
    naming the part that is wrong when Masterminds (and so Helm) would refuse the text."""
    if len(text) > MAX_CONSTRAINT_LENGTH:
        raise ValidationError(
            f"The version constraint is {len(text):,} characters long; one of at most "
            f"{MAX_CONSTRAINT_LENGTH:,} is expected ({_HINT})."
        )
    return [
        [_comparison(operator, version, text) for operator, version in _comparisons(part, text)]
        for part in _rewrite_hyphen_ranges(text).split("||")
    ]


def _rewrite_hyphen_ranges(text: str) -> str:
    # Each range found in the original text replaces the first place its text occurs, as Masterminds does.
    rewritten = text
    for found in _HYPHEN_RANGE.finditer(text):
        rewritten = rewritten.replace(found.group(0), f">= {found.group(1)}, <= {found.group(2)} ", 1)
    return rewritten


def _comparisons(part: str, whole: str) -> list[tuple[str, str]]:
    """(operator, version) pairs of one OR-part: separated by blanks or by one comma."""
    end = len(part)
    position = _skip(part, 0, _BLANK)
    if position == end:
        raise _refused(whole, "a '||' has nothing on one side" if "||" in whole else "it is empty")
    pairs: list[tuple[str, str]] = []
    while True:
        operator_end = _skip(part, position, _OPERATOR_CHARACTERS)
        operator = part[position:operator_end]
        if operator not in _OPERATORS:
            raise _refused(whole, f"'{_shown(operator)}' is not an operator (=, !=, >, <, >=, <=, ~, ^)")
        start = _skip(part, operator_end, _BLANK)
        version_end = _version_end(part, start)
        if version_end == start:
            rest = _shown(_first_word(part[start:]))
            if not operator:
                raise _refused(whole, f"'{rest}' is not a version")
            raise _refused(whole, f"'{operator}' must be followed by a version" + (f", not '{rest}'" if rest else ""))
        version = part[start:version_end]
        pairs.append((_OPERATORS[operator], version))
        position = _skip(part, version_end, _BLANK)
        if position == end:
            return pairs
        if part[position] == ",":
            position = _skip(part, position + 1, _BLANK)
            if position == end:
                raise _refused(whole, f"nothing follows the ',' after '{_shown(version)}'")
        elif position == version_end:
            raise _refused(whole, f"'{_shown(version)}' is followed by '{_shown(_first_word(part[position:]))}'")


def _version_end(text: str, start: int) -> int:
    """Where the version starting at `start` ends (`start` itself when there is none)."""
    position = start + 1 if text.startswith("v", start) else start
    after_number = _skip(text, position, _NUMBER_CHARACTERS)
    if after_number == position:
        return start
    position = after_number
    for _ in range(2):  # .minor and .patch
        if not _starts_run(text, position, ".", _NUMBER_CHARACTERS):
            break
        position = _skip(text, position + 1, _NUMBER_CHARACTERS)
    for mark in "-+":  # prerelease, then build metadata: dot-separated identifiers
        if _starts_run(text, position, mark, _IDENTIFIER_CHARACTERS):
            position = _skip(text, position + 1, _IDENTIFIER_CHARACTERS)
            while _starts_run(text, position, ".", _IDENTIFIER_CHARACTERS):
                position = _skip(text, position + 1, _IDENTIFIER_CHARACTERS)
    return position


def _starts_run(text: str, position: int, mark: str, run: frozenset[str]) -> bool:
    return position + 1 < len(text) and text[position] == mark and text[position + 1] in run


def _skip(text: str, position: int, characters: frozenset[str] | str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _comparison(operator: str, version: str, whole: str) -> Comparison:
    body = version[1:] if version.startswith("v") else version
    body, _, _build = body.partition("+")
    body, dash, prerelease_text = body.partition("-")
    segments = body.split(".")
    fixed = 0  # a missing number is a wildcard too: `1.2` is `1.2.x`
    while fixed < len(segments) and segments[fixed] not in _WILDCARDS:
        fixed += 1
    numbers = [0, 0, 0]
    for index, segment in enumerate(segments[:fixed]):
        if not segment.isdigit():
            raise _refused(whole, f"'{_shown(segment)}' in '{_shown(version)}' is neither a number nor x, X or *")
        numbers[index] = int(segment)
        if numbers[index] > _UINT64_MAX:
            raise _refused(whole, f"'{_shown(segment)}' in '{_shown(version)}' is larger than a version number can be")
    prerelease = tuple(prerelease_text.split(".")) if dash else ()
    for identifier in prerelease:
        if len(identifier) > 1 and identifier.isdigit() and identifier.startswith("0"):
            raise _refused(
                whole, f"'{identifier}' in '{_shown(version)}': a numeric prerelease part must not start with 0"
            )
    return Comparison(operator, version, numbers[0], numbers[1], numbers[2], prerelease, fixed)


def _first_word(text: str) -> str:
    words = text.split()
    return words[0] if words else text


def _refused(whole: str, reason: str) -> ValidationError:
    return ValidationError(f"'{_shown(whole)}' is not a version constraint: {reason}; {_HINT}.")


def _shown(text: str, limit: int = 60) -> str:
    """`text` on one line: control characters escaped, long text cut."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
