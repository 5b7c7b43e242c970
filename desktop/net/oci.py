"""An OCI distribution client for Helm charts: anonymous, basic or bearer-token auth (the flow
Helm and Docker use), catalog and tag listing with Link pagination, manifests with the Accept
headers registries require, digest-checked blobs, and 429 Retry-After with backoff."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from desktop.cancellation import CancelToken
from desktop.errors import (
    AuthError,
    NetworkError,
    NotFoundError,
    OperationCancelled,
    RegistryResponseError,
    UserError,
)
from desktop.net.client import read_body
from desktop.net.errors import SETTINGS_HINT, transport_error
from desktop.net.settings import MB, NetworkSettings
from desktop.net.sockets import Interrupter
from desktop.net.tls import ssl_context_for
from desktop.net.transport import http_client
from desktop.net.urls import host_and_port, origin, redacted

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
SMALL_LIMIT = 4 * MB  # manifests, configs, tag lists
MAX_RETRIES_429 = 4
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_LINK = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?")

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class OciAccess:
    """How to reach one OCI registry; the password never appears in a repr."""

    endpoint: str  # oci://host[:port][/base]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    plain_http: bool = False

    @property
    def base_url(self) -> str:
        parts = urlsplit(self.endpoint)
        return f"{'http' if self.plain_http else 'https'}://{parts.netloc}"

    @property
    def base_path(self) -> str:
        return urlsplit(self.endpoint).path.strip("/")

    def repository(self, chart: str) -> str:
        return f"{self.base_path}/{chart}" if self.base_path else chart


@dataclass
class OciResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    wire_bytes: int


class OciClient:
    def __init__(
        self,
        access: OciAccess,
        settings: NetworkSettings | None = None,
        sleep: Sleep = time.sleep,
        cancel: CancelToken | None = None,
    ) -> None:
        self.access = access
        self.settings = settings or NetworkSettings()
        self.cancel = cancel
        self._sleep = sleep
        self._origin = origin(access.base_url)
        self._tokens: dict[str, tuple[str, float]] = {}  # scope → (token, expiry)
        self._basic = False  # the registry asked for basic auth
        self.wire_bytes = 0
        verify = ssl_context_for(access.ca_pem, access.insecure_skip_tls_verify) if not access.plain_http else False
        self._interrupter = Interrupter()
        self._client = http_client(verify, self.settings, self._interrupter)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()
        self._interrupter.close()

    # --- the API ------------------------------------------------------------------------

    def ping(self) -> None:
        """`GET /v2/`: the address speaks the registry API and the credentials are accepted."""
        self._get("/v2/", scope=None)

    def catalog(self, page_size: int = 100) -> list[str] | None:
        """Repositories under the base path, or None when the registry will not list them."""
        names: list[str] = []
        path: str | None = f"/v2/_catalog?{urlencode({'n': page_size})}"
        while path:
            try:
                response = self._get(path, scope="registry:catalog:*")
            except (AuthError, NotFoundError, RegistryResponseError):
                return None
            names.extend(_json(response).get("repositories") or [])
            path = _next_page(response)
        prefix = f"{self.access.base_path}/" if self.access.base_path else ""
        return sorted(
            name[len(prefix) :] for name in names if name.startswith(prefix) and "/" not in name[len(prefix) :]
        )

    def tags(self, chart: str, page_size: int | None = None) -> list[str]:
        repository = self.access.repository(chart)
        query = f"?{urlencode({'n': page_size})}" if page_size else ""
        path: str | None = f"/v2/{repository}/tags/list{query}"
        tags: list[str] = []
        while path:
            response = self._get(path, scope=f"repository:{repository}:pull", what=f"chart '{chart}'")
            tags.extend(_json(response).get("tags") or [])
            path = _next_page(response)
        return tags

    def manifest(self, chart: str, tag: str) -> dict[str, Any]:
        repository = self.access.repository(chart)
        response = self._get(
            f"/v2/{repository}/manifests/{tag}",
            scope=f"repository:{repository}:pull",
            accept=", ".join(MANIFEST_TYPES),
            what=f"version '{tag}' of chart '{chart}'",
        )
        return _json(response)

    def blob(self, chart: str, digest: str, max_bytes: int = SMALL_LIMIT) -> bytes:
        """A blob, checked against its digest."""
        repository = self.access.repository(chart)
        response = self._get(
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            max_bytes=max_bytes,
            what=f"a layer of chart '{chart}'",
        )
        algorithm, _, expected = digest.partition(":")
        if algorithm != "sha256" or hashlib.sha256(response.body).hexdigest() != expected:
            raise RegistryResponseError(
                f"A download from the registry does not match its digest {digest[:19]}…: it was changed or damaged."
            )
        return response.body

    # --- requests with auth, redirects and rate limits ------------------------------------

    def _get(
        self, path: str, *, scope: str | None, accept: str | None = None, max_bytes: int = SMALL_LIMIT, what: str = ""
    ) -> OciResponse:
        url = self.access.base_url + path
        retried_auth = False
        rate_limited = 0
        while True:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            response = self._send(url, scope, accept, max_bytes)
            if response.status == 401 and not retried_auth:
                retried_auth = True
                self._answer_challenge(response.headers.get("www-authenticate", ""), scope)
                continue
            if response.status == 429 and rate_limited < MAX_RETRIES_429:
                rate_limited += 1
                self._wait(_retry_after(response.headers.get("retry-after"), rate_limited))
                continue
            if response.status == 200:
                return response
            raise _status_error(response, url, what, self.access.username is not None)

    def _send(self, url: str, scope: str | None, accept: str | None, max_bytes: int) -> OciResponse:
        for _hop in range(6):
            headers = {"Accept": accept} if accept else {}
            if origin(url) == self._origin:  # credentials and tokens only for the registry itself
                authorization = self._authorization(scope)
                if authorization:
                    headers["Authorization"] = authorization
            with self._exchange(url), self._client.stream("GET", url, headers=headers) as response:
                self._interrupter.disarm()
                location = response.headers.get("location")
                if response.status_code in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)  # blobs often live in object storage
                    continue
                if response.status_code != 200:
                    body, wire = read_body(response, 65536, self.settings, self.cancel, None, what="answer")
                    return OciResponse(response.status_code, response.headers, body, wire)
                body, wire = read_body(response, max_bytes, self.settings, self.cancel, None, what="download")
                self.wire_bytes += wire
                return OciResponse(200, response.headers, body, wire)
        raise RegistryResponseError("The registry redirected too many times.")

    @contextlib.contextmanager
    def _exchange(self, url: str) -> Iterator[None]:
        """One request, bounded like every other: headers within one timeout, then each read, and a
        cancel that stops it in any state."""
        timeout = self.settings.timeout
        watching = (
            self.cancel.while_blocking(self._interrupter.abort) if self.cancel is not None else contextlib.nullcontext()
        )
        self._interrupter.arm(timeout, f"{host_and_port(url)} did not send its response headers within {timeout:g} s")
        try:
            with watching:
                yield
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            if self._interrupter.aborted:
                raise OperationCancelled() from exc
            if self._interrupter.overdue is not None:
                raise NetworkError(
                    f"{self._interrupter.overdue}: try again later, or raise the request timeout{SETTINGS_HINT}."
                ) from exc
            raise transport_error(exc, url, timeout) from exc
        finally:
            self._interrupter.disarm()
            self._interrupter.reset()

    def _authorization(self, scope: str | None) -> str | None:
        token = self._tokens.get(scope or "")
        if token is not None and token[1] > time.monotonic():
            return f"Bearer {token[0]}"
        if self._basic and self.access.username:
            pair = f"{self.access.username}:{self.access.password or ''}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return None

    def _answer_challenge(self, challenge: str, scope: str | None) -> None:
        kind = challenge.split(" ", 1)[0].lower()
        if kind == "basic":
            self._basic = True
            return
        if kind != "bearer":
            return
        values = dict(_CHALLENGE.findall(challenge))
        realm = values.get("realm")
        if not realm:
            raise RegistryResponseError("The registry asked for a token but named no token service (realm).")
        params = {
            key: value
            for key, value in (("service", values.get("service")), ("scope", values.get("scope") or scope))
            if value
        }
        token, lifetime = self._fetch_token(realm, params)
        margin = 10 if lifetime > 20 else lifetime / 2  # renew a little before the registry would refuse it
        self._tokens[scope or ""] = (token, time.monotonic() + lifetime - margin)

    def _fetch_token(self, realm: str, params: dict[str, str]) -> tuple[str, float]:
        headers = {}
        realm_origin = origin(realm)
        # Send the password to the token service only over HTTPS, or to the registry's own host.
        if self.access.username and (realm_origin[0] == "https" or realm_origin[1] == self._origin[1]):
            pair = f"{self.access.username}:{self.access.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        url = str(httpx.URL(realm, params=params))
        with self._exchange(url), self._client.stream("GET", url, headers=headers) as streamed:
            self._interrupter.disarm()
            body, _ = read_body(streamed, SMALL_LIMIT, self.settings, self.cancel, None, what="token")
            response = httpx.Response(streamed.status_code, headers=streamed.headers, content=body)
        if response.status_code in (401, 403):
            if self.access.username:
                raise AuthError("The registry's token service refused the username or password: check them.")
            raise AuthError(
                "The registry requires a login: turn off No Authentication and give a username and password."
            )
        if response.status_code != 200:
            raise RegistryResponseError(f"The registry's token service answered {response.status_code}.")
        try:
            document = response.json()
            if not isinstance(document, dict):
                raise ValueError("not an object")
        except ValueError:
            raise RegistryResponseError("The registry's token service did not answer with a token.") from None
        token = document.get("token") or document.get("access_token")
        if not token:
            raise RegistryResponseError("The registry's token service did not answer with a token.")
        return str(token), float(document.get("expires_in") or 60)

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            self._sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def _json(response: OciResponse) -> dict[str, Any]:
    import json

    try:
        document = json.loads(response.body)
    except ValueError:
        raise RegistryResponseError("The registry answered with something that is not JSON.") from None
    if not isinstance(document, dict):
        raise RegistryResponseError("The registry answered with unexpected JSON.")
    return document


def _next_page(response: OciResponse) -> str | None:
    link = response.headers.get("link")
    match = _LINK.search(link) if link else None
    return match.group(1) if match else None


def _retry_after(value: str | None, attempt: int) -> float:
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


def _status_error(response: OciResponse, url: str, what: str, sent_credentials: bool) -> UserError:
    codes: list[str] = []
    messages: list[str] = []
    try:
        import json

        for error in json.loads(response.body).get("errors", []):
            codes.append(str(error.get("code", "")))
            messages.append(str(error.get("message", "")))
    except (ValueError, AttributeError):
        pass
    subject = what or redacted(url)
    if response.status == 401:
        if sent_credentials:
            return AuthError("The registry refused the username or password (401 Unauthorized): check them.")
        return AuthError(
            "The registry requires a login (401 Unauthorized): turn off No Authentication and give "
            "a username and password."
        )
    if response.status == 403 or "DENIED" in codes:
        return AuthError(f"Access denied to {subject} (403): this account may not read it; check its permissions.")
    if "NAME_UNKNOWN" in codes or (response.status == 404 and "tags/list" in url):
        return NotFoundError(f"The registry has no {subject}: check the name, and the endpoint's path.")
    if "MANIFEST_UNKNOWN" in codes or (response.status == 404 and "/manifests/" in url):
        return NotFoundError(f"The registry has no {subject}.")
    if response.status == 404:
        return RegistryResponseError(
            f"Nothing at {redacted(url)} (404 Not Found): is this an OCI registry (the /v2/ API)? Check the endpoint."
        )
    if response.status == 429:
        return NetworkError("The registry keeps rate-limiting the requests (429 Too Many Requests): try again later.")
    detail = f" ({'; '.join(m for m in messages if m)})" if any(messages) else ""
    return RegistryResponseError(f"The registry answered {response.status}{detail} for {subject}.")
