"""A layer's values as the checks see them: the profile's variables substituted first, and each
problem's line mapped back to the line typed (a multiline variable's value adds lines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from desktop.profiles.model import ProfileVariable
from desktop.profiles.values import ValuesProblem
from desktop.profiles.variables import REFERENCE, substitute_variables


class CheckedValues(NamedTuple):
    text: str  # the values with every variable substituted (undefined references left out)
    notes: list[str]  # how each variable was substituted
    problems: list[ValuesProblem]  # undefined names, unclosed references, test values that do not fit
    lines: list[int]  # lines[n - 1]: the typed line that line n of `text` came from

    def typed_line(self, line: int) -> int:
        """The typed line of line `line` (1-based) of the substituted text; 0 stays 0."""
        if line <= 0 or not self.lines:
            return line
        return self.lines[min(line, len(self.lines)) - 1]

    def mapped(self, found: list[ValuesProblem]) -> list[ValuesProblem]:
        """Problems found in the substituted text, at the lines typed."""
        return [replace(problem, line=self.typed_line(problem.line)) for problem in found]


def checked_values(
    values_text: str, variables: Sequence[ProfileVariable], test_values: Mapping[str, str] | None = None
) -> CheckedValues:
    """The values with the variables substituted; a reference to a name no variable has is left out
    of the text checked (its problem says so), so the YAML is not also reported broken there."""
    substitution = substitute_variables(values_text, variables, test_values)
    text = REFERENCE.sub("", substitution.text) if substitution.problems else substitution.text
    lines: list[int] = []
    if substitution.text.count("\n") != values_text.count("\n"):
        for number, line in enumerate(values_text.split("\n"), start=1):
            added = substitute_variables(line, variables, test_values).text.count("\n") if "{{" in line else 0
            lines.extend([number] * (added + 1))
    return CheckedValues(text, substitution.notes, substitution.problems, lines)
