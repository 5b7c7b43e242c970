"""The media types and annotation keys of OCI image layouts, Helm chart artifacts and Chartkeeper's own artifacts."""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYOUT_VERSION = "1.0.0"

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
HELM_PROVENANCE = "application/vnd.cncf.helm.chart.provenance.v1.prov"

CATALOG_ARTIFACT = "application/vnd.chartkeeper.catalog.v1+json"
LAYOUT_RECORD = "application/vnd.chartkeeper.layout-record.v1+json"
CATALOG_REPOSITORY = "chartkeeper-catalog"  # where a catalog artifact is pushed, under the registry's path

REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "org.opencontainers.image.created"
AUTHORS = "org.opencontainers.image.authors"
URL = "org.opencontainers.image.url"
SOURCE = "org.opencontainers.image.source"
VERSION = "org.opencontainers.image.version"
TITLE = "org.opencontainers.image.title"
DESCRIPTION = "org.opencontainers.image.description"
