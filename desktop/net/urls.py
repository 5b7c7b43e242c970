"""URL facts the network layer needs: a URL's origin, and a form safe to show in messages and logs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REPOSITORY_PART = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")  # one part of an OCI repository's name


def chart_base_path(chart: str, base_paths: tuple[str, ...]) -> str | None:
    """Which base path of an OCI registry a path-qualified chart name lies directly under (None:
    under none of them)."""
    path, slash, name = chart.rpartition("/")
    return path if slash and _REPOSITORY_PART.fullmatch(name) and path in base_paths else None


Origin = tuple[str, str, int]


def origin(url: str) -> Origin:
    """(scheme, host, port) with the scheme's default port filled in: what credentials are scoped to.
    A URL too broken to split has no origin that anything could match: ("", "", 0)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "", "", 0
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def host_and_port(url: str) -> str:
    _, host, port = origin(url)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def redacted(url: str) -> str:
    """The URL without user info or query string, which may carry secrets."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return redacted_userinfo(url.split("?", 1)[0])
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port:
        netloc += f":{port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redacted_userinfo(url: str) -> str:
    """The URL as written, with a password in its user info masked (`http://carol:***@host/`)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority_end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority = rest[:authority_end]
    if "@" not in authority:
        return url
    userinfo, host = authority.rsplit("@", 1)
    user = userinfo.split(":", 1)[0]
    masked = f"{user}:***" if ":" in userinfo else user
    return f"{scheme}://{masked}@{host}{rest[authority_end:]}"


def clipped(text: str, limit: int = 300) -> str:
    """Text a server controls, cut to `limit` characters for a message or the history."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"
