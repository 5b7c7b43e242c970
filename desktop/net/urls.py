"""URL facts the network layer needs: a URL's origin, and a form safe to show in messages and logs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def origin(url: str) -> Origin:
    """(scheme, host, port) with the scheme's default port filled in: what credentials are scoped to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def host_and_port(url: str) -> str:
    _, host, port = origin(url)
    return f"{host}:{port}"


def redacted(url: str) -> str:
    """The URL without user info or query string, which may carry secrets."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
