"""The media types and annotation keys of OCI image layouts, Helm chart artifacts and Chartkeeper's own artifacts."""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYOUT_VERSION = "1.0.0"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)  # one platform's image: config and layers
IMAGE_INDEXES = (OCI_INDEX, DOCKER_MANIFEST_LIST)  # a multi-platform image: a manifest per platform
IMAGE_CONFIGS = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
HELM_PROVENANCE = "application/vnd.cncf.helm.chart.provenance.v1.prov"

CATALOG_ARTIFACT = "application/vnd.chartkeeper.catalog.v1+json"
LAYOUT_RECORD = "application/vnd.chartkeeper.layout-record.v1+json"
# On the catalog artifact: a JSON object, each profile's name → the image references it needs.
PROFILE_IMAGES = "dev.chartkeeper.profile-images"
CATALOG_REPOSITORY = "chartkeeper-catalog"  # where a catalog artifact is pushed, under the registry's path

REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "org.opencontainers.image.created"
AUTHORS = "org.opencontainers.image.authors"
URL = "org.opencontainers.image.url"
SOURCE = "org.opencontainers.image.source"
VERSION = "org.opencontainers.image.version"
TITLE = "org.opencontainers.image.title"
DESCRIPTION = "org.opencontainers.image.description"
