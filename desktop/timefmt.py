"""Times for people: exact local timestamps and short relative phrases."""

from __future__ import annotations

import datetime as dt


def local_time(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def short_date(timestamp: float) -> str:
    """`3 Nov 14:02`, as the offline banner says it."""
    moment = dt.datetime.fromtimestamp(timestamp)
    return f"{moment.day} {moment:%b %H:%M}"


def relative_time(timestamp: float | None, now: float) -> str:
    if timestamp is None:
        return "never"
    seconds = max(0.0, now - timestamp)
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def local_date(timestamp: float) -> str:
    """`2026-11-27`, for marks such as "removed upstream on …"."""
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")


def clock_or_date(timestamp: float, now: float) -> str:
    """`15:36` when `timestamp` is today (local time), else its short date: when a state was last known."""
    from datetime import datetime

    then, today = datetime.fromtimestamp(timestamp), datetime.fromtimestamp(now)
    return then.strftime("%H:%M") if then.date() == today.date() else short_date(timestamp)
