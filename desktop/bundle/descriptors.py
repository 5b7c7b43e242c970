"""OCI descriptors: what a manifest or index says about a blob (type, sha256 digest, size), checked when read."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from desktop.bundle.errors import BundleError
from desktop.bundle.go_json import Struct

DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
# RFC 6838 type/subtype, as the image spec's JSON schema accepts them.
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
MAX_ANNOTATIONS = 256
MAX_ANNOTATION_BYTES = 64 * 1024


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor; fields kept in the order Go's image-spec types write them."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict, compare=True, hash=False)
    artifact_type: str | None = None

    @property
    def hex(self) -> str:
        return self.digest.partition(":")[2]

    def to_struct(self) -> Struct:
        fields = Struct([("mediaType", self.media_type), ("digest", self.digest), ("size", self.size)])
        if self.annotations:
            fields.append(("annotations", dict(self.annotations)))
        if self.artifact_type:
            fields.append(("artifactType", self.artifact_type))
        return fields

    def with_annotations(self, annotations: dict[str, str]) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size, dict(annotations), self.artifact_type)


def parse_annotations(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_ANNOTATIONS:
        raise BundleError(f"{what} has annotations that are not a small mapping of text: refused.")
    total = 0
    for key, item in value.items():
        if not isinstance(item, str):
            raise BundleError(f"{what} has an annotation '{key[:60]}' that is not text: refused.")
        total += len(key) + len(item)
    if total > MAX_ANNOTATION_BYTES:
        raise BundleError(f"{what} has more than {MAX_ANNOTATION_BYTES // 1024} KiB of annotations: refused.")
    return dict(value)


def parse_descriptor(value: Any, what: str, max_size: int) -> Descriptor:
    """A descriptor from untrusted JSON; anything off is a one-line BundleError naming `what`."""
    if not isinstance(value, dict):
        raise BundleError(f"{what} is not a descriptor (a JSON object): refused.")
    media_type = value.get("mediaType")
    digest = value.get("digest")
    size = value.get("size")
    if not isinstance(media_type, str) or not MEDIA_TYPE.fullmatch(media_type):
        raise BundleError(f"{what} has no valid mediaType: refused.")
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        shown = digest[:24] if isinstance(digest, str) else digest
        raise BundleError(f"{what} has digest {shown!r}: only sha256 digests in lowercase hex are accepted.")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BundleError(f"{what} has no valid size: refused.")
    if size > max_size:
        raise BundleError(f"{what} says its blob is {size:,} bytes, over the {max_size:,}-byte limit: refused.")
    if value.get("urls"):
        raise BundleError(f"{what} points to content outside the bundle (urls): refused.")
    artifact_type = value.get("artifactType")
    if artifact_type is not None and (not isinstance(artifact_type, str) or not MEDIA_TYPE.fullmatch(artifact_type)):
        raise BundleError(f"{what} has an artifactType that is not a media type: refused.")
    annotations = parse_annotations(value.get("annotations"), what)
    return Descriptor(media_type, digest, size, annotations, artifact_type)
