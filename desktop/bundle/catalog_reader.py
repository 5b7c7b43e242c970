"""A bundle's catalog artifact read back: its config, registries, profiles and archive list, every layer
accounted for by the config and of the media type its role needs; shards are read later, one at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from desktop.bundle import catalog_records as records
from desktop.bundle.catalog_records import (
    ArchiveRecord,
    CatalogConfig,
    ProfileRecord,
    RegistryRecord,
    parse_archive_list,
)
from desktop.bundle.descriptors import Descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.media_types import LAYOUT_RECORD

MAX_CONFIG_BYTES = 4 * 1024 * 1024


class LayerSource(Protocol):
    """Where a catalog's layers are read: a verified layout, or blobs fetched from a registry."""

    def read(self, digest: str, max_bytes: int) -> bytes | None:
        """The layer's bytes (checked against the digest), or None when it is not carried (a delta)."""
        ...


@dataclass(frozen=True)
class BundleCatalog:
    config: CatalogConfig
    registries: tuple[RegistryRecord, ...]
    profiles: tuple[tuple[str, ProfileRecord | None], ...]  # (digest, record), None when a delta leaves it out
    archives: tuple[ArchiveRecord, ...]

    @property
    def mtime(self) -> int:
        return self.config.mtime

    def registry(self, name: str) -> RegistryRecord | None:
        return next((registry for registry in self.registries if registry.name == name), None)


def read_catalog(
    config: Descriptor, config_bytes: bytes, layers: Sequence[Descriptor], source: LayerSource
) -> BundleCatalog:
    """The catalog whose config is `config_bytes` and whose manifest lists `layers` (the layout record
    last); the layers it needs now are read from `source`."""
    if config.media_type != records.CATALOG_CONFIG:
        raise BundleError("The bundle's catalog has a config of another kind: it was not written by this Chartkeeper.")
    parsed = CatalogConfig.parse(config_bytes)
    kinds = _layer_kinds(layers)
    expected: dict[str, str] = {}

    def expect(digest: str, media_type: str) -> None:
        if kinds.get(digest) != media_type or expected.get(digest, media_type) != media_type:
            raise BundleError(f"The bundle's catalog lists layer {digest[:19]}… with the wrong role: refused.")
        expected[digest] = media_type

    registries = []
    for digest in parsed.registries:
        expect(digest, records.REGISTRY_RECORD)
        data = _required(source, digest, records.MAX_RECORD_BYTES, "a registry record")
        registry = RegistryRecord.parse(data, f"Registry record {digest[:19]}… of the bundle")
        for _chart, shard in registry.charts:
            expect(shard, records.INDEX_SHARD)
        registries.append(registry)
    names = [registry.name.casefold() for registry in registries]
    if len(set(names)) != len(names):
        raise BundleError("The bundle's catalog holds two registries of the same name: refused.")
    profiles: list[tuple[str, ProfileRecord | None]] = []
    for digest in parsed.profiles:
        expect(digest, records.PROFILE_RECORD)
        carried = source.read(digest, records.MAX_RECORD_BYTES)
        profiles.append((digest, None if carried is None else ProfileRecord.parse(carried, f"Profile {digest[:19]}…")))
    profile_names = [record.name.casefold() for _, record in profiles if record is not None]
    if len(set(profile_names)) != len(profile_names):
        raise BundleError("The bundle's catalog holds two profiles of the same name: refused.")
    archives: tuple[ArchiveRecord, ...] = ()
    if parsed.archives is not None:
        expect(parsed.archives, records.ARCHIVE_LIST)
        archives = parse_archive_list(_required(source, parsed.archives, records.MAX_RECORD_BYTES, "its archive list"))
        known = {registry.name for registry in registries}
        stray = next((item for item in archives if item.registry not in known), None)
        if stray is not None:
            raise BundleError(f"The bundle lists archive {stray.ref[:80]} of a registry it does not carry: refused.")
    for digest in parsed.chart_files:
        expect(digest, records.CHART_FILES)
    unaccounted = set(kinds) - set(expected)
    if unaccounted:
        raise BundleError(
            f"The bundle's catalog holds layer {min(unaccounted)[:19]}… that its config never names: refused."
        )
    return BundleCatalog(parsed, tuple(registries), tuple(profiles), archives)


def _layer_kinds(layers: Sequence[Descriptor]) -> dict[str, str]:
    if not layers or layers[-1].media_type != LAYOUT_RECORD:
        raise BundleError("The bundle's catalog has no layout record: it was not written by Chartkeeper.")
    kinds: dict[str, str] = {}
    for layer in layers[:-1]:
        if layer.digest in kinds:
            raise BundleError(f"The bundle's catalog lists layer {layer.digest[:19]}… twice: refused.")
        kinds[layer.digest] = layer.media_type
    return kinds


def _required(source: LayerSource, digest: str, max_bytes: int, what: str) -> bytes:
    data = source.read(digest, max_bytes)
    if data is None:
        raise BundleError(f"The bundle leaves out {what} ({digest[:19]}…), which no delta may: refused.")
    return data
