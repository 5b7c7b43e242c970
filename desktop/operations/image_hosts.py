"""Image registries: how each container image host is reached (plain HTTP, a CA, a login or a bearer token
kept in the keyring), and the OCI clients image pulls use; a host with no entry is pulled anonymously over
HTTPS. Credentials go only to their host and the token service it names (the OCI client sees to that)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from desktop.cancellation import CancelToken
from desktop.errors import UserError, ValidationError
from desktop.files import write_private_file
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from desktop.operations.services import Services

HOSTS_FILE = "image-registries.json"
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"  # where docker.io's images are served
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?"
)
MAX_CA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ImageHost:
    host: str
    plain_http: bool = False
    insecure_skip_tls_verify: bool = False
    ca_pem: str | None = None
    username: str | None = None
    token_auth: bool = False  # the keyring holds a token, sent as `Authorization: Bearer`

    @property
    def has_secret(self) -> bool:
        return self.username is not None or self.token_auth

    @property
    def account(self) -> str:
        return credential_account(self.host)


def credential_account(host: str) -> str:
    """The keyring account of an image host's password: never a Helm registry's."""
    return f"image-host/{host}"


def hosts_file(services: Services) -> Path:
    if services.image_hosts is None:
        raise UserError("This Chartkeeper has no home for image registries: run it with --home.")
    return services.image_hosts


def check_host(host: str) -> str:
    text = host.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _HOST.fullmatch(text) or len(text) > 255:
        raise ValidationError(f"'{host[:80]}' is not a registry host: give HOST or HOST:PORT, such as quay.io.")
    return text


def list_image_hosts(services: Services) -> list[ImageHost]:
    path = hosts_file(services)
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} cannot be read ({exc}): remove it and add the image registries again.") from None
    hosts = []
    for item in document.get("hosts", []) if isinstance(document, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("host"), str):
            hosts.append(
                ImageHost(
                    item["host"],
                    bool(item.get("plain_http")),
                    bool(item.get("insecure_skip_tls_verify")),
                    item.get("ca_pem") if isinstance(item.get("ca_pem"), str) else None,
                    item.get("username") if isinstance(item.get("username"), str) else None,
                    bool(item.get("token_auth")),
                )
            )
    return sorted(hosts, key=lambda entry: entry.host)


def _save(services: Services, hosts: list[ImageHost]) -> None:
    document = {"hosts": [asdict(entry) for entry in sorted(hosts, key=lambda entry: entry.host)]}
    write_private_file(hosts_file(services), json.dumps(document, indent=2).encode() + b"\n")


def add_image_host(
    services: Services,
    host: str,
    *,
    plain_http: bool = False,
    insecure_skip_tls_verify: bool = False,
    ca_file: Path | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> ImageHost:
    """Add (or replace) a host's entry; the password or token goes to the keyring, never to the file."""
    name = check_host(host)
    if (username is None) != (password is None):
        raise ValidationError("Give a username with its password (--username U --password-stdin), or neither.")
    if token is not None and username is not None:
        raise ValidationError("Give a username and password, or a token (--token-stdin), not both.")
    if token is not None and not token.strip():
        raise ValidationError("The token is empty: give the registry's token on standard input.")
    ca_pem = None
    if ca_file is not None:
        try:
            data = ca_file.read_bytes()[: MAX_CA_BYTES + 1]
        except OSError as exc:
            raise UserError(f"{ca_file} cannot be read ({exc.strerror or exc}).") from None
        if len(data) > MAX_CA_BYTES or b"-----BEGIN CERTIFICATE-----" not in data:
            raise ValidationError(f"{ca_file} is no PEM certificate file: give the CA's certificates in PEM.")
        ca_pem = data.decode("ascii", "replace")
    entry = ImageHost(name, plain_http, insecure_skip_tls_verify, ca_pem, username, token is not None)
    hosts = list_image_hosts(services)
    secret = password if password is not None else token
    if secret is not None:
        services.credentials.set_password(entry.account, secret)
    elif any(other.has_secret for other in hosts if other.host == name):  # replaced by an anonymous entry
        services.credentials.delete_password(entry.account)
    hosts = [other for other in hosts if other.host != name]
    _save(services, [*hosts, entry])
    return entry


def remove_image_host(services: Services, host: str) -> None:
    name = check_host(host)
    hosts = list_image_hosts(services)
    if all(entry.host != name for entry in hosts):
        raise UserError(f"No image registry {name}: `chartkeeper image-registry list` shows them.")
    kept = [entry for entry in hosts if entry.host != name]
    if any(entry.has_secret for entry in hosts if entry.host == name):
        services.credentials.delete_password(credential_account(name))
    _save(services, kept)


def image_clients(services: Services, cancel: CancelToken | None = None) -> Callable[[str], OciClient]:
    """A maker of OCI clients by image host (`docker.io` reached at registry-1.docker.io)."""
    rules = {entry.host: entry for entry in list_image_hosts(services)} if services.image_hosts else {}
    secrets: dict[str, str | None] = {}
    network = services.network

    def client_for(host: str) -> OciClient:
        rule = rules.get(host) or ImageHost(host)
        if rule.has_secret and host not in secrets:
            secrets[host] = services.credentials.get_password(rule.account)
        if rule.has_secret and not secrets.get(host):
            raise UserError(
                f"The keyring holds no {'token' if rule.token_auth else 'password'} for image registry {host}:"
                f" add it again (`chartkeeper image-registry add {host} …`)."
            )
        address = DOCKER_HUB_API if host == DOCKER_HUB else host
        access = OciAccess(
            f"oci://{address}",
            rule.username,
            None if rule.token_auth else secrets.get(host),
            rule.ca_pem,
            rule.insecure_skip_tls_verify,
            rule.plain_http,
            token=secrets.get(host) if rule.token_auth else None,
        )
        return OciClient(access, network, cancel=cancel)

    return client_for
