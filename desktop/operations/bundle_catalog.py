"""What the catalog looks like inside a bundle, made the same way by export, `bundle have` and import:
each chart's shard, each registry's record (without credentials), each profile's record and fingerprint."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from desktop.bundle.catalog_records import LayerRecord, ProfileRecord, RegistryRecord
from desktop.bundle.go_json import marshal
from desktop.bundle.snapshot_shards import RemovedMark, snapshot_shard
from desktop.catalog.bundle_rows import RemovedRow, chart_document, chart_documents, removed_rows
from desktop.catalog.sync_records import SyncState
from desktop.profiles.model import Profile
from desktop.profiles.variable_documents import variables_document
from desktop.registry import Registry


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def public_endpoint(endpoint: str) -> str:
    """The endpoint a bundle carries and matches by: no login, no query string, no fragment, no trailing
    slash, scheme and host in lowercase."""
    parts = urlsplit(endpoint.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def removed_marks(rows: list[RemovedRow]) -> list[RemovedMark]:
    return [
        RemovedMark(version, removed_at, bool(prerelease), bool(deprecated), app_version, description, search, entry)
        for version, removed_at, prerelease, deprecated, app_version, description, search, entry in rows
    ]


def registry_shards(db: sqlite3.Connection, registry_id: int) -> list[tuple[str, bytes]]:
    """(chart, shard) for every chart of the registry's snapshot, removed-upstream ones included, by name."""
    documents = chart_documents(db, registry_id)
    marks = removed_rows(db, registry_id)
    names = sorted(documents.keys() | marks.keys(), key=lambda name: name.encode("utf-8"))
    return [(name, snapshot_shard(documents.get(name), removed_marks(marks.get(name, [])))) for name in names]


def chart_shard(db: sqlite3.Connection, registry_id: int, chart: str) -> bytes | None:
    """One chart's shard as this catalog would write it; None when the snapshot knows no such chart."""
    document = chart_document(db, registry_id, chart)
    marks = removed_rows(db, registry_id, chart).get(chart, [])
    if document is None and not marks:
        return None
    return snapshot_shard(document, removed_marks(marks))


def shard_digests(db: sqlite3.Connection, registry_id: int) -> dict[str, str]:
    """chart → the digest of its shard as this catalog would write it."""
    return {chart: digest_of(shard) for chart, shard in registry_shards(db, registry_id)}


def registry_record(registry: Registry, state: SyncState, charts: tuple[tuple[str, str], ...]) -> RegistryRecord:
    return RegistryRecord(
        name=registry.name,
        kind=registry.kind,
        endpoint=public_endpoint(registry.endpoint),
        sync_enabled=registry.sync_enabled,
        insecure_skip_tls_verify=registry.insecure_skip_tls_verify,
        plain_http=registry.plain_http,
        chart_names=registry.chart_names,
        base_paths=registry.base_paths,
        certificate=registry.ca_pem,
        private=registry.is_private,
        snapshot_at=state.snapshot_at,
        api_version=None,
        charts=charts,
    )


def profile_record(profile: Profile, registries: Mapping[str, Registry]) -> ProfileRecord:
    """The profile as a bundle carries it: each layer's registry by name, endpoint and kind."""
    layers = []
    for layer in profile.layers:
        registry = registries.get(layer.registry_uid)
        if registry is not None:
            name, endpoint, kind = registry.name, registry.endpoint, registry.kind
        else:  # removed since: what the layer remembers
            name, endpoint = layer.registry_name, layer.registry_endpoint
            kind = "oci" if endpoint.lower().startswith("oci://") else "helm"
        layers.append(
            LayerRecord(
                name,
                public_endpoint(endpoint),
                kind,
                layer.chart,
                layer.version,
                layer.namespace,
                layer.install_priority,
                layer.values_override,
            )
        )
    return ProfileRecord(
        profile.name, profile.version, profile.description, profile.tags, tuple(layers), profile.variables
    )


def profile_fingerprint(profile: Profile) -> str:
    """What a profile holds, its name aside: equal fingerprints, equal profiles."""
    content: list[Any] = [
        profile.version,
        profile.description,
        list(profile.tags),
        [
            [
                layer.registry_uid,
                layer.chart,
                layer.version,
                layer.namespace,
                layer.install_priority,
                layer.values_override,
            ]
            for layer in profile.layers
        ],
    ]
    if profile.variables:  # left out when there are none: fingerprints recorded before variables still match
        content.append(variables_document(profile.variables))
    return hashlib.sha256(marshal(content)).hexdigest()


def chart_created(created: object, fallback: float) -> str:
    """A chart's creation date for its artifact: as its index states it, else `fallback` (the
    snapshot's time) — never the clock, so the same chart always gives the same manifest."""
    from desktop.bundle.catalog_records import rfc3339
    from desktop.bundle.errors import ChartArtifactError
    from desktop.bundle.helm_artifact import helm_created

    if isinstance(created, str) and created:
        try:
            return helm_created(created)
        except ChartArtifactError:
            pass
    return rfc3339(fallback)
