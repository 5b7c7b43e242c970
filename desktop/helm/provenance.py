"""Helm's provenance file (.prov): the clear-signed Chart.yaml and `files:` block, and Helm's check that
it signs the archive by its name and sha256."""

from __future__ import annotations

import hashlib
import posixpath
from urllib.parse import unquote, urlsplit

PROVENANCE_LIMIT = 1024 * 1024
PROVENANCE_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"


def archive_file_name(url: str, chart: str, version: str) -> str:
    """The name Helm checks the archive under: the basename of its URL (`helm pull` saves it so),
    else `<chart>-<version>.tgz` (an OCI chart)."""
    name = posixpath.basename(unquote(urlsplit(url).path)) if url and "://" in url else ""
    return name if name.endswith(".tgz") else f"{chart}-{version}.tgz"


def signed_archive_problem(signed_text: bytes, archive: bytes, file_name: str) -> str | None:
    """Why the signed text does not vouch for `archive` as Helm reads it (Chart.yaml, `...`, then a
    `files:` map of name → sha256:HEX), or None when it does."""
    import yaml

    parts = signed_text.split(b"\n...\n")
    if len(parts) < 2:
        return "the provenance has no files block"
    try:
        metadata = yaml.safe_load(parts[0])
        sums = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return "the provenance is not YAML"
    if not isinstance(metadata, dict) or not metadata.get("name") or not metadata.get("version"):
        return "the provenance's Chart.yaml names no chart"
    files = sums.get("files") if isinstance(sums, dict) else None
    if not isinstance(files, dict):
        return "the provenance has no files block"
    signed = files.get(file_name)
    if signed is None:
        return f"the provenance signs no file named {file_name}"
    if str(signed) != "sha256:" + hashlib.sha256(archive).hexdigest():
        return "the archive's sha256 is not the one the provenance signs"
    return None
