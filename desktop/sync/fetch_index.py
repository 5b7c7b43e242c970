"""Fetching a registry's index: conditional GET, a digest that ignores `generated:`, parsing.
No catalog access here, so this can run on any thread."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from desktop.cancellation import CancelToken
from desktop.catalog.sync_records import SyncState
from desktop.helm.index import ParsedIndex, parse_index
from desktop.helm.urls import index_url
from desktop.net.client import Download, RegistryAccess, RegistryHttp, validator
from desktop.net.settings import NetworkSettings

# Helm rewrites `generated:` every time it rebuilds an index; it says nothing about the charts.
_GENERATED_JSON = re.compile(rb'"generated"\s*:\s*"[^"]*"')

ProgressCallback = Callable[[str, int, int | None], None]  # (phase, done, total)


@dataclass
class FetchedIndex:
    download: Download
    digest: str | None = None
    parsed: ParsedIndex | None = None  # None when nothing new arrived (304 or same digest)
    has_generated: bool | None = None  # the index has its top-level `generated:` (None: not an index file)


def content_digest(body: bytes) -> str:
    """SHA-256 of the index without its top-level `generated:` timestamp (YAML or JSON form)."""
    digest = hashlib.sha256()
    start = 0 if body.startswith(b"generated:") else body.find(b"\ngenerated:") + 1
    if start > 0 or body.startswith(b"generated:"):
        end = body.find(b"\n", start)
        end = len(body) if end < 0 else end + 1
        digest.update(body[:start])
        digest.update(body[end:])
    elif body.lstrip()[:1] == b"{":
        digest.update(_GENERATED_JSON.sub(b"", body, count=1))
    else:
        digest.update(body)
    return digest.hexdigest()


def fetch_index(
    access: RegistryAccess,
    settings: NetworkSettings,
    state: SyncState | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> FetchedIndex:
    """Download and parse the index; when `state` holds a snapshot, ask only for something newer."""
    headers: dict[str, str] = {}
    if state is not None and state.snapshot_at is not None:
        # Checked again: an earlier version kept validators no request header can carry.
        etag, last_modified = validator(state.etag), validator(state.last_modified)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

    def on_bytes(done: int, total: int | None) -> None:
        if progress is not None:
            progress("download", done, total)

    with RegistryHttp(access, settings) as http:
        download = http.get(
            index_url(access.endpoint),
            max_bytes=settings.max_index_bytes,
            headers=headers,
            cancel=cancel,
            progress=on_bytes,
        )
    if download.status == 304:
        return FetchedIndex(download)
    digest = content_digest(download.body)
    if state is not None and state.snapshot_at is not None and digest == state.content_digest:
        return FetchedIndex(download, digest)
    if cancel is not None:
        cancel.raise_if_cancelled()
    if progress is not None:
        progress("parse", 0, None)
    return FetchedIndex(download, digest, parse_index(download.body), has_generated(download.body))


def has_generated(body: bytes) -> bool:
    """Whether the index carries its top-level `generated:` — Helm writes it last, so an index cut
    short loses it."""
    if body.startswith(b"generated:") or b"\ngenerated:" in body:
        return True
    return body.lstrip()[:1] == b"{" and _GENERATED_JSON.search(body) is not None
