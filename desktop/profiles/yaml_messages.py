"""YAML parser errors said in plain words: what is wrong on the line and how to fix it, instead of
the parser's grammar ("expected ',' or ']', but got '?'")."""

from __future__ import annotations

import re

_CHARACTER = re.compile(r"found character '(.+)' that cannot start any token")
_ALIAS = re.compile(r"found undefined alias '(.*)'")
_ESCAPE = re.compile(r"found unknown escape character '(.*)'")
_TAG = re.compile(r"could not determine a constructor for the tag '(.*)'")


def plain_yaml_message(problem: str | None, context: str | None, context_line: int | None = None) -> str:
    """One sentence for the parser's `problem` (and its `context`, where a construct started)."""
    problem = (problem or "").strip()
    context = (context or "").strip()
    since = f" (it starts on line {context_line})" if context_line else ""
    if problem.startswith("expected ',' or ']'"):
        return f"A [ … ] list is not closed with ']', or two of its items have no comma between them{since}."
    if problem.startswith("expected ',' or '}'"):
        return f"A {{ … }} mapping is not closed with '}}', or two of its entries have no comma between them{since}."
    if problem == "mapping values are not allowed here":
        return (
            "A second ':' on this line: put a value that contains ': ' in quotes, or move the nested key "
            "to its own, indented line."
        )
    if problem.startswith("expected <block end>") or problem.startswith("did not find expected"):
        return "This line's indentation does not match the lines above it: line up keys of the same level."
    if problem == "could not find expected ':'":
        return "A key without ':' after it: write `key: value` (or indent it under the key it belongs to)."
    match = _CHARACTER.search(problem)
    if match:
        character = match.group(1)
        if character == "\\t":
            return "A tab character: YAML indents with spaces only."
        return f"A value cannot start with {character}: put it in quotes."
    if "quoted scalar" in context and "end of stream" in problem:
        return f"A quoted text is not closed: add the closing quote{since}."
    match = _ESCAPE.search(problem)
    if match:
        return (
            f"'\\{match.group(1)}' is not an escape YAML knows inside double quotes: use single quotes, "
            "or write the backslash twice."
        )
    match = _ALIAS.search(problem)
    if match:
        return f"*{match.group(1)} refers to an anchor (&{match.group(1)}) that is not defined above it."
    if "scanning an anchor" in context or "scanning an alias" in context:
        return "An '&' or '*' must be followed by a name: put the value in quotes if it is plain text."
    match = _TAG.search(problem)
    if match:
        return f"The tag {match.group(1).removeprefix('tag:yaml.org,2002:')} is not allowed in values: remove it."
    if "<document start>" in problem:
        return "A line starting with '%' is a YAML directive: put the value in quotes, or remove the line."
    return f"The YAML cannot be read here ({problem or context or 'invalid YAML'})."
