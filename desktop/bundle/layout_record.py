"""The layout record: what a bundle needs to rebuild itself byte for byte after a push and a pull.

It is the last layer of the catalog artifact, so a registry that holds the catalog also holds the
record: the time the tar's members carry, the catalog's own ref name, every other entry of
index.json (descriptor and ref name), and the blobs a delta bundle leaves out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.bundle.artifacts import Artifact, Blob, build_artifact
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import DIGEST, Descriptor, parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.go_json import Struct, marshal
from desktop.bundle.media_types import (
    CATALOG_ARTIFACT,
    CATALOG_REPOSITORY,
    LAYOUT_RECORD,
    OCI_INDEX,
    OCI_LAYOUT_VERSION,
    REF_NAME,
)

DEFAULT_CATALOG_REF = f"{CATALOG_REPOSITORY}:latest"
# An OpenPGP detached signature of index.json, beside it in the tar: `gpg --verify index.json.asc index.json`.
SIGNATURE_MEMBER = "index.json.asc"
SIGNATURE_MAX = 64 * 1024


@dataclass(frozen=True)
class CatalogContent:
    """What phase 2 puts in the catalog artifact; the layout record is appended as its last layer."""

    layers: tuple[Blob, ...] = ()
    config: Blob | None = None
    annotations: dict[str, str] | None = None
    ref_name: str = DEFAULT_CATALOG_REF


@dataclass(frozen=True)
class LayoutRecord:
    mtime: int
    catalog_ref: str
    manifests: tuple[Descriptor, ...]  # index.json's other entries, each with its ref name, sorted by it
    absent: tuple[str, ...]  # digests of layers a delta bundle leaves out, sorted

    def to_bytes(self) -> bytes:
        return marshal(
            Struct(
                [
                    ("schemaVersion", 1),
                    ("mtime", self.mtime),
                    ("catalogRefName", self.catalog_ref),
                    ("manifests", [entry.to_struct() for entry in self.manifests]),
                    ("absent", list(self.absent)),
                ]
            )
        )

    @classmethod
    def parse(cls, data: bytes, max_bytes: int, max_blob_bytes: int) -> LayoutRecord:
        what = "The bundle's layout record"
        document = load_json(data, what, max_bytes)
        if not isinstance(document, dict) or document.get("schemaVersion") != 1:
            raise BundleError(f"{what} is not one this version of Chartkeeper reads: update Chartkeeper.")
        mtime = document.get("mtime")
        catalog_ref = document.get("catalogRefName")
        manifests = document.get("manifests")
        absent = document.get("absent")
        if not isinstance(mtime, int) or isinstance(mtime, bool) or mtime < 0:
            raise BundleError(f"{what} has no valid mtime: refused.")
        if not isinstance(catalog_ref, str) or not isinstance(manifests, list) or not isinstance(absent, list):
            raise BundleError(f"{what} is incomplete: refused.")
        entries = tuple(
            parse_descriptor(item, f"{what}, entry {n + 1},", max_blob_bytes) for n, item in enumerate(manifests)
        )
        if not all(isinstance(d, str) and DIGEST.fullmatch(d) for d in absent) or absent != sorted(set(absent)):
            raise BundleError(f"{what} lists the left-out blobs wrongly: refused.")
        return cls(mtime, catalog_ref, entries, tuple(absent))


def catalog_artifact(content: CatalogContent, record: LayoutRecord) -> tuple[Artifact, Blob]:
    """The catalog artifact with the record as its last layer; also returns the record's blob."""
    record_blob = Blob.of_bytes(LAYOUT_RECORD, record.to_bytes())
    artifact = build_artifact(
        CATALOG_ARTIFACT,
        [*content.layers, record_blob],
        config=content.config,
        annotations=content.annotations,
    )
    return artifact, record_blob


def index_json(entries: list[Descriptor]) -> bytes:
    """A layout's index.json exactly as Chartkeeper writes it: entries sorted by ref name."""
    ordered = sorted(entries, key=lambda entry: ref_name_of(entry).encode("utf-8"))
    return marshal(
        Struct(
            [
                ("schemaVersion", 2),
                ("mediaType", OCI_INDEX),
                ("manifests", [entry.to_struct() for entry in ordered]),
            ]
        )
    )


OCI_LAYOUT_FILE = marshal(Struct([("imageLayoutVersion", OCI_LAYOUT_VERSION)]))


def ref_name_of(descriptor: Descriptor) -> str:
    return descriptor.annotations.get(REF_NAME, "")


def as_index_entry(descriptor: Descriptor, ref_name: str) -> Descriptor:
    annotations: dict[str, Any] = {**descriptor.annotations, REF_NAME: ref_name}
    return descriptor.with_annotations(annotations)
