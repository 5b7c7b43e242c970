"""A profile's variables as documents: Palette's V1Variable shape for exports and imports, and the
catalog's (and a bundle's) record of them, each field read back as hostile input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.errors import ValidationError
from desktop.profiles.model import ProfileVariable, VariableOption
from desktop.profiles.variables import (
    MAX_VARIABLES,
    NAME_MAX,
    REGEX_MAX,
    TEXT_MAX,
    VALUE_MAX,
    palette_option,
    validate_variables,
)


def palette_variable(variable: ProfileVariable) -> dict[str, Any]:
    """Palette's V1Variable as its API writes it (fields in its order, empty optional ones left
    out), a sensitive default masked as Palette masks it."""
    entry: dict[str, Any] = {"defaultValue": variable.shown_default()}
    if variable.description:
        entry["description"] = variable.description
    if variable.display_name:
        entry["displayName"] = variable.display_name
    entry["format"] = variable.format
    entry["hidden"] = variable.hidden
    entry["immutable"] = variable.immutable
    entry["inputType"] = variable.input_type
    entry["isSensitive"] = variable.is_sensitive
    entry["name"] = variable.name
    entry["options"] = [palette_option(option) for option in variable.options] if variable.options else None
    if variable.regex:
        entry["regex"] = variable.regex
    entry["required"] = variable.required
    return entry


def read_palette_variables(value: object, where: str = "'spec.variables'") -> tuple[ProfileVariable, ...]:
    """Variables from a Palette export (or a Chartkeeper record): each field checked for its type
    and length, then the rules; anything amiss is one ValidationError naming it."""
    variables = read_variable_fields(value, where)
    try:
        return validate_variables(variables)
    except ValidationError as exc:
        raise ValidationError(f"In {where}: {exc.message}") from None


def read_variable_fields(value: object, where: str) -> tuple[ProfileVariable, ...]:
    """Variables in Palette's shape, each field checked for its type and length (not the rules)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValidationError(f"{where} is not a list of variables.")
    if len(value) > MAX_VARIABLES:
        raise ValidationError(f"{where} has {len(value)} variables; a profile has at most {MAX_VARIABLES}.")
    read = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ValidationError(f"Variable {number} of {where} is not an object.")
        fields = _Reader(item, f"Variable {number} of {where}")
        options = []
        raw_options = item.get("options")
        if raw_options is not None and not isinstance(raw_options, list):
            raise ValidationError(f"The options of variable {number} of {where} are not a list.")
        for option in raw_options or []:
            if not isinstance(option, dict):
                raise ValidationError(f"An option of variable {number} of {where} is not an object.")
            opt = _Reader(option, f"An option of variable {number} of {where}")
            options.append(
                VariableOption(opt.text("value"), opt.text("label"), opt.text("description"), opt.flag("default"))
            )
        read.append(
            ProfileVariable(
                name=fields.text("name", NAME_MAX),
                display_name=fields.text("displayName"),
                description=fields.text("description"),
                format=fields.text("format") or "string",
                default_value=fields.text("defaultValue", VALUE_MAX),
                regex=fields.text("regex", REGEX_MAX),
                required=fields.flag("required"),
                immutable=fields.flag("immutable"),
                hidden=fields.flag("hidden"),
                is_sensitive=fields.flag("isSensitive"),
                input_type=fields.text("inputType") or "text",
                options=tuple(options),
            )
        )
    return tuple(read)


class _Reader:
    def __init__(self, value: dict[str, Any], what: str) -> None:
        self.value = value
        self.what = what

    def text(self, key: str, limit: int = TEXT_MAX) -> str:
        value = self.value.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationError(f"{self.what}: '{key}' is not text.")
        if len(value) > limit:
            raise ValidationError(f"{self.what}: '{key}' is {len(value):,} characters long; the limit is {limit:,}.")
        return value

    def flag(self, key: str) -> bool:
        value = self.value.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ValidationError(f"{self.what}: '{key}' is not true or false.")
        return value


def variables_document(variables: Sequence[ProfileVariable], *, mask: bool = False) -> list[dict[str, Any]]:
    """The variables as the catalog (and, masked, a bundle) keeps them: Palette's field names, the
    default kept as it is unless `mask`."""
    documents = []
    for variable in variables:
        entry = palette_variable(variable)
        entry["defaultValue"] = variable.shown_default() if mask else variable.default_value
        documents.append(entry)
    return documents
