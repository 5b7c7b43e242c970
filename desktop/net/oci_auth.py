"""Who an OCI registry is and how its login is answered: `OciAccess`, and the bearer-token flow Helm
and Docker use (the registry's challenge, its token service, a token renewed before it expires)."""

from __future__ import annotations

import base64
import contextlib
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from desktop.cancellation import CancelToken
from desktop.errors import AuthError, RegistryResponseError
from desktop.net.client import read_body
from desktop.net.oci_answers import token_lifetime
from desktop.net.settings import MB, NetworkSettings
from desktop.net.sockets import Interrupter
from desktop.net.tls import ssl_context_for
from desktop.net.transport import http_client
from desktop.net.urls import clipped, host_and_port, origin, redacted

MAX_TOKEN_LENGTH = 64 * 1024
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")  # what an Authorization header can carry as it is
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
TOKEN_ANSWER_LIMIT = 4 * MB


@dataclass(frozen=True)
class OciAccess:
    """How to reach one OCI registry; the password or token never appears in a repr."""

    endpoint: str  # oci://host[:port][/base]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    plain_http: bool = False
    # Instead of a login: sent as `Authorization: Bearer` to the registry itself, and offered to its
    # token service as an OAuth2 refresh token (an identity token, as `docker login` keeps one).
    token: str | None = field(default=None, repr=False)
    # Repository paths on the host whose charts are listed (the endpoint is then the host alone):
    # their charts are named by their whole repository, path included.
    base_paths: tuple[str, ...] = ()

    @property
    def has_credentials(self) -> bool:
        return self.username is not None or bool(self.token)

    @property
    def base_url(self) -> str:
        parts = urlsplit(self.endpoint)
        return f"{'http' if self.plain_http else 'https'}://{parts.netloc}"

    @property
    def base_path(self) -> str:
        return urlsplit(self.endpoint).path.strip("/")

    def repository(self, chart: str) -> str:
        return f"{self.base_path}/{chart}" if self.base_path else chart


class TokenAuth:
    """The login part of `OciClient`: the Authorization a request carries, and the answer to a challenge."""

    access: OciAccess
    settings: NetworkSettings
    cancel: CancelToken | None
    _origin: tuple[str, str, int]
    _tokens: dict[str, tuple[str, float]]  # scope → (token, expiry)
    _fresh: str | None  # the scope whose token was just fetched: used once, however short-lived
    _basic: bool  # the registry asked for basic auth
    _interrupter: Interrupter
    _realm_client: httpx.Client | None

    def _exchange(self, url: str, *, headers_deadline: bool = True) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # the client's: one request's deadline and cancel

    def _authorization(self, scope: str | None) -> str | None:
        token = self._tokens.get(scope or "")
        fresh, self._fresh = self._fresh == (scope or ""), None
        if token is not None and (fresh or token[1] > time.monotonic()):
            return f"Bearer {token[0]}"
        if self.access.token:
            return f"Bearer {self.access.token}"
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
        self._fresh = scope or ""

    def _fetch_token(self, realm: str, params: dict[str, str]) -> tuple[str, float]:
        headers = {}
        form: dict[str, str] | None = None
        realm_origin = origin(realm)
        # Send the password to the token service only over HTTPS, or over plain HTTP to the host of
        # a registry that is itself reached over plain HTTP (never in clear beside an HTTPS registry).
        in_clear_allowed = self._origin[0] == "http" and realm_origin[1] == self._origin[1]
        may_send = realm_origin[0] == "https" or in_clear_allowed
        if self.access.token and may_send:
            # The distribution spec's OAuth2 exchange: the token as a refresh token, in a POST's form.
            form = {"grant_type": "refresh_token", "refresh_token": self.access.token, "client_id": "chartkeeper"}
            form.update(params)
        elif self.access.username and may_send:
            pair = f"{self.access.username}:{self.access.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        try:
            url = str(httpx.URL(realm, params=None if form is not None else params))
        except (httpx.InvalidURL, ValueError, TypeError):
            raise RegistryResponseError(
                f"The registry named a token service that is not a URL ({clipped(redacted(realm))}): "
                "ask its administrator to fix its token realm."
            ) from None
        if self._realm_client is None:
            self._realm_client = http_client(
                ssl_context_for(self.access.ca_pem, False), self.settings, self._interrupter
            )
        method = "GET" if form is None else "POST"
        with self._exchange(url), self._realm_client.stream(method, url, headers=headers, data=form) as streamed:
            self._interrupter.disarm()
            body, _ = read_body(streamed, TOKEN_ANSWER_LIMIT, self.settings, self.cancel, None, what="token")
            response = httpx.Response(streamed.status_code, headers=streamed.headers, content=body)
        if response.status_code in (400, 401, 403) and self.access.token:
            raise AuthError(
                f"The registry's token service at {host_and_port(url)} refused the token: check it, or give a new one."
            )
        if response.status_code in (401, 403):
            if self.access.username:
                raise AuthError(
                    f"The registry's token service at {host_and_port(url)} refused the username or password: "
                    "check them."
                )
            raise AuthError(
                "The registry requires a login: turn off No Authentication and give a username and password,"
                " or a token."
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
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_TEXT.fullmatch(token):
            raise RegistryResponseError("The registry's token service did not answer with a token.")
        return token, token_lifetime(document.get("expires_in"))
