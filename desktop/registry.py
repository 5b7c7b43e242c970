"""The Helm registry as Palette defines it: fields, naming and endpoint rules."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from desktop.errors import ValidationError
from desktop.net.urls import chart_base_path, redacted_userinfo

NAME_MAX = 64
RegistryKind = Literal["helm", "oci"]  # a classic index.yaml repository, or an OCI registry
AuthKind = Literal["none", "basic", "token"]  # as Palette's credential_type: noAuth, basic, token
REGISTRY_KINDS: tuple[RegistryKind, ...] = ("helm", "oci")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Registry:
    """A registered registry as the catalog keeps it; its password or token lives in the OS keyring."""

    id: int
    uid: str  # stable key for the keyring entry, so renaming keeps the password
    name: str
    endpoint: str
    sync_enabled: bool
    username: str | None  # None: No Authentication
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    kind: RegistryKind = "helm"
    created_at: float = 0.0
    plain_http: bool = False  # OCI only: no TLS, when the user asks for it (helm --plain-http)
    chart_names: tuple[str, ...] = ()  # OCI only: the charts to read when the registry lists none
    token_auth: bool = False  # the keyring holds a token, sent as `Authorization: Bearer`; no username
    # OCI only: the repository paths on the host whose charts are read (endpoint then oci://HOST);
    # each chart is then named by its repository, path included (team-a/charts/web).
    base_paths: tuple[str, ...] = ()
    login_needed: bool = False  # exports only: a bundle said it needs a login, not entered here (yet)

    @property
    def auth(self) -> AuthKind:
        return "token" if self.token_auth else "basic" if self.username is not None else "none"

    @property
    def is_private(self) -> bool:
        """Whether the keyring holds a secret for it (a password or a token)."""
        return self.username is not None or self.token_auth

    @property
    def is_oci(self) -> bool:
        return self.kind == "oci"

    @property
    def shown_endpoint(self) -> str:
        """The endpoint as lists show it: with its base paths, when it has several."""
        return f"{self.endpoint} ({', '.join(self.base_paths)})" if self.base_paths else self.endpoint

    def covers(self, chart: str) -> bool:
        """Whether a chart of that name can come from where the registry now reads: False for one
        kept from a base path since removed (or named before the registry had base paths)."""
        if not self.is_oci:
            return True
        if self.base_paths:
            return chart_base_path(chart, self.base_paths) is not None
        return "/" not in chart or chart in self.chart_names


@dataclass(frozen=True)
class RegistryDraft:
    """What the user typed into Add / Edit Helm Registry (or the CLI's flags), before it is checked.
    With `token_auth`, `password` carries the token: the keyring keeps either under the same entry."""

    name: str
    endpoint: str
    sync_enabled: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    keep_password: bool = False  # editing: an empty password means "keep the one in the keyring"
    kind: RegistryKind = "helm"
    plain_http: bool = False
    chart_names: tuple[str, ...] = ()
    token_auth: bool = False
    base_paths: tuple[str, ...] = ()

    @property
    def auth(self) -> AuthKind:
        return "token" if self.token_auth else "basic" if self.username is not None else "none"

    @property
    def is_private(self) -> bool:
        return self.username is not None or self.token_auth

    def cleaned(self) -> RegistryDraft:
        """Trimmed and validated; raises ValidationError naming the first problem."""
        username = (self.username or "").strip() or None
        if self.token_auth:
            if username is not None:
                raise ValidationError(
                    "A token is sent without a username: choose Username and password, or give the token alone."
                )
            if not (self.password or "").strip() and not self.keep_password:
                raise ValidationError("Give the token, or turn on No Authentication.")
            validate_token(self.password or "")
        elif username is None and self.password:
            raise ValidationError("A password needs a username: give both, or neither for No Authentication.")
        if username is not None and not self.password and not self.keep_password:
            raise ValidationError(f"Give the password for '{username}', or turn on No Authentication.")
        if self.kind not in REGISTRY_KINDS:
            raise ValidationError(f"'{self.kind}' is not a registry type: use helm or oci.")
        oci = self.kind == "oci"
        endpoint = validate_oci_endpoint(self.endpoint) if oci else validate_endpoint(self.endpoint)
        base_paths = validate_base_paths(self.base_paths)
        if base_paths and not oci:
            raise ValidationError("Base paths are for OCI registries (oci:// endpoints): remove them.")
        if base_paths:
            endpoint, base_paths = with_base_paths(endpoint, base_paths)
        return replace(
            self,
            name=validate_name(self.name),
            endpoint=endpoint,
            username=username,
            password=((self.password or "").strip() if self.token_auth else self.password) or None,
            plain_http=self.plain_http and oci,
            chart_names=validate_chart_names(self.chart_names) if oci else (),
            base_paths=base_paths,
        )


def validate_token(token: str) -> str:
    """A token as an `Authorization: Bearer` header can carry it: printable ASCII, no spaces inside."""
    token = token.strip()
    if any(ch.isspace() or not ch.isascii() or not ch.isprintable() for ch in token):
        raise ValidationError("The token has spaces, control or non-ASCII characters in it: paste the token alone.")
    return token


def validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("Give the registry a name.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The name is {len(name)} characters long; keep it to {NAME_MAX}.")
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"'{name}' is not a valid name: use letters, digits, '-', '_' and '.', starting with a letter or digit."
        )
    return name


def _split(endpoint: str) -> SplitResult:
    try:
        return urlsplit(endpoint)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValidationError(f"'{redacted_userinfo(endpoint)}' is not a valid URL: check the host part.") from None


_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")


def _check_authority(endpoint: str, parts: SplitResult) -> None:
    """What both kinds of endpoint refuse: credentials written into it, a port out of range, a
    host that is neither a name nor an address."""
    shown = redacted_userinfo(endpoint)
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Put the username and password in their own fields, not in the endpoint URL.")
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"'{shown}' has an invalid port number (use 1 to 65535).") from None
    if port == 0:
        raise ValidationError(f"'{shown}' has port 0: give the port the registry listens on (1 to 65535).")
    host = parts.hostname or ""
    if not host:
        return
    if ":" in host:  # bracketed IPv6
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValidationError(f"'{shown}' has an invalid IPv6 address.") from None
        return
    if host.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValidationError(f"'{shown}' has an invalid IP address ({host}).") from None
        return
    try:
        ascii_host = host.encode("idna").decode("ascii")  # an international name, as DNS spells it
    except UnicodeError:
        ascii_host = ""
    if not _HOST_NAME.fullmatch(ascii_host):
        raise ValidationError(f"'{shown}' has an invalid host name ({host}).")


def validate_endpoint(endpoint: str) -> str:
    """An http(s) URL with a host; its path and query are kept exactly as given."""
    endpoint = endpoint.strip()
    if not endpoint:
        raise ValidationError("Give the registry's endpoint, such as https://charts.example.com/stable.")
    parts = _split(endpoint)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            f"'{redacted_userinfo(endpoint)}' is not an http:// or https:// URL: give the repository URL, "
            "such as https://charts.example.com/stable."
        )
    _check_authority(endpoint, parts)
    if not parts.hostname or any(ch.isspace() for ch in endpoint):
        raise ValidationError(
            f"'{redacted_userinfo(endpoint)}' is not a valid URL: it needs a host name and no spaces."
        )
    if parts.fragment:
        raise ValidationError("Remove the '#…' part from the endpoint: Helm repositories do not use fragments.")
    return endpoint


_REPOSITORY_PART = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")  # one part of an OCI repository's name
_CHART_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")


def validate_oci_endpoint(endpoint: str) -> str:
    """`oci://host[:port][/base/path]`: where Helm pushed the charts (`helm push chart.tgz oci://…`)."""
    endpoint = endpoint.strip().rstrip("/")
    if not endpoint:
        raise ValidationError("Give the registry's endpoint, such as oci://registry.example.com/charts.")
    parts = _split(endpoint)
    if parts.scheme.lower() != "oci":
        raise ValidationError(
            f"'{redacted_userinfo(endpoint)}' is not an oci:// address: OCI registries are written like "
            "oci://registry.example.com/charts."
        )
    _check_authority(endpoint, parts)
    if not parts.hostname or parts.query or parts.fragment or any(ch.isspace() for ch in endpoint):
        raise ValidationError(
            f"'{redacted_userinfo(endpoint)}' is not a valid OCI address: a host, an optional path, nothing else."
        )
    path = parts.path.strip("/")
    if path and not _CHART_NAME.fullmatch(path):
        raise ValidationError(f"'{path}' is not a valid repository path: lowercase letters, digits, . _ - and /.")
    return endpoint


def _repository_paths(raw_paths: tuple[str, ...] | list[str], refused: str) -> tuple[str, ...]:
    """OCI repository paths trimmed of slashes, each once, in order; `refused` says why one is not
    (`{}` is the path)."""
    cleaned: list[str] = []
    for raw in raw_paths:
        path = raw.strip().strip("/")
        if not path:
            continue
        if not _CHART_NAME.fullmatch(path):
            raise ValidationError(refused.format(path))
        if path not in cleaned:
            cleaned.append(path)
    return tuple(cleaned)


def validate_base_paths(paths: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Repository paths on an OCI host (team-a/charts), trimmed of slashes, each once, in order."""
    return _repository_paths(paths, "'{}' is not a valid base path: lowercase letters, digits, . _ - and /.")


def with_base_paths(endpoint: str, base_paths: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """An endpoint with a path and more base paths: the host alone, its path the first base path."""
    parts = urlsplit(endpoint)
    first = parts.path.strip("/")
    paths = ((first,) if first else ()) + tuple(path for path in base_paths if path != first)
    return f"{parts.scheme}://{parts.netloc}", paths


def validate_chart_names(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return _repository_paths(names, "'{}' is not a chart name an OCI registry accepts (lowercase, digits, . _ -).")
