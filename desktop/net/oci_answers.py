"""What an OCI registry answers, read with care: a response, its paging (bounded), its names, its
JSON, Retry-After, a blob streamed under the slowest accepted rate, a status as the user's one line."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from desktop.cancellation import CancelToken
from desktop.errors import AuthError, NetworkError, NotFoundError, RegistryResponseError, UserError
from desktop.net.client import RateFloor
from desktop.net.settings import NetworkSettings
from desktop.net.urls import clipped, host_and_port, redacted

MAX_PAGES = 1000  # of a catalog or tag list: a registry whose `Link: next` never ends is refused
MAX_NAMES = 100_000  # repositories or tags in one listing; no Helm chart has that many versions
DEFAULT_TOKEN_LIFETIME = 60.0  # seconds, as Docker's client assumes when the token service does not say
MAX_TOKEN_LIFETIME = 24 * 3600.0
_LINK = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?")


@dataclass
class OciResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    wire_bytes: int
    url: str = ""  # where the answer came from, after redirects


def token_lifetime(value: Any) -> float:
    """Seconds a token may be used: the `expires_in` the service gave, or a minute when it gave
    none, nothing positive or no number; never more than a day. (However short, a new token is
    used for the request that asked for it.)"""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return DEFAULT_TOKEN_LIFETIME
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return DEFAULT_TOKEN_LIFETIME
    if not math.isfinite(seconds) or seconds <= 0:
        return DEFAULT_TOKEN_LIFETIME
    return min(seconds, MAX_TOKEN_LIFETIME)


class Pages:
    """Bounds a listing that the registry pages with `Link: next`: a page asked for twice (a
    loop), too many pages, or too many names end it with one line."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._seen: set[str] = set()

    def visit(self, path: str) -> None:
        if path in self._seen:
            raise RegistryResponseError(
                f"The registry's {self._what} links back to a page it sent already (a loop): "
                "ask its administrator to fix its paging."
            )
        if len(self._seen) >= MAX_PAGES:
            raise RegistryResponseError(f"The registry's {self._what} runs past {MAX_PAGES:,} pages: refused.")
        self._seen.add(path)

    def check(self, names: int) -> None:
        if names > MAX_NAMES:
            raise RegistryResponseError(f"The registry's {self._what} names more than {MAX_NAMES:,} entries: refused.")


def listed_names(document: dict[str, Any], key: str, what: str) -> list[str]:
    """The list of names under `key` (null: none); anything but a list of text is refused."""
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise RegistryResponseError(f"The registry's {what} is not a list of names: refused.")
    return value


def json_document(response: OciResponse) -> dict[str, Any]:
    import json

    try:
        document = json.loads(response.body)
    except ValueError:
        raise RegistryResponseError("The registry answered with something that is not JSON.") from None
    if not isinstance(document, dict):
        raise RegistryResponseError("The registry answered with unexpected JSON.")
    return document


def next_page(response: OciResponse) -> str | None:
    link = response.headers.get("link")
    match = _LINK.search(link) if link else None
    return match.group(1) if match else None


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (seconds or a date), else 1, 2, 4 … capped at 30."""
    if value:
        try:
            return min(30.0, max(0.0, float(value)))
        except ValueError:
            try:
                return min(30.0, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
            except (TypeError, ValueError):
                pass
    return min(30.0, float(2 ** (attempt - 1)))


def stream_into(
    response: httpx.Response, sink: Callable[[bytes], None], settings: NetworkSettings, cancel: CancelToken | None
) -> int:
    """Hand the body to `sink` chunk by chunk; returns the bytes received. A dribbling registry is
    given up on like any download (the tenant's slowest accepted rate)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", ""):
        raise RegistryResponseError(
            f"The registry sent a blob in a content encoding ({clipped(encoding, 40)}) not asked for."
        )
    rate = RateFloor(settings.min_rate, settings.timeout, host_and_port(str(response.url)), "blob")
    wire = 0
    for chunk in response.iter_raw():
        if cancel is not None:
            cancel.raise_if_cancelled()
        wire += len(chunk)
        rate.received(wire)
        sink(chunk)
    return wire


def status_error(
    response: OciResponse, url: str, what: str, sent_credentials: bool, *, writing: bool = False, token: bool = False
) -> UserError:
    codes: list[str] = []
    messages: list[str] = []
    try:
        import json

        for error in json.loads(response.body).get("errors", []):
            codes.append(str(error.get("code", "")))
            messages.append(str(error.get("message", "")))
    except (ValueError, AttributeError):
        pass
    subject = what or clipped(redacted(url))
    if response.status == 401:
        if sent_credentials and token:
            return AuthError("The registry refused the token (401 Unauthorized): check it, or give a new one.")
        if sent_credentials:
            return AuthError("The registry refused the username or password (401 Unauthorized): check them.")
        return AuthError(
            "The registry requires a login (401 Unauthorized): turn off No Authentication and give "
            "a username and password, or a token."
        )
    if response.status == 403 or "DENIED" in codes:
        verb = "push to" if writing else "read"
        return AuthError(f"Access denied to {subject} (403): this account may not {verb} it; check its permissions.")
    if "NAME_UNKNOWN" in codes or (response.status == 404 and "tags/list" in url):
        return NotFoundError(f"The registry has no {subject}: check the name, and the endpoint's path.")
    if "MANIFEST_UNKNOWN" in codes or (response.status == 404 and "/manifests/" in url):
        return NotFoundError(f"The registry has no {subject}.")
    if response.status == 404:
        return RegistryResponseError(
            f"Nothing at {clipped(redacted(url))} (404 Not Found): is this an OCI registry (the /v2/ API)? "
            "Check the endpoint."
        )
    if response.status == 429:
        return NetworkError("The registry keeps rate-limiting the requests (429 Too Many Requests): try again later.")
    said = " ".join("; ".join(m for m in messages if m).split())  # the registry's words, on one line
    detail = f" ({clipped(said, 200)})" if said else ""
    return RegistryResponseError(f"The registry answered {response.status}{detail} for {subject}.")
