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


def chart_archive(
    name: str,
    version: str,
    *,
    values: str | None = "replicaCount: 1\n",
    readme: str | None = None,
    schema: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A packaged chart (.tgz) as `helm package` lays it out: `<name>/Chart.yaml` and friends."""
    import gzip
    import io
    import tarfile

    files: dict[str, bytes] = {
        f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode(),
    }
    if values is not None:
        files[f"{name}/values.yaml"] = values.encode()
    if readme is not None:
        files[f"{name}/README.md"] = readme.encode()
    if schema is not None:
        files[f"{name}/values.schema.json"] = schema.encode()
    files.update(extra or {})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue())


def publish_charts(server: Any, charts: dict[str, dict[str, bytes]], prefix: str = "") -> bytes:
    """Put archives and a matching index (digests included) on a RepoServer; return the index."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for name, versions in charts.items():
        for version, archive in versions.items():
            server.put(f"{prefix}/{name}-{version}.tgz", archive)
            entries.setdefault(name, []).append(chart_entry(name, version, digest=hashlib.sha256(archive).hexdigest()))
    index = index_yaml(entries)
    server.put(f"{prefix}/index.yaml", index)
    return index
