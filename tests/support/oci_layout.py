"""An OCI image layout reader written from the image spec's rules (image-layout.md, descriptor.md,
manifest.md), sharing no code with Chartkeeper's writer or reader: Python's tarfile reads the tar,
the spec's rules check what is inside. Tests use it to prove other tools can read a bundle."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# descriptor.md: algorithm ":" encoded, sha256 encoded as 64 lowercase hex characters.
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


class LayoutViolation(AssertionError):
    """The tar is not a valid OCI image layout."""


@dataclass
class OciLayout:
    members: list[tarfile.TarInfo]
    files: dict[str, bytes]
    index: dict[str, Any]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref name → manifest

    def blob(self, digest: str) -> bytes:
        algorithm, _, encoded = digest.partition(":")
        return self.files[f"blobs/{algorithm}/{encoded}"]

    def has_blob(self, digest: str) -> bool:
        algorithm, _, encoded = digest.partition(":")
        return f"blobs/{algorithm}/{encoded}" in self.files


def _check_descriptor(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LayoutViolation(f"{where}: a descriptor must be an object")
    for key, kind in (("mediaType", str), ("digest", str), ("size", int)):
        if not isinstance(value.get(key), kind):
            raise LayoutViolation(f"{where}: descriptor field {key} is required")
    if not DIGEST.match(value["digest"]):
        raise LayoutViolation(f"{where}: unsupported digest {value['digest']}")
    return value


def read_layout(tar_bytes: bytes, allowed_missing: frozenset[str] = frozenset()) -> OciLayout:
    """Read a layout tar; every descriptor must resolve to a blob of that size and sha256, except
    layers in `allowed_missing` (a delta's)."""
    import io

    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
        members = tar.getmembers()
        for member in members:
            if member.isdir():
                continue
            if not member.isfile():
                raise LayoutViolation(f"{member.name}: only files and folders belong in a layout")
            extracted = tar.extractfile(member)
            assert extracted is not None
            files[member.name] = extracted.read()
    # image-layout.md: the oci-layout file and index.json are REQUIRED; blobs live under blobs/<alg>/<encoded>.
    try:
        marker = json.loads(files["oci-layout"])
    except KeyError:
        raise LayoutViolation("oci-layout is missing") from None
    if marker.get("imageLayoutVersion") != "1.0.0":
        raise LayoutViolation("imageLayoutVersion must be 1.0.0")
    index = json.loads(files["index.json"])
    if index.get("schemaVersion") != 2 or index.get("mediaType", INDEX_TYPE) != INDEX_TYPE:
        raise LayoutViolation("index.json is not an image index")
    layout = OciLayout(members, files, index)
    for name, content in files.items():
        if name.startswith("blobs/"):
            _, algorithm, encoded = name.split("/")
            if algorithm != "sha256" or hashlib.sha256(content).hexdigest() != encoded:
                raise LayoutViolation(f"{name}: content does not match its name")
        elif name not in ("oci-layout", "index.json"):
            raise LayoutViolation(f"{name}: unexpected file in a layout")
    for position, entry in enumerate(index["manifests"]):
        descriptor = _check_descriptor(entry, f"index.json manifests[{position}]")
        manifest_bytes = _resolve(layout, descriptor, f"index.json manifests[{position}]")
        manifest = json.loads(manifest_bytes)
        if descriptor["mediaType"] != MANIFEST_TYPE or manifest.get("schemaVersion") != 2:
            raise LayoutViolation(f"manifests[{position}] is not an image manifest")
        _resolve(layout, _check_descriptor(manifest["config"], "config"), "config")
        for number, layer in enumerate(manifest["layers"]):
            _check_descriptor(layer, f"layers[{number}]")
            if layer["digest"] in allowed_missing and not layout.has_blob(layer["digest"]):
                continue
            _resolve(layout, layer, f"layers[{number}]")
        ref_name = (descriptor.get("annotations") or {}).get("org.opencontainers.image.ref.name")
        if ref_name is not None:
            layout.manifests[ref_name] = manifest
    return layout


def _resolve(layout: OciLayout, descriptor: dict[str, Any], where: str) -> bytes:
    if not layout.has_blob(descriptor["digest"]):
        raise LayoutViolation(f"{where}: blob {descriptor['digest']} is missing")
    content = layout.blob(descriptor["digest"])
    if len(content) != descriptor["size"]:
        raise LayoutViolation(f"{where}: size {descriptor['size']} but the blob has {len(content)} bytes")
    return content


def read_layout_file(first: Path) -> OciLayout:
    """A layout tar, or its split parts concatenated in order."""
    if first.suffix == ".001":
        base = first.with_suffix("")
        data = b""
        number = 1
        while (part := base.with_name(f"{base.name}.{number:03d}")).exists():
            data += part.read_bytes()
            number += 1
        return read_layout(data)
    return read_layout(first.read_bytes())
