"""JSON from a bundle or a registry parsed with limits a hostile file cannot pass: size, nesting, element count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from desktop.bundle.errors import BundleError

MAX_DEPTH = 32
MAX_ELEMENTS = 1_000_000


def load_json(data: bytes, what: str, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """`data` decoded, or a BundleError when it is too large, not JSON, nested too deeply or too many values."""
    if len(data) > max_bytes:
        raise BundleError(f"{what} is {len(data):,} bytes, over the {max_bytes:,}-byte limit: refused.")
    try:
        value = orjson.loads(data)  # refuses nesting past 1024 levels itself
    except orjson.JSONDecodeError as exc:
        raise BundleError(f"{what} is not valid JSON ({str(exc).split(':')[0]}): refused.") from None
    _check_shape(value, what, max_depth)
    return value


def _check_shape(value: Any, what: str, max_depth: int) -> None:
    pending: list[tuple[Any, int]] = [(value, 0)]
    children: Iterable[Any]
    elements = 0
    while pending:
        item, depth = pending.pop()
        elements += 1
        if elements > MAX_ELEMENTS:
            raise BundleError(f"{what} holds more than {MAX_ELEMENTS:,} values: refused.")
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth:
            raise BundleError(f"{what} nests deeper than {max_depth} levels: refused.")
        pending.extend((child, depth + 1) for child in children)
