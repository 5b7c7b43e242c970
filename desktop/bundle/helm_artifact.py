"""A chart archive as the OCI artifact `helm push` makes of it (HIP-0017), byte for byte.

Helm's manifest: schemaVersion 2, the config (the chart's metadata as JSON, see chart_config),
the layers — the .tgz as it is, and the .prov when there is one — sorted by digest, and
annotations from the metadata (description, title, version, url, created, source, authors)
overlaid by the chart's own annotations except title and version. Helm takes `created` from the
archive file's modification time; here it comes from an input (the index's `created`), so the
same chart always gives the same manifest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop.bundle import media_types as types
from desktop.bundle.artifacts import Artifact, Blob, BlobSource, manifest_descriptor
from desktop.bundle.chart_config import GO_WHITESPACE, ChartConfig, chart_config
from desktop.bundle.errors import ChartArtifactError
from desktop.bundle.go_json import Struct, marshal
from desktop.helm.chart_archive import ChartArchiveError, read_chart_files

_IMMUTABLE = (types.VERSION, types.TITLE)


@dataclass(frozen=True)
class ChartArtifact:
    """A chart's OCI artifact, with the name and version its Chart.yaml gives."""

    artifact: Artifact
    config: ChartConfig

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def version(self) -> str:
        return self.config.version

    @property
    def tag(self) -> str:
        return oci_tag(self.config.version)


def oci_tag(version: str) -> str:
    """The OCI tag Helm gives a chart version: `+` (not allowed in tags) written as `_`."""
    return version.replace("+", "_")


def helm_created(created: str) -> str:
    """An RFC 3339 date (an index's `created`, fractions and offsets allowed) as Helm writes the
    `created` annotation: whole seconds, here always in UTC."""
    try:
        moment = datetime.fromisoformat(created.strip())
    except ValueError:
        raise ChartArtifactError(f"The chart's creation date {created[:40]!r} is not an RFC 3339 date.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_chart_artifact(
    tgz: bytes, prov: bytes | None, created: str, *, archive_source: BlobSource | None = None
) -> ChartArtifact:
    """The artifact `helm push` would push for this .tgz (and .prov), `created` being the
    chart's creation date (RFC 3339). Raises ChartArtifactError where Helm would refuse.

    `archive_source` says where the .tgz can be read again (its file, or the catalog), so a
    layout writer streams it from there instead of keeping or spooling these bytes."""
    try:
        files = read_chart_files(tgz)
    except ChartArchiveError as exc:
        raise ChartArtifactError(str(exc)) from None
    assert files.chart_yaml is not None  # read_chart_files refuses an archive without one
    config = chart_config(files.chart_yaml, files.requirements)
    config_blob = Blob.of_bytes(types.HELM_CONFIG, config.blob)
    layers = [Blob.of_bytes(types.HELM_CHART, tgz)]
    if archive_source is not None:
        layers = [Blob(layers[0].descriptor, archive_source)]
    if prov is not None:
        layers.append(Blob.of_bytes(types.HELM_PROVENANCE, prov))
    layers.sort(key=lambda blob: blob.descriptor.digest)
    manifest = Struct(
        [
            ("schemaVersion", 2),
            ("config", config_blob.descriptor.to_struct()),
            ("layers", [layer.descriptor.to_struct() for layer in layers]),
            ("annotations", manifest_annotations(config.metadata, helm_created(created))),
        ]
    )
    data = marshal(manifest)
    return ChartArtifact(Artifact(data, manifest_descriptor(data), config_blob, tuple(layers)), config)


def manifest_annotations(meta: dict[str, Any], created: str) -> dict[str, str]:
    """Helm's generateOCIAnnotations: values that are blank after trimming are left out."""
    annotations: dict[str, str] = {}

    def put(key: str, value: str) -> None:
        if value.strip(GO_WHITESPACE):
            annotations[key] = value

    put(types.DESCRIPTION, meta.get("description", ""))
    put(types.TITLE, meta.get("name", ""))
    put(types.VERSION, meta.get("version", ""))
    put(types.URL, meta.get("home", ""))
    put(types.CREATED, created)
    sources = meta.get("sources") or []
    if sources:
        put(types.SOURCE, sources[0])
    maintainers = meta.get("maintainers") or []
    if maintainers:
        authors = []
        for maintainer in maintainers:
            name = maintainer.get("name", "")
            email = maintainer.get("email", "")
            authors.append(name + (f" ({email})" if email else ""))
        put(types.AUTHORS, ", ".join(authors))
    for key, value in (meta.get("annotations") or {}).items():
        if key not in _IMMUTABLE:
            annotations[key] = value
    return annotations
