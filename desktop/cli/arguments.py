"""Argument types that refuse what makes no sense (nan, inf, negative sizes, huge counts) with a usage error."""

from __future__ import annotations

import argparse
import math


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of {what}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number of {what}")
    return value


def size_mb(text: str) -> float:
    """A size limit in MB: more than 0, at most 100,000."""
    value = _number(text, "MB")
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError(f"'{text}' MB is out of range: give more than 0 and at most 100000")
    return value


def days(text: str) -> float:
    value = _number(text, "days")
    if not 0 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"'{text}' days is out of range: give 0 to 100000")
    return value


def count(text: str) -> int:
    """A positive count, such as how many runs to list."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range: give 1 to 1000000")
    return value


MAX_KEYWORD = 1000


def keyword(text: str) -> str:
    """A search keyword: nothing in a catalog is matched by a longer one."""
    if len(text) > MAX_KEYWORD:
        raise argparse.ArgumentTypeError(f"the keyword is {len(text):,} characters long: keep it under {MAX_KEYWORD:,}")
    return text
