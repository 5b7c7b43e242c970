"""Helm's URL rules: where a repository's index lives and how relative chart URLs resolve."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit


def _with_trailing_slash(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), parts.query


def index_url(endpoint: str) -> str:
    """`<endpoint>/index.yaml`, keeping the endpoint's query string (some hosts carry tokens there)."""
    base, query = _with_trailing_slash(endpoint)
    parts = urlsplit(base + "index.yaml")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def resolve_chart_url(endpoint: str, reference: str) -> str:
    """An absolute chart URL as Helm resolves it: relative references join the endpoint (with a
    trailing slash) and take the endpoint's query string — unless the reference names another host
    (`//cdn.example/x.tgz`), which must not be handed a token the endpoint carries (Helm would)."""
    if urlsplit(reference).scheme:
        return reference
    base, query = _with_trailing_slash(endpoint)
    parts = urlsplit(urljoin(base, reference))
    base_parts = urlsplit(base)
    if (parts.scheme.lower(), parts.netloc.lower()) != (base_parts.scheme.lower(), base_parts.netloc.lower()):
        query = parts.query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
