"""A real OCI registry for tests: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1,
with htpasswd basic auth and TLS, or token auth with a token service of our own; charts pushed in
exactly Helm's OCI layout; and a forwarding proxy that can answer 429 first."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.quiet_server import QuietHTTPServer, serve_in_background

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SERVICE = "chartkeeper-test-registry"
ISSUER = "chartkeeper-test-token-issuer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class TokenService:
    """Issues the JWTs distribution accepts (ES256, signing certificate in `x5c`)."""

    users: dict[str, str]
    allow_catalog: bool = True
    lifetime: int = 300
    requests: list[dict[str, Any]] = field(default_factory=list)
    identity_tokens: dict[str, str] = field(default_factory=dict)  # refresh token → user (OAuth2 POST)

    def __post_init__(self) -> None:
        self.ca = trustme.CA()
        self.signer = self.ca.issue_cert("token-signer")
        self.key = serialization.load_pem_private_key(self.signer.private_key_pem.bytes(), password=None)
        self.certificate = x509.load_pem_x509_certificate(self.signer.cert_chain_pems[0].bytes())
        self._httpd: QuietHTTPServer | None = None

    def root_bundle(self, path: Path) -> Path:
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def token(self, subject: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "registry" and name == "catalog" and not self.allow_catalog:
                continue
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode("ascii")]}
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + self.lifetime,
            "nbf": now - 10,
            "iat": now,
            "jti": os.urandom(8).hex(),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        assert isinstance(self.key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{_b64url(signature)}"

    def start(self) -> str:
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                user = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if service.users.get(name) != password:
                        self._reply(401, {"details": "bad credentials"})
                        return
                    user = name
                scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
                service.requests.append({"user": user, "scopes": scopes, "service": query.get("service")})
                if user is None and service.users:
                    scopes = []  # anonymous: no access at all
                self._reply(200, {"token": service.token(user or "anonymous", scopes), "expires_in": service.lifetime})

            def do_POST(self) -> None:
                """The OAuth2 exchange `docker login` uses with an identity token: a form, no basic login."""
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                refresh = (form.get("refresh_token") or [""])[0]
                user = service.identity_tokens.get(refresh)
                grant = (form.get("grant_type") or [""])[0]
                scopes = [s for value in form.get("scope", []) for s in value.split(" ") if s]
                service.requests.append(
                    {"user": user, "scopes": scopes, "service": form.get("service"), "grant": grant}
                )
                if grant != "refresh_token" or user is None:
                    self._reply(401, {"details": "bad refresh token"})
                    return
                token = service.token(user, scopes)
                self._reply(200, {"access_token": token, "expires_in": service.lifetime, "scope": " ".join(scopes)})

            def _reply(self, status: int, document: dict[str, Any]) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = serve_in_background(Handler)
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/token"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()


class DistributionRegistry:
    """`docker-registry serve` with a config written here; `url` is its https:// or http:// base."""

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str] | None = None,
        tls: trustme.CA | None = None,
        token: TokenService | None = None,
    ) -> None:
        self.workdir = workdir
        self.users = users or {}
        self.tls = tls
        self.token = token
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def endpoint_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.workdir / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
        ]
        if self.tls is not None:
            server = self.tls.issue_cert("127.0.0.1", "localhost")
            server.cert_chain_pems[0].write_to_path(str(self.workdir / "server.crt"))
            server.private_key_pem.write_to_path(str(self.workdir / "server.key"))
            lines += [
                "  tls:",
                f"    certificate: {self.workdir / 'server.crt'}",
                f"    key: {self.workdir / 'server.key'}",
            ]
        if self.token is not None:
            realm = self.token.start()
            bundle = self.token.root_bundle(self.workdir / "token-root.pem")
            lines += [
                "auth:",
                "  token:",
                f"    realm: {realm}",
                f"    service: {SERVICE}",
                f"    issuer: {ISSUER}",
                f"    rootcertbundle: {bundle}",
            ]
        elif self.users:
            import bcrypt

            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(
                "".join(
                    f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                    for user, password in self.users.items()
                )
            )
            lines += ["auth:", "  htpasswd:", "    realm: chartkeeper-test", f"    path: {htpasswd}"]
        return "\n".join(lines) + "\n"

    def start(self) -> DistributionRegistry:
        program = shutil.which("docker-registry")
        if program is None:
            raise RuntimeError("docker-registry is missing: `python3 dev.py test` installs it on Debian.")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.yml"
        config.write_text(self._config())
        # Its log goes to a file: a pipe nobody reads fills after some 64 KB (an error line per unknown
        # blob), and then every request that logs blocks the registry for good.
        log = self.workdir / "registry.log"
        with open(log, "ab") as stream:
            self.process = subprocess.Popen([program, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=stream)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {log.read_text(errors='replace')[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start listening within 15 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if self.token is not None:
            self.token.stop()

    # --- pushing charts as `helm push` does ---------------------------------------------

    def _client(self, user: str | None) -> httpx.Client:
        verify: ssl.SSLContext | bool = False
        if self.tls is not None:
            verify = ssl.create_default_context()
            self.tls.configure_trust(verify)
        return httpx.Client(base_url=self.url, verify=verify, timeout=20)

    def _authorization(self, repository: str, user: str | None) -> dict[str, str]:
        if user is None:
            return {}
        password = self.users[user]
        if self.token is not None:
            scope = f"repository:{repository}:pull,push,delete"
            return {"Authorization": f"Bearer {self.token.token(user, [scope])}"}
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def push_chart(
        self,
        repository: str,
        version: str,
        archive: bytes,
        metadata: dict[str, Any] | None = None,
        user: str | None = None,
    ) -> str:
        """Push a packaged chart: config blob (the chart's metadata as JSON), one layer (the .tgz),
        an OCI manifest tagged with the version (`+` written `_`). Returns the manifest digest."""
        name = repository.rsplit("/", 1)[-1]
        config = json.dumps(
            {
                "name": name,
                "version": version,
                "apiVersion": "v2",
                "description": f"The {name} chart",
                "appVersion": "1.0.0",
                "type": "application",
                **(metadata or {}),
            }
        ).encode()
        headers = self._authorization(repository, user)
        with self._client(user) as client:
            layers = []
            for blob, media_type in ((config, HELM_CONFIG), (archive, HELM_CHART)):
                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                started = client.post(f"/v2/{repository}/blobs/uploads/", headers=headers)
                started.raise_for_status()
                location = started.headers["location"]
                joiner = "&" if "?" in location else "?"
                done = client.put(
                    f"{location}{joiner}digest={digest}",
                    content=blob,
                    headers={**headers, "Content-Type": "application/octet-stream"},
                )
                done.raise_for_status()
                layers.append({"mediaType": media_type, "digest": digest, "size": len(blob)})
            manifest = {
                "schemaVersion": 2,
                "config": layers[0],
                "layers": [layers[1]],
                "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
            }
            body = json.dumps(manifest).encode()
            put = client.put(
                f"/v2/{repository}/manifests/{version.replace('+', '_')}",
                content=body,
                headers={**headers, "Content-Type": OCI_MANIFEST},
            )
            put.raise_for_status()
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def delete_tag(self, repository: str, version: str, user: str | None = None) -> None:
        headers = self._authorization(repository, user)
        with self._client(user) as client:
            head = client.head(
                f"/v2/{repository}/manifests/{version.replace('+', '_')}", headers={**headers, "Accept": OCI_MANIFEST}
            )
            head.raise_for_status()
            client.delete(
                f"/v2/{repository}/manifests/{head.headers['docker-content-digest']}", headers=headers
            ).raise_for_status()


class RateLimitingProxy:
    """Forwards to `target`; answers 429 with Retry-After to the first `limit` requests whose path
    contains `path_part`."""

    def __init__(self, target: str, path_part: str, limit: int = 1, retry_after: str = "1") -> None:
        self.target = target.rstrip("/")
        self.path_part = path_part
        self.remaining = limit
        self.retry_after = retry_after
        self.limited_at: list[float] = []
        self.forwarded_at: list[float] = []
        self._httpd: QuietHTTPServer | None = None

    def start(self) -> str:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if proxy.path_part in self.path and proxy.remaining > 0:
                    proxy.remaining -= 1
                    proxy.limited_at.append(time.monotonic())
                    self.send_response(429)
                    self.send_header("Retry-After", proxy.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if proxy.path_part in self.path:
                    proxy.forwarded_at.append(time.monotonic())
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "accept")}
                answer = httpx.get(proxy.target + self.path, headers=headers, timeout=20)
                body = answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() in ("content-type", "www-authenticate", "link", "docker-content-digest"):
                        self.send_header(
                            key, value.replace(proxy.target, f"http://127.0.0.1:{self.server.server_address[1]}")
                        )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = serve_in_background(Handler)
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
