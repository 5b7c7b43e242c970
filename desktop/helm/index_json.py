"""An index written as JSON, read as Helm reads it: numbers kept as written, and a key repeated at the
document's or the entries' level keeping every value (deeper, the last), as Go's decoder does."""

from __future__ import annotations

import json
from typing import Any

from desktop.errors import IndexFormatError
from desktop.helm.metadata import NumberText


class _RepeatedKeys(dict):  # type: ignore[type-arg]
    """A JSON object that names a key more than once; `pairs` holds every one of them."""

    __slots__ = ("pairs",)
    pairs: list[tuple[str, Any]]


def pairs_of(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every key and value of a mapping `try_json` read, a repeated key's each time."""
    return mapping.pairs if isinstance(mapping, _RepeatedKeys) else list(mapping.items())


_JSON = json.JSONDecoder(parse_float=NumberText, parse_int=NumberText)


def _after_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n\r":
        position += 1
    return position


def _json_object(text: str, position: int, nested: str | None) -> tuple[dict[str, Any], int]:
    """The JSON object at `position` (a `{`) and where it ends. Its values are decoded by the C
    decoder, except the one under the key `nested`, read like this one: at these two levels (the
    document, its entries) a repeated key keeps every value, deeper it keeps the last, as in Go."""
    pairs: list[tuple[str, Any]] = []
    position = _after_blanks(text, position + 1)
    if text.startswith("}", position):
        return {}, position + 1
    while True:
        if not text.startswith('"', position):
            raise ValueError("a key was expected")
        key, position = _JSON.raw_decode(text, position)
        position = _after_blanks(text, position)
        if not text.startswith(":", position):
            raise ValueError("':' was expected")
        position = _after_blanks(text, position + 1)
        if key == nested and text.startswith("{", position):
            value, position = _json_object(text, position, None)
        else:
            value, position = _JSON.raw_decode(text, position)
        pairs.append((key, value))
        position = _after_blanks(text, position)
        if text.startswith(",", position):
            position = _after_blanks(text, position + 1)
        elif text.startswith("}", position):
            break
        else:
            raise ValueError("',' or '}' was expected")
    decoded = dict(pairs)
    if len(decoded) == len(pairs):
        return decoded, position + 1
    repeated = _RepeatedKeys(decoded)
    repeated.pairs = pairs
    return repeated, position + 1


def try_json(text: str) -> Any:
    """The index as JSON when it is JSON (numbers kept as written); None when Helm would read it as YAML."""
    try:
        start = _after_blanks(text, 0)
        if text.startswith("{", start):
            document, end = _json_object(text, start, "entries")
        else:
            document, end = _JSON.raw_decode(text, start)
        if _after_blanks(text, end) != len(text):
            return None  # more after the JSON: Helm reads it as YAML then
        return document
    except RecursionError:
        raise IndexFormatError("The index nests too deeply to be a Helm index.") from None
    except ValueError:
        return None  # not JSON after all: Helm reads it as YAML then
