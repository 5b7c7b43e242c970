"""What clusters need to pull a bundle's images from the site's registry: containerd's `hosts.toml` per source host."""

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
