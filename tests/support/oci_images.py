"""Container images the tests build themselves in a real registry: blobs and manifests written through
the registry API, OCI and Docker media types, multi-platform indexes, images referenced only by digest."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import httpx

from tests.support.oci_registry import DistributionRegistry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class BuiltImage:
    """What was pushed: the top manifest's bytes and digest, and every blob under it by digest."""

    repository: str
    manifest: bytes
    media_type: str
    blobs: dict[str, bytes] = field(default_factory=dict)  # configs, layers and child manifests
    children: dict[str, str] = field(default_factory=dict)  # platform → child manifest digest

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)


class ImageBuilder:
    """Pushes blobs and manifests to `registry` (as `user`, when it has logins)."""

    def __init__(self, registry: DistributionRegistry, user: str | None = None) -> None:
        self.registry = registry
        self.user = user

    def _client(self) -> httpx.Client:
        return self.registry._client(self.user)

    def blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        headers = self.registry._authorization(repository, self.user)
        with self._client() as client:
            started = client.post(f"/v2/{repository}/blobs/uploads/", headers=headers)
            started.raise_for_status()
            location = started.headers["location"]
            joiner = "&" if "?" in location else "?"
            client.put(
                f"{location}{joiner}digest={digest}",
                content=data,
                headers={**headers, "Content-Type": "application/octet-stream"},
            ).raise_for_status()
        return digest

    def manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> httpx.Response:
        headers = self.registry._authorization(repository, self.user)
        with self._client() as client:
            return client.put(
                f"/v2/{repository}/manifests/{reference}", content=body, headers={**headers, "Content-Type": media_type}
            )

    def image(
        self,
        repository: str,
        tag: str | None,
        layers: list[bytes],
        *,
        docker: bool = False,
        arch: str = "amd64",
        variant: str | None = None,
    ) -> BuiltImage:
        """A single-platform image: a config naming `arch`, and `layers` as they are."""
        platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        config = json.dumps(
            {
                **platform,
                "created": "2026-01-01T00:00:00Z",
                "config": {"Cmd": ["/bin/true"]},
                "rootfs": {"type": "layers", "diff_ids": [digest_of(layer) for layer in layers]},
            }
        ).encode()
        built = BuiltImage(repository, b"", DOCKER_MANIFEST if docker else OCI_MANIFEST)
        descriptors = []
        for data, media_type in [(config, DOCKER_CONFIG if docker else OCI_CONFIG)] + [
            (layer, DOCKER_LAYER if docker else OCI_LAYER) for layer in layers
        ]:
            built.blobs[self.blob(repository, data)] = data
            descriptors.append({"mediaType": media_type, "digest": digest_of(data), "size": len(data)})
        document: dict[str, object] = {"schemaVersion": 2, "mediaType": built.media_type}
        document.update({"config": descriptors[0], "layers": descriptors[1:]})
        built.manifest = json.dumps(document, indent=3).encode()  # not as anyone re-marshals it
        self.manifest(repository, tag or built.digest, built.manifest, built.media_type).raise_for_status()
        return built

    def index(
        self, repository: str, tag: str | None, platforms: dict[str, list[bytes]], *, docker: bool = False
    ) -> BuiltImage:
        """A multi-platform image: one child per `os/arch[/variant]` (pushed by digest), then the index."""
        built = BuiltImage(repository, b"", DOCKER_LIST if docker else OCI_INDEX)
        entries = []
        for platform, layers in platforms.items():
            _, arch, *variant = platform.split("/")
            child = self.image(
                repository, None, layers, docker=docker, arch=arch, variant=variant[0] if variant else None
            )
            built.blobs.update(child.blobs)
            built.blobs[child.digest] = child.manifest
            built.children[platform] = child.digest
            entries.append(
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": len(child.manifest),
                    "platform": {"architecture": arch, "os": "linux", **({"variant": variant[0]} if variant else {})},
                }
            )
        built.manifest = json.dumps({"schemaVersion": 2, "mediaType": built.media_type, "manifests": entries}).encode()
        self.manifest(repository, tag or built.digest, built.manifest, built.media_type).raise_for_status()
        return built


def random_layer(size: int, seed: int | None = None) -> bytes:
    if seed is None:
        return os.urandom(size)
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}-{counter}".encode()).digest() * 64
        counter += 1
    return bytes(out[:size])
