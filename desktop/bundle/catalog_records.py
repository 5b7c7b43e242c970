"""The documents of a bundle's catalog artifact: its config, each registry's settings (no credentials),
profiles, the list of chart archives, and the files people read in each chart.

Every document is written with Go's JSON encoder (fields in a fixed order, maps sorted), so the
same catalog gives the same bytes; every document read back is hostile input: bounded, and each
field checked by the rule the app applies when a person types it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import DIGEST
from desktop.bundle.errors import BundleError
from desktop.bundle.go_json import Struct, marshal
from desktop.errors import ValidationError

if TYPE_CHECKING:
    from desktop.profiles.model import ProfileVariable
    from desktop.registry import RegistryKind

CATALOG_CONFIG = "application/vnd.chartkeeper.catalog.config.v1+json"
REGISTRY_RECORD = "application/vnd.chartkeeper.registry.v1+json"
INDEX_SHARD = "application/vnd.chartkeeper.index.v1+json"
PROFILE_RECORD = "application/vnd.chartkeeper.profile.v1+json"
ARCHIVE_LIST = "application/vnd.chartkeeper.archives.v1+json"
CHART_FILES = "application/vnd.chartkeeper.chart-files.v1+json"
CHART_MODES = ("none", "pinned", "profiles", "latest", "all")

MIB = 1024 * 1024
MAX_RECORD_BYTES = 64 * MIB
MAX_TEXT = 64 * 1024
MAX_VALUES = 4 * MIB
T = TypeVar("T")


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_tag(timestamp: float) -> str:
    """The catalog's tag in a registry: its date and time, as an OCI tag allows (`20261127T101500Z`)."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y%m%dT%H%M%SZ")


# --- checking hostile fields ---------------------------------------------------------------------


class _Fields:
    """A JSON object from a bundle, read field by field; any misfit is one BundleError naming `what`."""

    def __init__(self, value: Any, what: str) -> None:
        if not isinstance(value, dict):
            raise BundleError(f"{what} is not a JSON object: refused.")
        self.value = value
        self.what = what

    def fail(self, key: str, rule: str) -> BundleError:
        return BundleError(f"{self.what} has a '{key}' that is not {rule}: refused.")

    def text(self, key: str, limit: int = MAX_TEXT, *, empty: bool = True) -> str:
        value = self.value.get(key)
        if not isinstance(value, str) or len(value) > limit or (not empty and not value):
            raise self.fail(key, "text")
        return value

    def optional_text(self, key: str, limit: int = MAX_TEXT) -> str | None:
        return None if self.value.get(key) is None else self.text(key, limit)

    def flag(self, key: str) -> bool:
        value = self.value.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def number(self, key: str) -> float | None:
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise self.fail(key, "a time")
        return float(value)

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.value.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}")
        return value

    def digest(self, key: str) -> str:
        value = self.value.get(key)
        if not isinstance(value, str) or not DIGEST.fullmatch(value):
            raise self.fail(key, "a sha256 digest")
        return value

    def items(self, key: str, limit: int) -> list[Any]:
        value = self.value.get(key)
        if not isinstance(value, list) or len(value) > limit:
            raise self.fail(key, f"a list of at most {limit:,} items")
        return value


def _checked(rule: Callable[[T], T], value: T, what: str) -> T:
    try:
        return rule(value)
    except ValidationError as exc:
        raise BundleError(f"{what}: {exc.message}") from None


def _digests(fields: _Fields, key: str, limit: int) -> tuple[str, ...]:
    values = fields.items(key, limit)
    if not all(isinstance(value, str) and DIGEST.fullmatch(value) for value in values):
        raise fields.fail(key, "a list of sha256 digests")
    return tuple(values)


# --- the config -----------------------------------------------------------------------------------


MAX_MISSING = 100_000


@dataclass(frozen=True)
class MissingArchive:
    """A chart archive the bundle was asked to carry and does not, why, and the profiles that need it."""

    registry: str
    chart: str
    version: str
    reason: str
    profiles: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.registry}/{self.chart} {self.version}: {self.reason}"

    def to_struct(self) -> Struct:
        return Struct(
            [
                ("registry", self.registry),
                ("chart", self.chart),
                ("version", self.version),
                ("reason", self.reason),
                ("profiles", list(self.profiles)),
            ]
        )

    @classmethod
    def parse(cls, value: Any, what: str) -> MissingArchive:
        fields = _Fields(value, what)
        profiles = fields.items("profiles", 10_000)
        if not all(isinstance(name, str) and len(name) <= MAX_TEXT for name in profiles):
            raise fields.fail("profiles", "a list of profile names")
        return cls(
            fields.text("registry", empty=False),
            fields.text("chart", empty=False),
            fields.text("version", empty=False),
            fields.text("reason"),
            tuple(profiles),
        )


