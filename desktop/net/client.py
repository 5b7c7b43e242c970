"""GET from a registry: its TLS settings, credentials only for its own origin, downloads bounded in
size, in time to the headers and per read, and in rate; a cancel stops any of it at once."""

from __future__ import annotations

import base64
import collections
import contextlib
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import urljoin

import httpx

from desktop.cancellation import CancelToken
from desktop.errors import IndexFormatError, NetworkError, OperationCancelled, RegistryResponseError, UserError
from desktop.net.errors import SETTINGS_HINT, UntrustedCertificateError, status_error, transport_error
from desktop.net.settings import MB, NetworkSettings
from desktop.net.sockets import Interrupter
from desktop.net.tls import ssl_context_for
from desktop.net.transport import http_client
from desktop.net.urls import clipped, host_and_port, origin, redacted
from desktop.wording import human_size

CHART_ARCHIVE_LIMIT = 50 * MB
MAX_REDIRECTS = 10
MAX_VALIDATOR_LENGTH = 1024  # longer ETag / Last-Modified values are not kept
_REDIRECTS = {301, 302, 303, 307, 308}

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class RegistryAccess:
    """What it takes to talk to one registry; the password or token never appears in a repr or a log."""

    endpoint: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    token: str | None = field(default=None, repr=False)  # sent as `Authorization: Bearer`, instead of a login

    @property
    def has_credentials(self) -> bool:
        return bool(self.username) or bool(self.token)


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
        self._interrupter = Interrupter()
        # With the registry's own certificate, trust it alone first; the system's CAs join only
        # when that is not enough (see ssl_context_for).
        self._system_trust = not access.ca_pem

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._interrupter.close()

    def _trust_the_system_too(self) -> None:
        """The registry's certificate alone did not verify the server: add the platform's CAs."""
        self._system_trust = True
        stale = self._clients.pop("https", None)
        if stale is not None:
            stale.close()

    def _client(self, scheme: str) -> httpx.Client:
        # TLS contexts cost tens of milliseconds: an http:// registry never builds one.
        if scheme not in self._clients:
            verify = (
                ssl_context_for(
                    self.access.ca_pem, self.access.insecure_skip_tls_verify, system_trust=self._system_trust
                )
                if scheme == "https"
                else False
            )
            self._clients[scheme] = http_client(verify, self.settings, self._interrupter, {"Accept-Encoding": "gzip"})
        return self._clients[scheme]

    def may_send_credentials(self, url: str) -> bool:
        """A login goes to the registry's own origin (elsewhere only when the tenant allows it); a
        token to its own origin alone, whatever the setting: it is the registry's, not a chart host's."""
        if not self.access.has_credentials:
            return False
        if origin(url) == self._origin:
            return True
        return self.settings.credentials_to_other_hosts and not self.access.token

    def _authorization(self) -> str:
        if self.access.token:
            return "Bearer " + self.access.token
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
        what: str = "index",
    ) -> Download:
        """GET `url` (`what` is "index" or "chart", for the messages), following redirects; 200 and
        304 return, anything else raises a UserError. A cancel stops the request in any state."""
        watching = cancel.while_blocking(self._interrupter.abort) if cancel is not None else contextlib.nullcontext()
        try:
            with watching:
                try:
                    return self._get(url, max_bytes, headers, cancel, progress, what)
                except UntrustedCertificateError:
                    if self._system_trust:
                        raise
                    self._trust_the_system_too()
                    return self._get(url, max_bytes, headers, cancel, progress, what)
        except UserError:
            if cancel is not None:
                cancel.raise_if_cancelled()  # the error was our own abort: report the cancel
            raise
        finally:
            self._interrupter.reset()

    def _get(
        self,
        url: str,
        max_bytes: int,
        headers: dict[str, str] | None,
        cancel: CancelToken | None,
        progress: Progress | None,
        what: str,
    ) -> Download:
        for hop in range(MAX_REDIRECTS + 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            self._check_scheme(url, hop, what)
            request_headers = dict(headers or {})
            sent_credentials = self.may_send_credentials(url)
            if sent_credentials:
                request_headers["Authorization"] = self._authorization()
            with self._exchange(url, request_headers, what) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                if response.status_code == 304:
                    return Download(304, url)
                if response.status_code != 200:
                    raise status_error(
                        response.status_code,
                        response.reason_phrase,
                        url,
                        sent_credentials=sent_credentials,
                        what=what,
                        token=bool(self.access.token),
                    )
                body, wire = read_body(response, max_bytes, self.settings, cancel, progress, what=what)
                return Download(
                    200,
                    url,
                    body,
                    validator(response.headers.get("etag")),
                    validator(response.headers.get("last-modified")),
                    wire,
                )
        raise RegistryResponseError(f"The registry redirected more than {MAX_REDIRECTS} times: check the endpoint.")

    @contextlib.contextmanager
    def _exchange(self, url: str, headers: dict[str, str], what: str) -> Iterator[httpx.Response]:
        """One request: the connection and the response headers within one timeout, then the body."""
        where = host_and_port(url)
        timeout = self.settings.timeout
        self._interrupter.arm(timeout, f"{where} did not send its response headers within {timeout:g} s")
        try:
            with self._client(origin(url)[0]).stream("GET", url, headers=headers) as response:
                self._interrupter.disarm()
                yield response
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            expired = self._interrupter.overdue
            if self._interrupter.aborted:
                raise OperationCancelled() from exc
            if expired is not None:
                advice = f"try again later, or raise the request timeout{SETTINGS_HINT}"
                raise NetworkError(f"{expired}: {advice}.") from exc
            raise transport_error(exc, url, timeout, endpoint=self.access.endpoint, what=what) from exc
        finally:
            self._interrupter.disarm()

    def _check_scheme(self, url: str, hop: int, what: str) -> None:
        scheme = origin(url)[0]
        if scheme not in ("http", "https"):
            if hop == 0:
                raise RegistryResponseError(
                    f"The {what}'s address is not an http(s) URL ({clipped(redacted(url))}): Chartkeeper "
                    "downloads only over HTTP(S); ask the registry's administrator to publish it over HTTP(S)."
                )
            raise RegistryResponseError(
                f"The registry redirected to an address that is not http(s): {clipped(redacted(url))}."
            )
        if scheme == "http" and hop > 0 and self._origin[0] == "https":
            raise RegistryResponseError(
                f"The registry redirected from HTTPS to plain HTTP ({clipped(redacted(url))}), which would "
                "expose the download; refused. Ask its administrator to keep redirects on HTTPS."
            )


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth keeping for the next conditional GET: short, printable ASCII
    (a request header cannot carry anything else: one stored with `é` failed every later sync)."""
    if value is None or len(value) > MAX_VALIDATOR_LENGTH:
        return None
    if not value.isascii() or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    return value


def read_body(
    response: httpx.Response,
    max_bytes: int,
    settings: NetworkSettings,
    cancel: CancelToken | None,
    progress: Progress | None,
    *,
    what: str = "index",
) -> tuple[bytes, int]:
    """The decoded body, refusing more than `max_bytes` of it (gzip bombs included), and giving up on
    a server whose average rate over one timeout stays below the floor."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip"):
        raise RegistryResponseError(f"The registry sent an unsupported content encoding ({clipped(encoding, 40)}).")
    declared = response.headers.get("content-length")
    expected = int(declared) if declared and declared.isdigit() and len(declared) < 19 else None
    advice = {
        "index": ": raise the limit in Tenant settings (or --max-index-size) if this registry really is that large.",
        "chart": ": no chart is that large, so it was refused.",
    }
    # Limits in MB ("4 MB", "0.25 MB"); another size (a blob's declared one) in its unit: "380 B",
    # not "0.000380516 MB".
    in_mb = max_bytes >= MB or max_bytes * 100 % MB == 0
    shown = f"{max_bytes / MB:g} MB" if in_mb else human_size(max_bytes)
    limit = f"The {what} is larger than the {shown} limit"
    too_large = IndexFormatError(limit + advice.get(what, ": refused."))
    if encoding in ("identity", "") and expected is not None and expected > max_bytes:
        raise too_large
    decompressor = zlib.decompressobj(wbits=47) if encoding in ("gzip", "x-gzip") else None
    body = bytearray()
    wire = 0
    rate = RateFloor(settings.min_rate, settings.timeout, host_and_port(str(response.url)), what)
    for chunk in response.iter_raw():
        if cancel is not None:
            cancel.raise_if_cancelled()
        wire += len(chunk)
        rate.received(wire)
        if decompressor is not None:
            try:
                body += decompressor.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error:
                raise IndexFormatError(f"The compressed {what} is corrupt (bad gzip data): try again.") from None
            if len(body) > max_bytes or decompressor.unconsumed_tail:
                raise too_large
        else:
            body += chunk
            if len(body) > max_bytes:
                raise too_large
        if progress is not None:
            progress(wire, expected)
    if decompressor is not None and not decompressor.eof:
        raise IndexFormatError(f"The compressed {what} ended early (truncated gzip data): try again.")
    return bytes(body), wire


