"""OCI artifacts as values: a manifest's exact bytes, and each blob's descriptor with a way to stream it."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from desktop.bundle.descriptors import Descriptor, sha256_digest
from desktop.bundle.errors import BundleError
from desktop.bundle.go_json import Struct, marshal
from desktop.bundle.media_types import OCI_EMPTY, OCI_MANIFEST

CHUNK = 1024 * 1024
EMPTY_CONFIG = b"{}"


class BlobSource(Protocol):
    """Something a blob can be read from, as often as needed."""

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True)
class BytesSource:
    data: bytes = field(repr=False)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


@dataclass(frozen=True)
class FileSource:
    """A regular file (never a device or a pipe), read each time the blob is needed."""

    path: Path

    def open(self) -> BinaryIO:
        stream = open_regular(self.path)
        return stream


@dataclass(frozen=True)
class OpenerSource:
    """Whatever a callable opens (phase 2: a chart archive kept in the catalog)."""

    opener: Callable[[], BinaryIO]

    def open(self) -> BinaryIO:
        return self.opener()


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading when it is a regular file; a one-line BundleError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise BundleError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    stream = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        stream.close()
        raise BundleError(f"{path} is not a regular file: give a file.")
    os.set_blocking(descriptor, True)
    return stream


@dataclass(frozen=True)
class Blob:
    descriptor: Descriptor
    source: BlobSource

    @classmethod
    def of_bytes(cls, media_type: str, data: bytes, annotations: dict[str, str] | None = None) -> Blob:
        return cls(Descriptor(media_type, sha256_digest(data), len(data), dict(annotations or {})), BytesSource(data))

    @classmethod
    def of_file(cls, media_type: str, path: Path, annotations: dict[str, str] | None = None) -> Blob:
        """A blob read from a file (streamed once here for its digest, again when written)."""
        digest = hashlib.sha256()
        size = 0
        with open_regular(path) as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        descriptor = Descriptor(media_type, "sha256:" + digest.hexdigest(), size, dict(annotations or {}))
        return cls(descriptor, FileSource(path))


@dataclass(frozen=True)
class Artifact:
    """An image manifest (its exact bytes) with its config and layers."""

    manifest: bytes = field(repr=False)
    descriptor: Descriptor  # the manifest's own: media type, digest, size (and artifactType if any)
    config: Blob
    layers: tuple[Blob, ...]

    def blobs(self) -> Iterator[Blob]:
        """Every blob the manifest references: config first, then layers."""
        yield self.config
        yield from self.layers


def manifest_descriptor(manifest: bytes, artifact_type: str | None = None) -> Descriptor:
    return Descriptor(OCI_MANIFEST, sha256_digest(manifest), len(manifest), {}, artifact_type)


def empty_config() -> Blob:
    """The OCI 1.1 empty config (`{}`) for artifacts whose meaning is in their layers."""
    return Blob.of_bytes(OCI_EMPTY, EMPTY_CONFIG)


def build_artifact(
    artifact_type: str,
    layers: list[Blob] | tuple[Blob, ...],
    *,
    config: Blob | None = None,
    annotations: dict[str, str] | None = None,
) -> Artifact:
    """An OCI 1.1 artifact manifest (`artifactType` set, the empty config unless one is given);
    layers keep the order given."""
    config = config or empty_config()
    manifest = Struct(
        [
            ("schemaVersion", 2),
            ("mediaType", OCI_MANIFEST),
            ("artifactType", artifact_type),
            ("config", config.descriptor.to_struct()),
            ("layers", [layer.descriptor.to_struct() for layer in layers]),
        ]
    )
    if annotations:
        manifest.append(("annotations", dict(annotations)))
    data = marshal(manifest)
    return Artifact(data, manifest_descriptor(data, artifact_type), config, tuple(layers))