@dataclass(frozen=True)
class CatalogConfig:
    """What the catalog holds, by digest: one registry record each, the profiles, the archive list;
    and the archives it was asked to carry but does not."""

    mtime: int
    charts: str  # which chart archives were chosen (CHART_MODES)
    registries: tuple[str, ...]
    profiles: tuple[str, ...]
    archives: str | None
    chart_files: tuple[str, ...]
    missing: tuple[MissingArchive, ...] = ()

    def to_bytes(self) -> bytes:
        fields: list[tuple[str, Any]] = [
            ("schemaVersion", 1),
            ("created", rfc3339(self.mtime)),
            ("mtime", self.mtime),
            ("charts", self.charts),
            ("registries", list(self.registries)),
            ("profiles", list(self.profiles)),
            ("archives", self.archives),
            ("chartFiles", list(self.chart_files)),
        ]
        if self.missing:  # written only when there is some: a complete bundle is as it always was
            fields.append(("missingArchives", [item.to_struct() for item in self.missing]))
        return marshal(Struct(fields))

    @classmethod
    def parse(cls, data: bytes) -> CatalogConfig:
        what = "The bundle's catalog config"
        fields = _Fields(load_json(data, what, 4 * MIB), what)
        if fields.value.get("schemaVersion") != 1:
            raise BundleError(f"{what} is of a version this Chartkeeper does not read: update Chartkeeper.")
        charts = fields.text("charts")
        if charts not in CHART_MODES:
            raise fields.fail("charts", "a chart selection")
        archives = fields.value.get("archives")
        missing = fields.items("missingArchives", MAX_MISSING) if "missingArchives" in fields.value else []
        return cls(
            fields.integer("mtime", 0, 2**40),
            charts,
            _digests(fields, "registries", 10_000),
            _digests(fields, "profiles", 100_000),
            None if archives is None else fields.digest("archives"),
            _digests(fields, "chartFiles", 100_000),
            tuple(MissingArchive.parse(item, f"{what}'s missing archive") for item in missing),
        )


