"""An OCI distribution client for Helm charts: anonymous, basic or bearer-token auth (the flow
Helm and Docker use), catalog and tag listing with Link pagination, manifests with the Accept
headers registries require, digest-checked blobs, and 429 Retry-After with backoff."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Self
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from desktop.cancellation import CancelToken
from desktop.errors import (
    AuthError,
    IndexFormatError,
    NetworkError,
    NotFoundError,
    OperationCancelled,
    RegistryResponseError,
)
from desktop.net.client import read_body
from desktop.net.errors import SETTINGS_HINT, transport_error
from desktop.net.oci_answers import (
    OciResponse,
    Pages,
    json_document,
    listed_names,
    next_page,
    retry_after,
    status_error,
    stream_into,
)
from desktop.net.oci_auth import OciAccess, TokenAuth
from desktop.net.settings import MB, NetworkSettings
from desktop.net.sockets import Interrupter
from desktop.net.tls import ssl_context_for
from desktop.net.transport import http_client
from desktop.net.urls import chart_base_path, host_and_port, origin

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
SMALL_LIMIT = 4 * MB  # manifests, configs, tag lists
UPLOAD_CHUNK = 1024 * 1024
MAX_RETRIES_429 = 4

Sleep = Callable[[float], None]


class RequestBudgetSpent(RegistryResponseError):
    """A sync made all the requests it may: the registry's listings do not end."""


