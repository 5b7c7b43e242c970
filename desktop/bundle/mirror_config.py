"""What clusters need to pull a bundle's images from the site's registry: containerd's `hosts.toml` per source host,
and Palette's OCI image registry values with mirrors."""

from __future__ import annotations

from urllib.parse import urlsplit

from desktop.bundle.registry_push import image_source_component

DOCKER_HUB_SERVER = "https://registry-1.docker.io"


def hosts_toml(source_host: str, endpoint: str, *, plain_http: bool = False) -> str:
    """containerd's `certs.d/<source host>/hosts.toml`: pull and resolve from `endpoint`'s path, the upstream
    kept as the fallback server. `override_path` because the mirror's URL carries the API root and path."""
    parts = urlsplit(endpoint)
    base = parts.path.strip("/")
    path = "/".join(part for part in (base, image_source_component(source_host)) if part)
    scheme = "http" if plain_http else "https"
    server = DOCKER_HUB_SERVER if source_host == "docker.io" else f"https://{source_host}"
    return (
        f'server = "{server}"\n'
        "\n"
        f'[host."{scheme}://{parts.netloc}/v2/{path}"]\n'
        '  capabilities = ["pull", "resolve"]\n'
        "  override_path = true\n"
    )


PALETTE_FILE = "palette-image-registry.yaml"


def palette_mirror_registries(source_hosts: list[str], endpoint: str) -> str:
    """Palette's `mirrorRegistries`: comma-separated `SOURCE::HOST/PATH/<source>` (the image swap format;
    no `/v2`, which only a Harbor proxy-cache project takes), each source host where the push put it."""
    parts = urlsplit(endpoint)
    base = "/".join(part for part in (parts.netloc, parts.path.strip("/")) if part)
    return ",".join(f"{host}::{base}/{image_source_component(host)}" for host in sorted(source_hosts))


def palette_image_registry(source_hosts: list[str], endpoint: str) -> str:
    """The values of Palette's OCI image registry with mirrors (`ociImageRegistry` in its Helm values):
    the endpoint, the base content path, and which sources the site serves."""
    parts = urlsplit(endpoint)
    return (
        "ociImageRegistry:\n"
        f'  endpoint: "{parts.netloc}"\n'
        f'  baseContentPath: "{parts.path.strip("/")}"\n'
        f'  mirrorRegistries: "{palette_mirror_registries(source_hosts, endpoint)}"\n'
    )
