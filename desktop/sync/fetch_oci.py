"""Fetching an OCI registry's charts: discover the repositories (catalog, or the names given), list
each one's semver tags (`_` stands for `+`; with several base paths, those under each, named
by their whole repository path), and read the chart metadata from each new version's
config blob — never the chart itself. Only versions not yet in the snapshot are read.
No catalog access here, so this can run on any thread."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from desktop.cancellation import CancelToken
from desktop.errors import NotFoundError, ValidationError
from desktop.helm.index import parse_entries
from desktop.helm.versions import newest_first, parse_version
from desktop.net.client import Download
from desktop.net.oci import HELM_CHART, HELM_CONFIG, OciClient
from desktop.net.oci_auth import OciAccess
from desktop.net.settings import NetworkSettings
from desktop.sync.fetch_index import FetchedIndex, ProgressCallback

Existing = dict[str, list[dict[str, Any]]]  # chart → its stored index items


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _mapping(value: Any) -> dict[str, Any]:
    """A manifest's part that should be a JSON object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def tag_version(tag: str) -> str:
    return tag.replace("_", "+")  # OCI tags cannot hold `+`: Helm writes `_`


def version_tag(version: str) -> str:
    return version.replace("+", "_")


def chart_reference(access: OciAccess, chart: str, version: str) -> str:
    """What `helm pull` takes: oci://host/base/chart:tag."""
    return f"oci://{urlsplit(access.endpoint).netloc}/{access.repository(chart)}:{version_tag(version)}"


def fetch_oci(
    access: OciAccess,
    settings: NetworkSettings,
    chart_names: tuple[str, ...],
    existing: Existing,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> FetchedIndex:
    warnings: list[str] = []
    with OciClient(access, settings, cancel=cancel, request_budget=settings.oci_requests_per_sync) as client:
        client.ping()
        charts = _given(chart_names, access.base_paths) or client.catalog()
        if charts is None:
            raise ValidationError(
                "This registry does not list its repositories (its catalog is closed to this account): "
                "give the names of the charts to read."
            )
        entries: dict[str, list[dict[str, Any]]] = {}
        for position, chart in enumerate(charts):
            if progress is not None:
                progress("download", position, len(charts))
            try:
                tags = client.tags(chart)
            except NotFoundError:
                if chart_names and not access.base_paths:
                    raise  # a name the user typed: say it is wrong
                if not chart_names:
                    warnings.append(f"skipped {chart}: the registry lists it but has no tags for it")
                continue
            entries[chart] = _chart_items(
                client, access, chart, tags, existing.get(chart, []), settings.oci_versions_per_chart, warnings
            )
    if chart_names and access.base_paths:
        _check_found(chart_names, access.base_paths, entries)
    parsed = parse_entries(entries)
    for warning in warnings:
        parsed.warn(warning)
    return FetchedIndex(Download(200, access.endpoint, b"", wire_bytes=client.wire_bytes), None, parsed)


def _given(chart_names: tuple[str, ...], base_paths: tuple[str, ...]) -> list[str]:
    """The charts the user named; with several base paths, each name is looked for under every one."""
    if not base_paths:
        return list(chart_names)
    return [f"{path}/{name}" for name in chart_names for path in base_paths]


def _check_found(chart_names: tuple[str, ...], base_paths: tuple[str, ...], entries: Existing) -> None:
    for name in chart_names:
        if not any(f"{path}/{name}" in entries for path in base_paths):
            raise NotFoundError(
                f"No base path of this registry ({', '.join(base_paths)}) holds a chart '{name}': "
                "check its name, or remove it from the chart names."
            )


def _chart_items(
    client: OciClient,
    access: OciAccess,
    chart: str,
    tags: Iterable[str],
    stored: list[dict[str, Any]],
    cap: int,
    warnings: list[str],
) -> list[dict[str, Any]]:
    by_version = {}
    for tag in tags:
        parsed = parse_version(tag_version(tag))
        if parsed is not None:
            by_version[parsed.text] = parsed
    known = {str(item.get("version")): item for item in stored if isinstance(item, dict)}
    ordered = newest_first(list(by_version.values()))
    new = [version for version in ordered if version.text not in known][: max(cap, 0)]
    fresh = {version.text: _read_version(client, access, chart, version.text, warnings) for version in new}
    items = []
    for version in ordered:  # still listed: what we had, or what was read now
        item = known.get(version.text) or fresh.get(version.text)
        if item is not None:
            items.append(item)
    return items


def _read_version(
    client: OciClient, access: OciAccess, chart: str, version: str, warnings: list[str]
) -> dict[str, Any] | None:
    manifest = client.manifest(chart, version_tag(version))
    config = _mapping(manifest.get("config"))
    layers = manifest.get("layers")
    layer = next(
        (
            layer
            for layer in (layers if isinstance(layers, list) else [])
            if isinstance(layer, dict) and layer.get("mediaType") == HELM_CHART
        ),
        None,
    )
    if config.get("mediaType") != HELM_CONFIG or layer is None:
        warnings.append(f"skipped {chart} {version}: that tag is not a Helm chart (another kind of artifact)")
        return None
    digest, layer_digest = config.get("digest"), layer.get("digest")
    if not (isinstance(digest, str) and _DIGEST.fullmatch(digest)) or not (
        isinstance(layer_digest, str) and _DIGEST.fullmatch(layer_digest)
    ):
        warnings.append(f"skipped {chart} {version}: its manifest names no valid sha256 digest")
        return None
    try:
        metadata = json.loads(client.blob(chart, digest))
    except (ValueError, RecursionError):
        warnings.append(f"skipped {chart} {version}: its chart metadata is not JSON")
        return None
    if not isinstance(metadata, dict):
        warnings.append(f"skipped {chart} {version}: its chart metadata is not a JSON object")
        return None
    created = _mapping(manifest.get("annotations")).get("org.opencontainers.image.created")
    item = {
        **metadata,
        "version": version,
        "urls": [chart_reference(access, chart, version)],
        "digest": layer_digest.removeprefix("sha256:"),
    }
    if isinstance(created, str) and created and "created" not in item:
        item["created"] = created
    return item
