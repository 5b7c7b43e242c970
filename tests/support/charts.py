"""Small Helm repository indexes for tests, built in code so the suite runs from a clone alone."""

from __future__ import annotations

import hashlib
from typing import Any

import yaml


def chart_entry(name: str, version: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "appVersion": fields.pop("appVersion", "1.0.0"),
        "description": fields.pop("description", f"A Helm chart for {name}"),
        "created": "2026-01-01T00:00:00Z",
        "digest": hashlib.sha256(f"{name}-{version}".encode()).hexdigest(),
        "urls": [f"{name}-{version}.tgz"],
        "type": "application",
    }
    entry.update(fields)
    return entry


def index_yaml(
    charts: dict[str, list[dict[str, Any]]], *, generated: str = "2026-01-01T00:00:00Z", api_version: str | None = "v1"
) -> bytes:
    document: dict[str, Any] = {}
    if api_version is not None:
        document["apiVersion"] = api_version
    document["entries"] = charts
    document["generated"] = generated
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def simple_index(versions: dict[str, list[str]], **kwargs: Any) -> bytes:
    """{'nginx': ['1.2.0', '1.1.0']} → an index with those charts and versions."""
    return index_yaml({name: [chart_entry(name, v) for v in vs] for name, vs in versions.items()}, **kwargs)