class OciClient(TokenAuth):
    def __init__(
        self,
        access: OciAccess,
        settings: NetworkSettings | None = None,
        sleep: Sleep = time.sleep,
        cancel: CancelToken | None = None,
        request_budget: int | None = None,
    ) -> None:
        self.access = access
        self.settings = settings or NetworkSettings()
        self.cancel = cancel
        # A sync's requests, all told (None: no bound, as for a bundle's push or pull).
        self.request_budget = request_budget
        self.requests_made = 0
        self._sleep = sleep
        self._origin = origin(access.base_url)
        self._tokens: dict[str, tuple[str, float]] = {}  # scope → (token, expiry)
        self._fresh: str | None = None  # the scope whose token was just fetched: used once, however short-lived
        self._basic = False  # the registry asked for basic auth
        self.wire_bytes = 0
        verify = ssl_context_for(access.ca_pem, access.insecure_skip_tls_verify) if not access.plain_http else False
        self._interrupter = Interrupter()
        self._client = http_client(verify, self.settings, self._interrupter)
        # A token service always has its certificate checked, even beside a plain-HTTP or
        # skip-verify registry: it is where the password goes (made when first needed).
        self._realm_client = self._client if verify is not False and not access.insecure_skip_tls_verify else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()
        if self._realm_client is not None and self._realm_client is not self._client:
            self._realm_client.close()
        self._interrupter.close()

    # --- the API ------------------------------------------------------------------------

    def ping(self) -> None:
        """`GET /v2/`: the address speaks the registry API and the credentials are accepted."""
        self._get("/v2/", scope=None)

    def catalog(self, page_size: int = 100) -> list[str] | None:
        """Repositories directly under the base path (with several base paths: directly under any
        of them, each named whole), or None when the registry will not list them."""
        names: list[str] = []
        pages = Pages("list of repositories")
        path: str | None = f"/v2/_catalog?{urlencode({'n': page_size})}"
        while path:
            pages.visit(path)
            try:
                response = self._get(path, scope="registry:catalog:*")
            except RequestBudgetSpent:
                raise
            except (AuthError, NotFoundError, RegistryResponseError):
                return None
            names.extend(listed_names(json_document(response), "repositories", "list of repositories"))
            pages.check(len(names))
            path = next_page(response)
        if self.access.base_paths:
            return sorted(name for name in set(names) if chart_base_path(name, self.access.base_paths) is not None)
        prefix = f"{self.access.base_path}/" if self.access.base_path else ""
        return sorted(
            name[len(prefix) :] for name in names if name.startswith(prefix) and "/" not in name[len(prefix) :]
        )

    def tags(self, chart: str, page_size: int | None = None) -> list[str]:
        repository = self.access.repository(chart)
        query = f"?{urlencode({'n': page_size})}" if page_size else ""
        path: str | None = f"/v2/{repository}/tags/list{query}"
        tags: list[str] = []
        pages = Pages(f"list of tags of chart '{chart}'")
        while path:
            pages.visit(path)
            response = self._get(path, scope=f"repository:{repository}:pull", what=f"chart '{chart}'")
            tags.extend(listed_names(json_document(response), "tags", f"list of tags of chart '{chart}'"))
            pages.check(len(tags))
            path = next_page(response)
        return tags

    def manifest(self, chart: str, tag: str) -> dict[str, Any]:
        repository = self.access.repository(chart)
        response = self._get(
            f"/v2/{repository}/manifests/{tag}",
            scope=f"repository:{repository}:pull",
            accept=", ".join(MANIFEST_TYPES),
            what=f"version '{tag}' of chart '{chart}'",
        )
        return json_document(response)

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

    # --- pushing and pulling whole artifacts (bundles) --------------------------------------

    def blob_exists(self, name: str, digest: str) -> bool:
        """`HEAD` a blob: does the repository `name` (under the base path) hold it?"""
        repository = self.access.repository(name)
        response = self.request(
            "HEAD", f"/v2/{repository}/blobs/{digest}", scope=f"repository:{repository}:pull,push", ok=(200, 404)
        )
        return response.status == 200

    def manifest_digest(self, name: str, reference: str) -> str | None:
        """The digest of the manifest a tag (or digest) names, or None when there is none."""
        repository = self.access.repository(name)
        response = self.request(
            "HEAD",
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull,push",
            accept=", ".join((*MANIFEST_TYPES, *INDEX_TYPES)),  # else a registry may answer for one platform
            ok=(200, 404),
        )
        if response.status == 404:
            return None
        digest = response.headers.get("docker-content-digest")
        if digest is None:  # a registry that does not say: ask for the bytes
            return "sha256:" + hashlib.sha256(self.manifest_bytes(name, reference)[0]).hexdigest()
        return str(digest)

    def manifest_bytes(
        self, name: str, reference: str, max_bytes: int = SMALL_LIMIT, accept: tuple[str, ...] = MANIFEST_TYPES
    ) -> tuple[bytes, str]:
        """A manifest's exact bytes and media type; checked against `reference` when it is a digest."""
        repository = self.access.repository(name)
        response = self._get(
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            accept=", ".join(accept),
            max_bytes=max_bytes,
            what=f"'{name}:{reference}'" if not reference.startswith("sha256:") else f"a manifest of '{name}'",
        )
        actual = "sha256:" + hashlib.sha256(response.body).hexdigest()
        claimed = response.headers.get("docker-content-digest")
        if (reference.startswith("sha256:") and actual != reference) or (claimed and claimed != actual):
            raise RegistryResponseError(
                f"A manifest of '{name}' from the registry does not match its digest: it was changed or damaged."
            )
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        return response.body, media_type

    def download_blob(self, name: str, digest: str, size: int, sink: BinaryIO) -> None:
        """Stream a blob of known size into `sink`, checking size and digest; memory stays bounded."""
        repository = self.access.repository(name)
        hasher = hashlib.sha256()
        received = 0

        def write(chunk: bytes) -> None:
            nonlocal received
            received += len(chunk)
            if received > size:
                raise RegistryResponseError(
                    f"The registry sent more than the {size:,} bytes of blob {digest[:19]}…: refused."
                )
            hasher.update(chunk)
            sink.write(chunk)

        self.request(
            "GET",
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            what=f"a blob of '{name}'",
            sink=write,
        )
        if received != size or "sha256:" + hasher.hexdigest() != digest:
            raise RegistryResponseError(
                f"A download from the registry does not match its digest {digest[:19]}…: it was changed or damaged."
            )

    def upload_blob(
        self,
        name: str,
        digest: str,
        size: int,
        opener: Callable[[], BinaryIO],
        mount_from: str | None = None,
    ) -> bool:
        """Upload a blob (POST, then one monolithic PUT streamed from `opener()`), or mount it from
        another repository under the base path when the registry allows. True when it was mounted."""
        repository = self.access.repository(name)
        scope = f"repository:{repository}:pull,push"
        start = f"/v2/{repository}/blobs/uploads/"
        if mount_from is not None:
            source = self.access.repository(mount_from)
            start += "?" + urlencode({"mount": digest, "from": source})
            scope += f" repository:{source}:pull"
        started = self.request("POST", start, scope=scope, ok=(201, 202), what=f"an upload to '{name}'")
        if started.status == 201:
            return True
        location = started.headers.get("location")
        if not location:
            raise RegistryResponseError("The registry started an upload but gave no Location for it.")
        url = urljoin(self.access.base_url + start, location)
        url += ("&" if urlsplit(url).query else "?") + urlencode({"digest": digest})

        def body() -> Iterator[bytes]:
            with opener() as stream:
                while chunk := stream.read(UPLOAD_CHUNK):
                    if self.cancel is not None:
                        self.cancel.raise_if_cancelled()
                    yield chunk

        self.request(
            "PUT",
            url,
            scope=scope,
            ok=(201, 204),
            body=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            what=f"blob {digest[:19]}… of '{name}'",
        )
        return False

    def put_manifest(self, name: str, reference: str, manifest: bytes, media_type: str) -> None:
        """`PUT` a manifest by tag (or digest); the registry must store exactly these bytes."""
        repository = self.access.repository(name)
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull,push",
            ok=(201, 204),
            body=lambda: iter((manifest,)),
            headers={"Content-Type": media_type, "Content-Length": str(len(manifest))},
            what=f"'{name}:{reference}'",
        )
        stored = response.headers.get("docker-content-digest")
        if stored and stored != "sha256:" + hashlib.sha256(manifest).hexdigest():
            raise RegistryResponseError(f"The registry stored '{name}:{reference}' with another digest: refused.")

    # --- requests with auth, redirects and rate limits ------------------------------------

    def _get(
        self, path: str, *, scope: str | None, accept: str | None = None, max_bytes: int = SMALL_LIMIT, what: str = ""
    ) -> OciResponse:
        return self.request("GET", path, scope=scope, accept=accept, max_bytes=max_bytes, what=what)

    def request(
        self,
        method: str,
        path: str,
        *,
        scope: str | None,
        accept: str | None = None,
        ok: tuple[int, ...] = (200,),
        body: Callable[[], Iterator[bytes]] | None = None,
        headers: dict[str, str] | None = None,
        max_bytes: int = SMALL_LIMIT,
        what: str = "",
        sink: Callable[[bytes], None] | None = None,
    ) -> OciResponse:
        """One API call: a path under the registry (or a full URL, for upload locations), answering a
        401 challenge once and 429s with back-off; a status not in `ok` raises a one-line UserError."""
        url = path if "://" in path else self.access.base_url + path
        retried_auth = False
        rate_limited = 0
        while True:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            self._spend_request()
            request_headers = dict(headers or {})
            if accept:
                request_headers["Accept"] = accept
            response = self._send(method, url, scope, request_headers, body, max_bytes, sink, ok)
            if response.status == 401 and origin(response.url or url) != self._origin:
                # A redirect target (object storage, another host) asking for a login: the user's
                # credentials are for the registry alone, so its challenge is never answered.
                raise AuthError(
                    f"{host_and_port(response.url)}, where the registry redirected {what or 'the download'}, "
                    "refused it (401 Unauthorized): ask the registry's administrator to fix the redirect."
                )
            if response.status == 401 and not retried_auth:
                retried_auth = True
                self._answer_challenge(response.headers.get("www-authenticate", ""), scope)
                continue
            if response.status == 429 and rate_limited < MAX_RETRIES_429:
                rate_limited += 1
                self._wait(retry_after(response.headers.get("retry-after"), rate_limited))
                continue
            if response.status in ok:
                return response
            writing = method in ("POST", "PUT")
            raise status_error(
                response, url, what, self.access.has_credentials, writing=writing, token=bool(self.access.token)
            )

    def _spend_request(self) -> None:
        """Count one request against the budget; past it, the whole run stops with one line."""
        if self.request_budget is not None and self.requests_made >= self.request_budget:
            raise RequestBudgetSpent(
                f"Stopped after {self.request_budget:,} requests to the registry in one sync (its listings of"
                " repositories and tags do not end): nothing was changed; if the registry really is that large,"
                " raise OCI requests per sync with `chartkeeper settings set oci_requests_per_sync N`."
            )
        self.requests_made += 1

    def _send(
        self,
        method: str,
        url: str,
        scope: str | None,
        headers: dict[str, str],
        body: Callable[[], Iterator[bytes]] | None,
        max_bytes: int,
        sink: Callable[[bytes], None] | None,
        ok: tuple[int, ...],
    ) -> OciResponse:
        for _hop in range(6):
            request_headers = dict(headers)
            if sink is not None:
                request_headers["Accept-Encoding"] = "identity"  # a blob is stored compressed already
            if origin(url) == self._origin:  # credentials and tokens only for the registry itself
                authorization = self._authorization(scope)
                if authorization:
                    request_headers["Authorization"] = authorization
            content = body() if body is not None else None
            # An upload's own bytes may take long; its answer's headers are bounded like any other.
            with (
                self._exchange(url, headers_deadline=body is None),
                self._client.stream(method, url, headers=request_headers, content=content) as response,
            ):
                self._interrupter.disarm()
                location = response.headers.get("location")
                redirect = response.status_code in (301, 302, 303, 307, 308) and location
                if redirect and method in ("GET", "HEAD"):
                    url = urljoin(url, location)  # blobs often live in object storage
                    continue
                if method == "HEAD" or response.status_code not in ok:
                    error_body = b""
                    if method != "HEAD":
                        # Too large to be an error document: the status alone says what happened.
                        with contextlib.suppress(IndexFormatError):
                            error_body, _ = read_body(response, 65536, self.settings, self.cancel, None, what="answer")
                    return OciResponse(response.status_code, response.headers, error_body, len(error_body), url)
                if sink is not None:
                    wire = stream_into(response, sink, self.settings, self.cancel)
                    self.wire_bytes += wire
                    return OciResponse(response.status_code, response.headers, b"", wire, url)
                data, wire = read_body(response, max_bytes, self.settings, self.cancel, None, what="download")
                self.wire_bytes += wire
                return OciResponse(response.status_code, response.headers, data, wire, url)
        raise RegistryResponseError("The registry redirected too many times.")

    @contextlib.contextmanager
    def _exchange(self, url: str, *, headers_deadline: bool = True) -> Iterator[None]:
        """One request, bounded like every other: headers within one timeout (unless it uploads a
        body first), then each read, and a cancel that stops it in any state."""
        timeout = self.settings.timeout
        watching = (
            self.cancel.while_blocking(self._interrupter.abort) if self.cancel is not None else contextlib.nullcontext()
        )
        if headers_deadline:
            self._interrupter.arm(
                timeout, f"{host_and_port(url)} did not send its response headers within {timeout:g} s"
            )
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
            raise transport_error(exc, url, timeout, oci=True) from exc
        finally:
            self._interrupter.disarm()
            self._interrupter.reset()

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            self._sleep(min(0.2, max(0.0, deadline - time.monotonic())))
