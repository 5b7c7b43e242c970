"""Container image references as a container runtime reads them: parsed by the distribution
grammar and written fully qualified (`nginx` → `docker.io/library/nginx:latest`), digests kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"
REFERENCE_MAX = 512
# The grammar of github.com/distribution/reference, written out.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?"
)


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image(text: str) -> ImageRef | None:
    """The reference fully qualified, or None when `text` is not an image reference (a template
    left unrendered, a URL, a path, a word)."""
    text = text.strip()
    if not text or len(text) > REFERENCE_MAX or "://" in text:
        return None
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None
    domain, path = match.group("domain"), match.group("path")
    if domain is not None and not ("." in domain or ":" in domain or domain == "localhost" or domain.startswith("[")):
        if not re.fullmatch(_COMPONENT, domain):
            return None  # `Rancher/shell`: a namespace is lowercase
        path, domain = f"{domain}/{path}", None  # `rancher/shell`: the first part is a namespace
    if domain is None or domain in ("index.docker.io", "registry-1.docker.io"):
        domain = DEFAULT_REGISTRY
    if domain == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    tag, digest = match.group("tag"), match.group("digest")
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return ImageRef(domain, path, tag, digest)


def join_image(registry: str, repository: str, tag: str, digest: str) -> str:
    """A reference from a values group (`registry`, `repository`, `tag`, `digest`), as charts
    commonly assemble it: `registry/repository:tag@digest`, parts left out when empty."""
    text = f"{registry.strip().rstrip('/')}/{repository.strip()}" if registry.strip() else repository.strip()
    if tag.strip():
        text += f":{tag.strip()}"
    if digest.strip():
        text += f"@{digest.strip()}"
    return text