# --- registries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryRecord:
    """A registry's settings as a bundle carries them — never a username, password or query string —
    with its snapshot's time and, per chart, the digest of that chart's shard."""

    name: str
    kind: RegistryKind
    endpoint: str
    sync_enabled: bool
    insecure_skip_tls_verify: bool
    plain_http: bool
    chart_names: tuple[str, ...]
    certificate: str | None
    private: bool  # it needs a login (not carried)
    snapshot_at: float | None
    api_version: str | None
    charts: tuple[tuple[str, str], ...] = field(default=())  # (chart, shard digest), sorted by name
    # OCI: the repository paths read on the host; written only when there are some, so a bundle
    # without them is what it was before they existed.
    base_paths: tuple[str, ...] = ()

    def to_bytes(self) -> bytes:
        paths = [("basePaths", list(self.base_paths))] if self.base_paths else []
        return marshal(
            Struct(
                [
                    ("name", self.name),
                    ("kind", self.kind),
                    ("endpoint", self.endpoint),
                    ("syncEnabled", self.sync_enabled),
                    ("insecureSkipTlsVerify", self.insecure_skip_tls_verify),
                    ("plainHttp", self.plain_http),
                    ("chartNames", list(self.chart_names)),
                    *paths,
                    ("certificate", self.certificate),
                    ("private", self.private),
                    ("snapshotAt", self.snapshot_at),
                    ("apiVersion", self.api_version),
                    ("charts", [[chart, digest] for chart, digest in self.charts]),
                ]
            )
        )

    @classmethod
    def parse(cls, data: bytes, what: str) -> RegistryRecord:
        from desktop.certificates import parse_certificates
        from desktop.registry import (
            REGISTRY_KINDS,
            validate_base_paths,
            validate_chart_names,
            validate_endpoint,
            validate_name,
            validate_oci_endpoint,
        )

        fields = _Fields(load_json(data, what, MAX_RECORD_BYTES), what)
        name = _checked(validate_name, fields.text("name", 64), what)
        what = f"Registry '{name}' in the bundle"
        fields.what = what
        text = fields.text("kind")
        if text not in REGISTRY_KINDS:
            raise fields.fail("kind", "helm or oci")
        kind: RegistryKind = "oci" if text == "oci" else "helm"
        endpoint = fields.text("endpoint", 4096)
        _checked(validate_oci_endpoint if kind == "oci" else validate_endpoint, endpoint, what)
        if "?" in endpoint or "@" in endpoint.partition("://")[2].partition("/")[0]:
            raise BundleError(f"{what} has an endpoint with a query or a login in it: refused.")
        certificate = fields.optional_text("certificate", 1024 * 1024)
        if certificate is not None:
            certificate = _checked(
                lambda pem: parse_certificates(pem.encode("ascii", "replace")).pem, certificate, what
            )
        chart_names = fields.items("chartNames", 10_000)
        if not all(isinstance(item, str) for item in chart_names):
            raise fields.fail("chartNames", "a list of chart names")
        base_paths = fields.items("basePaths", 1000) if "basePaths" in fields.value else []
        if not all(isinstance(item, str) for item in base_paths) or (base_paths and kind != "oci"):
            raise fields.fail("basePaths", "a list of an OCI registry's repository paths")
        charts: list[tuple[str, str]] = []
        for item in fields.items("charts", 1_000_000):
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not 0 < len(item[0]) <= 1000
                or not item[0].isprintable()
                or not isinstance(item[1], str)
                or not DIGEST.fullmatch(item[1])
            ):
                raise fields.fail("charts", "a list of [chart, digest] pairs")
            charts.append((item[0], item[1]))
        if [chart for chart, _ in charts] != sorted({chart for chart, _ in charts}, key=lambda c: c.encode()):
            raise fields.fail("charts", "sorted by name, each chart once")
        return cls(
            name,
            kind,
            endpoint,
            fields.flag("syncEnabled"),
            fields.flag("insecureSkipTlsVerify"),
            fields.flag("plainHttp"),
            _checked(validate_chart_names, tuple(chart_names), what) if kind == "oci" else (),
            certificate,
            fields.flag("private"),
            fields.number("snapshotAt"),
            fields.optional_text("apiVersion", 64),
            tuple(charts),
            _checked(validate_base_paths, tuple(base_paths), what),
        )


# --- profiles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerRecord:
    registry: str  # the registry's name in the bundle
    registry_endpoint: str
    registry_kind: str
    chart: str
    version: str
    namespace: str
    install_priority: int
    values: str


@dataclass(frozen=True)
class ProfileRecord:
    name: str
    version: str
    description: str
    tags: tuple[str, ...]
    layers: tuple[LayerRecord, ...]
    variables: tuple[ProfileVariable, ...] = ()  # written in Palette's V1Variable shape, sensitive defaults masked

    def to_bytes(self) -> bytes:
        from desktop.profiles.variable_documents import variables_document

        # written only when there are some, so a profile without variables keeps the digest it had
        variables = [("variables", variables_document(self.variables, mask=True))] if self.variables else []
        return marshal(
            Struct(
                [
                    ("name", self.name),
                    ("version", self.version),
                    ("description", self.description),
                    ("tags", list(self.tags)),
                    *variables,
                    (
                        "layers",
                        [
                            Struct(
                                [
                                    ("registry", layer.registry),
                                    ("registryEndpoint", layer.registry_endpoint),
                                    ("registryKind", layer.registry_kind),
                                    ("chart", layer.chart),
                                    ("version", layer.version),
                                    ("namespace", layer.namespace),
                                    ("installPriority", layer.install_priority),
                                    ("values", layer.values),
                                ]
                            )
                            for layer in self.layers
                        ],
                    ),
                ]
            )
        )

    @classmethod
    def parse(cls, data: bytes, what: str) -> ProfileRecord:
        from desktop.profiles import model

        fields = _Fields(load_json(data, what, MAX_RECORD_BYTES), what)
        name = _checked(model.validate_profile_name, fields.text("name", model.NAME_MAX), what)
        what = f"Profile '{name}' in the bundle"
        fields.what = what
        tags = fields.items("tags", 1000)
        if not all(isinstance(tag, str) for tag in tags):
            raise fields.fail("tags", "a list of tags")
        layers = []
        for number, item in enumerate(fields.items("layers", 10_000), start=1):
            layer = _Fields(item, f"{what}, layer {number},")
            kind = layer.text("registryKind")
            if kind not in ("helm", "oci"):
                raise layer.fail("registryKind", "helm or oci")
            layers.append(
                LayerRecord(
                    layer.text("registry", 64),
                    layer.text("registryEndpoint", 4096),
                    kind,
                    _checked(partial(model.validate_chart_name, oci=kind == "oci"), layer.text("chart"), what),
                    _checked(model.validate_layer_version, layer.text("version", 128), what),
                    _checked(model.validate_namespace, layer.text("namespace", 63), what),
                    _checked(model.validate_install_priority, layer.integer("installPriority", -1000, 1000), what),
                    layer.text("values", MAX_VALUES),
                )
            )
        return cls(
            name,
            _checked(model.validate_profile_version, fields.text("version", 64), what),
            _checked(model.validate_description, fields.text("description", model.DESCRIPTION_MAX), what),
            _checked(model.validate_tags, tuple(tags), what),
            tuple(layers),
            _record_variables(fields.value.get("variables"), what),
        )