class RateFloor:
    """Gives up on a download whose average rate over the last `window` seconds stays below
    `floor` bytes/s, once it has run that long: a dribbling server is abandoned within about two
    timeouts, while a merely slow one is kept."""

    def __init__(self, floor: float, window: float, where: str, what: str) -> None:
        self._floor = floor
        self._window = window
        self._where = where
        self._what = what
        self._started = time.monotonic()
        self._samples: collections.deque[tuple[float, int]] = collections.deque([(self._started, 0)])

    def received(self, total: int) -> None:
        if self._floor <= 0:
            return
        now = time.monotonic()
        samples = self._samples
        samples.append((now, total))
        while len(samples) > 2 and samples[1][0] <= now - self._window:
            samples.popleft()
        if now - self._started < self._window:
            return
        since, before = samples[0]
        rate = (total - before) / max(now - since, 1e-6)
        if rate < self._floor:
            raise NetworkError(
                f"{self._where} sent the {self._what} at {_rate_text(rate)}, below the slowest accepted "
                f"({_rate_text(self._floor)}): try again later, or lower the slowest download rate{SETTINGS_HINT}."
            )


def _rate_text(rate: float) -> str:
    return f"{rate / 1024:.1f} KiB/s" if rate >= 1024 else f"{rate:.0f} bytes/s"
