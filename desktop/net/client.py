"""GET from a registry: its TLS settings, credentials only for its own origin, bounded downloads."""

from __future__ import annotations

import base64
import contextlib
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import urljoin

import httpx

from desktop import __version__
from desktop.cancellation import CancelToken
from desktop.errors import IndexFormatError, NetworkError, RegistryResponseError, UserError
from desktop.net.errors import status_error, transport_error
from desktop.net.settings import MB, NetworkSettings
from desktop.net.tls import ssl_context_for
from desktop.net.urls import origin, redacted

CHART_ARCHIVE_LIMIT = 50 * MB
MAX_REDIRECTS = 10
_CHUNK = 256 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class RegistryAccess:
    """What it takes to talk to one registry; the password never appears in a repr or a log."""

    endpoint: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False

    @property
    def has_credentials(self) -> bool:
        return bool(self.username)


@dataclass(frozen=True)
class Download:
    status: int  # 200, or 304 when the conditional GET found nothing new
    url: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    wire_bytes: int = 0


class RegistryHttp:
    """One registry's HTTP client. Redirects are followed here, hop by hop, so that credentials
    are attached only where the scope rule allows (Helm's CVE-2021-32690 fix)."""

    def __init__(self, access: RegistryAccess, settings: NetworkSettings | None = None) -> None:
        self.access = access
        self.settings = settings or NetworkSettings()
        self._origin = origin(access.endpoint)
        self._clients: dict[str, httpx.Client] = {}
        self._reading: httpx.Response | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _abort(self) -> None:
        """From another thread: wake a read blocked on the body's socket."""
        response = self._reading
        stream = response.extensions.get("network_stream") if response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _client(self, scheme: str) -> httpx.Client:
        # TLS contexts cost tens of milliseconds: an http:// registry never builds one.
        if scheme not in self._clients:
            verify = (
                ssl_context_for(self.access.ca_pem, self.access.insecure_skip_tls_verify)
                if scheme == "https"
                else False
            )
            timeout = httpx.Timeout(self.settings.timeout)
            headers = {"User-Agent": f"chartkeeper/{__version__}", "Accept-Encoding": "gzip"}
            proxy = self.settings.proxy
            if proxy:
                plain = httpx.HTTPTransport(verify=verify)
                mounts: dict[str, httpx.BaseTransport | None] = {
                    f"all://{host if '*' in host else '*' + host.lstrip('.')}": plain for host in self.settings.no_proxy
                }
                mounts["all://"] = httpx.HTTPTransport(verify=verify, proxy=proxy)
                client = httpx.Client(timeout=timeout, headers=headers, trust_env=False, mounts=mounts)
            else:
                client = httpx.Client(verify=verify, timeout=timeout, headers=headers, trust_env=True)
            self._clients[scheme] = client
        return self._clients[scheme]

    def may_send_credentials(self, url: str) -> bool:
        if not self.access.has_credentials:
            return False
        return origin(url) == self._origin or self.settings.credentials_to_other_hosts

    def _authorization(self) -> str:
        pair = f"{self.access.username}:{self.access.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: dict[str, str] | None = None,
        cancel: CancelToken | None = None,
        progress: Progress | None = None,
    ) -> Download:
        """GET `url`, following redirects; 200 and 304 return, anything else raises a UserError.
        A cancel shuts the socket of a body being read, so a slow download stops at once. (A
        request still waiting for headers cannot be woken; the app's worker abandons it.)"""
        if cancel is None:
            return self._get(url, max_bytes, headers, None, progress)
        with cancel.while_blocking(self._abort):
            try:
                return self._get(url, max_bytes, headers, cancel, progress)
            except UserError:
                cancel.raise_if_cancelled()  # the error was our own abort: report the cancel
                raise

    def _get(
        self,
        url: str,
        max_bytes: int,
        headers: dict[str, str] | None,
        cancel: CancelToken | None,
        progress: Progress | None,
    ) -> Download:
        for _hop in range(MAX_REDIRECTS + 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            request_headers = dict(headers or {})
            sent_credentials = self.may_send_credentials(url)
            if sent_credentials:
                request_headers["Authorization"] = self._authorization()
            scheme = origin(url)[0]
            if scheme not in ("http", "https"):
                raise RegistryResponseError(f"The registry redirected to an unsupported address: {redacted(url)}.")
            try:
                with self._client(scheme).stream("GET", url, headers=request_headers) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code == 304:
                        return Download(304, url)
                    if response.status_code != 200:
                        raise status_error(
                            response.status_code, response.reason_phrase, url, sent_credentials=sent_credentials
                        )
                    self._reading = response
                    try:
                        body, wire = read_body(response, max_bytes, self.settings.deadline, cancel, progress)
                    finally:
                        self._reading = None
                    return Download(
                        200, url, body, response.headers.get("etag"), response.headers.get("last-modified"), wire
                    )
            except (httpx.HTTPError, OSError) as exc:
                raise transport_error(exc, url, self.settings.timeout) from exc
        raise RegistryResponseError(f"The registry redirected more than {MAX_REDIRECTS} times: check the endpoint.")


def read_body(
    response: httpx.Response,
    max_bytes: int,
    deadline_seconds: float,
    cancel: CancelToken | None,
    progress: Progress | None,
) -> tuple[bytes, int]:
    """The decoded body, refusing more than `max_bytes` of it (gzip bombs included)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip"):
        raise RegistryResponseError(f"The registry sent an unsupported content encoding ({encoding}).")
    declared = response.headers.get("content-length")
    expected = int(declared) if declared and declared.isdigit() else None
    too_large = IndexFormatError(
        f"The download is larger than the {max_bytes / MB:g} MB limit"
        + (
            ": raise the limit in Tenant settings (or --max-index-size) if this registry really is that large."
            if max_bytes != CHART_ARCHIVE_LIMIT
            else ": no chart is that large, so it was refused."
        )
    )
    if encoding in ("identity", "") and expected is not None and expected > max_bytes:
        raise too_large
    decompressor = zlib.decompressobj(wbits=47) if encoding in ("gzip", "x-gzip") else None
    body = bytearray()
    wire = 0
    deadline = time.monotonic() + deadline_seconds
    for chunk in response.iter_raw(_CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if time.monotonic() > deadline:
            raise NetworkError(
                f"The download took longer than {deadline_seconds:g} s: the registry or the network is too slow."
            )
        wire += len(chunk)
        if decompressor is not None:
            try:
                body += decompressor.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error:
                raise IndexFormatError("The compressed download is corrupt (bad gzip data).") from None
            if len(body) > max_bytes or decompressor.unconsumed_tail:
                raise too_large
        else:
            body += chunk
            if len(body) > max_bytes:
                raise too_large
        if progress is not None:
            progress(wire, expected)
    if decompressor is not None and not decompressor.eof:
        raise IndexFormatError("The compressed download ended early (truncated gzip data): try again.")
    return bytes(body), wire