def _record_variables(value: object, what: str) -> tuple[ProfileVariable, ...]:
    from desktop.profiles.variable_documents import read_palette_variables

    try:
        return read_palette_variables(value, "its variables")
    except ValidationError as exc:
        raise BundleError(f"{what}: {exc.message}") from None


# --- chart archives -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveRecord:
    """A chart archive the bundle carries as a Helm artifact named `ref`."""

    ref: str
    registry: str
    chart: str
    version: str
    digest: str  # sha256 of the .tgz
    pinned: bool


def archive_list_bytes(archives: list[ArchiveRecord]) -> bytes:
    return marshal(
        [
            Struct(
                [
                    ("ref", item.ref),
                    ("registry", item.registry),
                    ("chart", item.chart),
                    ("version", item.version),
                    ("digest", item.digest),
                    ("pinned", item.pinned),
                ]
            )
            for item in sorted(archives, key=lambda item: item.ref.encode())
        ]
    )


def parse_archive_list(data: bytes) -> tuple[ArchiveRecord, ...]:
    what = "The bundle's list of chart archives"
    items = load_json(data, what, MAX_RECORD_BYTES)
    if not isinstance(items, list):
        raise BundleError(f"{what} is not a list: refused.")
    records = []
    for number, item in enumerate(items, start=1):
        fields = _Fields(item, f"{what}, item {number},")
        records.append(
            ArchiveRecord(
                fields.text("ref", 255, empty=False),
                fields.text("registry", 64, empty=False),
                fields.text("chart", 1000, empty=False),
                fields.text("version", 128, empty=False),
                fields.digest("digest"),
                fields.flag("pinned"),
            )
        )
    refs = [record.ref for record in records]
    if len(set(refs)) != len(refs):
        raise BundleError(f"{what} names an archive twice: refused.")
    return tuple(records)


@dataclass(frozen=True)
class VersionFiles:
    version: str
    digest: str
    readme: str | None
    values: str | None
    schema: str | None


def chart_files_bytes(registry: str, chart: str, versions: list[VersionFiles]) -> bytes:
    """README, values.yaml and values.schema.json of a chart's versions in the bundle, read from their archives."""
    return marshal(
        Struct(
            [
                ("registry", registry),
                ("chart", chart),
                (
                    "versions",
                    [
                        Struct(
                            [
                                ("version", item.version),
                                ("digest", item.digest),
                                ("readme", item.readme),
                                ("values", item.values),
                                ("schema", item.schema),
                            ]
                        )
                        for item in sorted(versions, key=lambda item: item.version.encode())
                    ],
                ),
            ]
        )
    )


def parse_chart_files(data: bytes) -> tuple[str, str, tuple[VersionFiles, ...]]:
    what = "A chart's files in the bundle"
    fields = _Fields(load_json(data, what, MAX_RECORD_BYTES), what)
    versions = []
    for item in fields.items("versions", 100_000):
        version = _Fields(item, what)
        versions.append(
            VersionFiles(
                version.text("version", 128),
                version.digest("digest"),
                version.optional_text("readme", 20 * MIB),
                version.optional_text("values", 20 * MIB),
                version.optional_text("schema", 20 * MIB),
            )
        )
    return fields.text("registry", 64), fields.text("chart", 1000), tuple(versions)
