"""Profile variables as Palette defines them (its V1Variable), their rules, their JSON shapes, and
`{{.spectro.var.NAME}}` in a layer's values replaced by each variable's default or a test value."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from desktop.errors import ValidationError
from desktop.helm.versions import parse_version
from desktop.profiles.model import Profile, ProfileVariable, VariableOption, clip
from desktop.profiles.values import ValuesProblem, values_diff

FORMATS = ("string", "number", "boolean", "ipv4", "ipv4cidr", "ipv6", "version", "base64")
INPUT_TYPES = ("text", "dropdown", "multiline")
MAX_VARIABLES = 500
NAME_MAX = 128
TEXT_MAX = 4096  # display name, description, regex, an option's fields
VALUE_MAX = 64 * 1024  # a default or test value (a multiline certificate fits)
REGEX_MAX = 1024
UNDEFINED = "names no variable of this profile"
UNCLOSED = "a {{.spectro.var.…}} reference is not closed with }}"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a Go template field name: `.spectro.var.NAME`
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
REFERENCE = re.compile(r"\{\{-?\s*\.spectro\.var\.(?P<name>[^\s|}]*)\s*(?P<pipe>\|[^}]*?)?\s*-?\}\}")
_SPECTRO_VAR = re.compile(r"\{\{-?\s*\.spectro\.var\.")


# --- the rules ------------------------------------------------------------------------------------


def value_problem(variable: ProfileVariable, value: str, what: str = "the value") -> str | None:
    """Why `value` does not fit the variable's format, options or regex; None when it fits.
    Sensitive values are never quoted."""
    shown = what if variable.is_sensitive else f"{what} '{clip(value, 40)}'"
    if len(value) > VALUE_MAX:
        return f"{what} is {len(value):,} characters long; keep it to {VALUE_MAX:,}"
    if "\n" in value and variable.input_type != "multiline":
        return f"{what} has a line break: only a multiline variable's value may"
    fmt = variable.format
    if fmt != "string" and value and not _fits_format(fmt, value):
        return f"{shown} is not {_FORMAT_WORDS[fmt]}"
    if variable.input_type == "dropdown" and value and not any(value in (o.value, o.label) for o in variable.options):
        return f"{shown} is none of the dropdown's options"
    if variable.regex and value:
        if regex_unsafe(variable.regex):
            return None  # not checked: see `regex_unsafe`; the notes say so
        try:
            if re.search(variable.regex, value) is None:
                return f"{shown} does not match the regex {clip(variable.regex, 60)}"
        except re.error:
            return None  # the variable's own problems name a broken regex
    return None


_FORMAT_WORDS = {
    "number": "a number",
    "boolean": "true or false",
    "ipv4": "an IPv4 address",
    "ipv4cidr": "an IPv4 CIDR (such as 10.0.0.0/16)",
    "ipv6": "an IPv6 address",
    "version": "a version (such as 1.2.3)",
    "base64": "base64",
}


def _fits_format(fmt: str, value: str) -> bool:
    try:
        if fmt == "number":
            return _NUMBER.fullmatch(value) is not None
        if fmt == "boolean":
            return value in ("true", "false")
        if fmt == "ipv4":
            ipaddress.IPv4Address(value)
        elif fmt == "ipv4cidr":
            if "/" not in value:
                return False
            ipaddress.IPv4Network(value, strict=False)
        elif fmt == "ipv6":
            ipaddress.IPv6Address(value)
        elif fmt == "version":
            return parse_version(value) is not None
        elif fmt == "base64":
            base64.b64decode(value, validate=True)
        return True
    except (ValueError, binascii.Error):
        return False


def regex_unsafe(pattern: str) -> bool:
    """A pattern with a repeat inside a repeat, or alternatives inside one (`(a+)+`, `(a|a)*`):
    Python's backtracking engine can take hours on such a pattern and nothing can stop it in this
    process, so it is not run here (Palette's Go engine runs every pattern in linear time)."""
    try:
        parsed = sre_parse.parse(pattern)
    except (sre_constants.error, RecursionError, OverflowError):
        return False  # reported as invalid instead

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, arg in items:
            if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                found = inside_repeat or walk(arg[2], True)
            elif op == sre_constants.BRANCH:
                found = inside_repeat or any(walk(branch, inside_repeat) for branch in arg[1])
            elif op == sre_constants.SUBPATTERN:
                found = walk(arg[3], inside_repeat)
            elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                found = walk(arg[1], inside_repeat)
            else:
                found = False
            if found:
                return True
        return False

    return walk(parsed, False)


def variable_problems(variables: Sequence[ProfileVariable]) -> list[str]:
    """Every rule a profile's variables break, one line each (Palette's rules: names and display
    names unique, a required variable has a default, the default fits its format and regex)."""
    problems: list[str] = []
    if len(variables) > MAX_VARIABLES:
        return [f"The profile has {len(variables)} variables; keep it to {MAX_VARIABLES}."]
    names: dict[str, str] = {}
    displays: dict[str, str] = {}
    for variable in variables:
        name = variable.name
        where = f"Variable '{clip(name, 40)}'"
        if not name:
            problems.append("A variable has no name: give each variable a name.")
            continue
        if len(name) > NAME_MAX or not _NAME.fullmatch(name):
            problems.append(
                f"{where}: a variable name uses letters, digits and '_' (not starting with a digit), "
                f"up to {NAME_MAX} characters, as in {{{{.spectro.var.my_name}}}}."
            )
        if name in names:
            problems.append(f"{where} is defined twice: variable names are unique in a profile.")
        names[name] = name
        display = variable.display_name.strip()
        if display and display in displays:  # Palette's API leaves the display name optional
            problems.append(
                f"{where} has the display name '{clip(display, 40)}' of variable '{displays[display]}': "
                "display names are unique in a profile."
            )
        elif display:
            displays[display] = name
        for label, text in (("display name", variable.display_name), ("description", variable.description)):
            if len(text) > TEXT_MAX:
                problems.append(f"{where}: its {label} is {len(text):,} characters long; keep it to {TEXT_MAX:,}.")
        if variable.format not in FORMATS:
            problems.append(f"{where}: '{clip(variable.format, 20)}' is not a format: use {', '.join(FORMATS)}.")
            continue
        if variable.input_type not in INPUT_TYPES:
            problems.append(
                f"{where}: '{clip(variable.input_type, 20)}' is not an input type: use {', '.join(INPUT_TYPES)}."
            )
            continue
        problems.extend(_option_problems(variable, where))
        if variable.regex:
            if len(variable.regex) > REGEX_MAX:
                problems.append(f"{where}: its regex is {len(variable.regex):,} characters long; keep it to 1,024.")
                continue
            try:
                re.compile(variable.regex)
            except (re.error, RecursionError, OverflowError) as exc:
                problems.append(f"{where}: its regex is not a valid regular expression ({clip(str(exc), 60)}).")
                continue
        value = variable.default()
        if variable.required and not value:
            problems.append(f"{where} is required, so it needs a default value: give it one.")
        if value and not variable.masked_default:
            problem = value_problem(variable, value, "its default")
            if problem is not None:
                problems.append(f"{where}: {problem}.")
    return problems


def _option_problems(variable: ProfileVariable, where: str) -> list[str]:
    options = variable.options
    if variable.input_type != "dropdown":
        return [f"{where} has options but is not a dropdown: remove them, or make it a dropdown."] if options else []
    if not options:
        return [f"{where} is a dropdown without options: give it at least one."]
    problems = []
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        problems.append(f"{where}: two of its options have the same value.")
    if sum(option.default for option in options) > 1:
        problems.append(f"{where}: more than one of its options is marked default.")
    for option in options:
        if any(len(text) > TEXT_MAX for text in (option.value, option.label, option.description)):
            problems.append(f"{where}: an option's text is over {TEXT_MAX:,} characters long.")
            break
        if not option.value:
            problems.append(f"{where}: an option has no value.")
            break
    return problems


def validate_variables(variables: Iterable[ProfileVariable]) -> tuple[ProfileVariable, ...]:
    """The variables, or a ValidationError with the first rule they break (and how many more)."""
    checked = tuple(variables)
    problems = variable_problems(checked)
    if problems:
        more = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ValidationError(problems[0].rstrip(".") + more + ".")
    return checked


# --- substitution ---------------------------------------------------------------------------------


class Substitution(NamedTuple):
    text: str
    notes: list[str]  # what was substituted, and how (sensitive values never shown)
    problems: list[ValuesProblem]  # undefined names, test values that do not fit


def references(text: str) -> list[tuple[int, str]]:
    """(line, name) of every `{{.spectro.var.NAME}}` in the text, in order."""
    found = []
    for match in REFERENCE.finditer(text):
        found.append((text.count("\n", 0, match.start()) + 1, match["name"]))
    return found


def substitute_variables(
    values_text: str, variables: Sequence[ProfileVariable], test_values: Mapping[str, str] | None = None
) -> Substitution:
    """The values with each `{{.spectro.var.NAME}}` replaced textually, before any YAML is read, as
    Palette does: by the test value the user set, else the variable's default (a fixed variable —
    immutable or hidden — always by its default, as Palette deploys it). A name no variable has is a
    problem at its line; a reference left unfinished is one too."""
    test_values = test_values or {}
    by_name = {variable.name: variable for variable in variables}
    notes: dict[str, str] = {}
    problems: list[ValuesProblem] = []
    chosen: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        line = values_text.count("\n", 0, match.start()) + 1
        name = match["name"]
        variable = by_name.get(name)
        if variable is None:
            problems.append(
                ValuesProblem(
                    line,
                    f"{{{{.spectro.var.{clip(name, 40)}}}}} {UNDEFINED}: define it, or correct the name",
                )
            )
            return match[0]
        if match["pipe"]:
            notes.setdefault(
                f"pipe:{name}",
                f"line {line}: the functions after '|' in {{{{.spectro.var.{name} …}}}} are not applied here",
            )
        if name not in chosen:
            chosen[name] = _value_for(variable, test_values, line, notes, problems)
        return chosen[name]

    text = REFERENCE.sub(replace, values_text)
    closed = {match.start() for match in REFERENCE.finditer(values_text)}
    for match in _SPECTRO_VAR.finditer(values_text):
        if match.start() not in closed:
            problems.append(ValuesProblem(values_text.count("\n", 0, match.start()) + 1, UNCLOSED))
    return Substitution(text, list(notes.values()), sorted(problems, key=lambda p: p.line))


def _value_for(
    variable: ProfileVariable,
    test_values: Mapping[str, str],
    line: int,
    notes: dict[str, str],
    problems: list[ValuesProblem],
) -> str:
    name = variable.name
    reference = f"{{{{.spectro.var.{name}}}}}"
    test = test_values.get(name)
    if test is not None and variable.fixed:
        why = "immutable" if variable.immutable else "hidden"
        notes[name] = f"{reference}: the test value is not used, the variable is {why} (Palette deploys its default)"
    elif test is not None:
        problem = value_problem(variable, test, "the test value")
        if problem is not None:
            problems.append(ValuesProblem(line, f"{reference}: {problem}"))
        shown = "(sensitive, not shown)" if variable.is_sensitive else f"'{clip(test, 40)}'"
        notes[name] = f"{reference} takes the test value {shown}"
        return test
    value = variable.default()
    if variable.masked_default:
        problems.append(
            ValuesProblem(line, f"{reference}: its sensitive default was masked by the export: set a test value")
        )
    elif not value:
        notes.setdefault(name, f"{reference} has no default: it is left empty")
    else:
        shown = "(sensitive, not shown)" if variable.is_sensitive else f"'{clip(value, 40)}'"
        notes.setdefault(name, f"{reference} takes its default {shown}")
    return value


def undefined_references(profile: Profile) -> list[str]:
    """One line per reference to a variable the profile does not define: layer, line and name."""
    return [
        f"layer {layer.chart}: {problem}"
        for layer, problems in zip(profile.layers, layer_variable_problems(profile), strict=True)
        for problem in problems
    ]


def layer_variable_problems(profile: Profile) -> list[list[ValuesProblem]]:
    """Each layer's references to names the profile does not define (or left unclosed), in the
    layers' order."""
    return [reference_problems(layer.values_override, profile.variables) for layer in profile.layers]


def reference_problems(values_text: str, variables: Sequence[ProfileVariable]) -> list[ValuesProblem]:
    """The values' references to names no variable has, or left unclosed: errors on the layer."""
    found = substitute_variables(values_text, variables).problems
    return [p for p in found if UNDEFINED in p.message or p.message == UNCLOSED]


def shown_variable(variable: ProfileVariable) -> dict[str, Any]:
    """A variable as `profile show` prints it: every field set, a sensitive default masked."""
    entry: dict[str, Any] = {"name": variable.name, "displayName": variable.display_name}
    if variable.description:
        entry["description"] = variable.description
    entry["format"] = variable.format
    entry["inputType"] = variable.input_type
    if variable.default_value:
        entry["defaultValue"] = variable.shown_default()
    if variable.regex:
        entry["regex"] = variable.regex
    for key, flag in (
        ("required", variable.required),
        ("immutable", variable.immutable),
        ("hidden", variable.hidden),
        ("isSensitive", variable.is_sensitive),
    ):
        if flag:
            entry[key] = True
    if variable.options:
        entry["options"] = [palette_option(option) for option in variable.options]
    return entry


def unused_variables(profile: Profile) -> list[str]:
    """The names of the profile's variables no layer refers to."""
    used = {name for layer in profile.layers for _, name in references(layer.values_override)}
    return [variable.name for variable in profile.variables if variable.name not in used]


def parse_test_values(pairs: Sequence[str], variables: Sequence[ProfileVariable]) -> dict[str, str]:
    """NAME=VALUE pairs as test values; a name the profile does not define is refused."""
    names = {variable.name for variable in variables}
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ValidationError(f"--var takes NAME=VALUE, not '{clip(pair)}'.")
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ValidationError(f"The profile has no variable '{clip(name, 40)}' (its variables: {known}).")
        values[name] = value
    return values


def palette_option(option: VariableOption) -> dict[str, Any]:
    """One of a dropdown variable's options in Palette's shape."""
    entry: dict[str, Any] = {"default": option.default}
    if option.description:
        entry["description"] = option.description
    if option.label:
        entry["label"] = option.label
    entry["value"] = option.value
    return entry


def override_with_variables(
    defaults: str | None,
    current: str,
    variables: Sequence[ProfileVariable],
    test_values: Mapping[str, str] | None = None,
) -> tuple[str, Substitution]:
    """The override as a diff against the chart's defaults, the variables substituted first (each
    its default or test value, as rendering has them); the substitution says how."""
    substitution = substitute_variables(current, variables, test_values)
    after = "this layer, variables substituted" if substitution.notes else "this layer"
    return values_diff(defaults or "", substitution.text, "chart defaults", after), substitution
