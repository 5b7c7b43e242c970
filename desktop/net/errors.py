"""Transport failures and HTTP statuses → one-line errors that say what happened and what to do."""

from __future__ import annotations

import socket
import ssl
from typing import TypeVar

import httpx

from desktop.errors import AuthError, NetworkError, NotFoundError, RegistryResponseError, TLSError, UserError
from desktop.net.urls import clipped, host_and_port, origin, redacted

_E = TypeVar("_E", bound=BaseException)

# OpenSSL verification codes (X509_V_ERR_*), grouped by what the user should do about them.
_UNKNOWN_AUTHORITY = {2, 18, 19, 20, 21, 27}
_EXPIRED = 10
_NOT_YET_VALID = 9
_NAME_MISMATCH = {62, 63, 64}  # host name, e-mail, IP address
_TRUST_ADVICE = "add the registry's CA certificate, or enable Insecure Skip TLS Verify"
SETTINGS_HINT = " in Tenant settings (or with `chartkeeper settings set`)"


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


_FILES = {"chart": "chart archive", "provenance": "provenance file", "icon": "icon"}


def transport_error(
    exc: Exception, url: str, timeout: float, *, oci: bool = False, endpoint: str | None = None, what: str = "index"
) -> UserError:
    """A user-facing error for a request that got no HTTP answer (`oci`: to an oci:// registry,
    whose way to plain HTTP is the Plain HTTP option rather than an http:// endpoint). With the
    registry's `endpoint`, a file the index places on another host (a chart archive on a CDN, say)
    is named as that host's, not as the endpoint's."""
    where = host_and_port(url)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return RegistryResponseError(f"{clipped(redacted(url))} is not an address that can be downloaded from.")
    host = origin(url)[1]
    if endpoint is not None and host and host != origin(endpoint)[1]:
        return _elsewhere_error(transport_error(exc, url, timeout, oci=oci), exc, host, where, endpoint, what)
    verification = _find(exc, ssl.SSLCertVerificationError)
    if verification is not None:
        return _certificate_error(verification, host)
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(
            f"Could not connect to {where} within {timeout:g} s: check the network, firewall or proxy settings,"
            f" or raise the request timeout{SETTINGS_HINT}."
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{where} stopped answering for {timeout:g} s: try again later,"
            f" or raise the request timeout{SETTINGS_HINT}."
        )
    tls = _find(exc, ssl.SSLError)
    if tls is not None:
        reason = getattr(tls, "reason", None) or str(tls)
        if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
            plain = "turn on Plain HTTP (like helm --plain-http)" if oci else "use an http:// endpoint"
            return TLSError(f"{where} does not speak HTTPS: {plain}, or the port where HTTPS is served.")
        return TLSError(f"The TLS handshake with {where} failed ({reason}): check the endpoint's port and scheme.")
    if _find(exc, socket.gaierror) is not None:
        return NetworkError(
            f"The host name '{host}' does not resolve: check the endpoint's spelling, and your DNS or proxy settings."
        )
    if _find(exc, ConnectionRefusedError) is not None:
        return NetworkError(f"Connection refused by {where}: is the registry running, and is the port right?")
    if isinstance(exc, httpx.RemoteProtocolError) or _find(exc, ConnectionResetError) is not None:
        return NetworkError(f"{where} closed the connection before the answer was complete: try again.")
    if isinstance(exc, httpx.ProxyError):
        return NetworkError(f"The proxy refused the connection to {where}: check the proxy settings.")
    os_error = _find(exc, OSError)
    detail = (os_error.strerror if os_error is not None and os_error.strerror else None) or type(exc).__name__
    return NetworkError(f"Could not reach {where} ({detail}): check the endpoint and the network.")


def _elsewhere_error(plain: UserError, exc: Exception, host: str, where: str, endpoint: str, what: str) -> UserError:
    """The error for a file on another host than the registry's endpoint, naming that host as the file's."""
    file = _FILES.get(what, "file")
    served = f"the index puts the {file} on {host}, not on the registry's host {origin(endpoint)[1]}"
    if _find(exc, socket.gaierror) is not None:
        return NetworkError(
            f"The host name '{host}' does not resolve ({served}): check your DNS or proxy settings, or ask the "
            "registry's administrator where its charts are served."
        )
    message = plain.message.replace(": check the endpoint and the network.", ": check the network and the proxy.")
    return type(plain)(f"{message.rstrip('.')} ({served}).")


class UntrustedCertificateError(TLSError):
    """The server's chain leads to no certificate this client trusts."""


def _certificate_error(error: ssl.SSLCertVerificationError, host: str) -> TLSError:
    code = error.verify_code
    if code == _EXPIRED:
        return TLSError(
            f"The certificate of {host} has expired: ask the registry's administrator to renew it, "
            "or enable Insecure Skip TLS Verify."
        )
    if code == _NOT_YET_VALID:
        return TLSError(
            f"The certificate of {host} is not valid yet: check this computer's clock and time zone, "
            "or enable Insecure Skip TLS Verify."
        )
    if code in _NAME_MISMATCH:
        return TLSError(
            f"The certificate of the server is not valid for the name '{host}': use the host name the "
            "certificate was issued for, or enable Insecure Skip TLS Verify."
        )
    if code in _UNKNOWN_AUTHORITY:
        return UntrustedCertificateError(
            f"The certificate of {host} is signed by an unknown authority: {_TRUST_ADVICE}."
        )
    message = error.verify_message or "verification failed"
    return TLSError(f"The certificate of {host} was rejected ({message}): {_TRUST_ADVICE}.")


def status_error(
    status: int, reason: str, url: str, *, sent_credentials: bool, what: str = "index", token: bool = False
) -> UserError:
    """A user-facing error for an HTTP answer that is not what was asked for (`token`: the login is a token)."""
    shown = clipped(redacted(url))
    reason = clipped(reason, 80)
    if status == 401:
        if sent_credentials and token:
            return AuthError("The registry refused the token (401 Unauthorized): check it, or give a new one.")
        if sent_credentials:
            return AuthError("The registry refused the username or password (401 Unauthorized): check them.")
        return AuthError(
            "The registry requires a login (401 Unauthorized): turn off No Authentication and give a "
            "username and password, or a token."
        )
    if status == 403:
        return AuthError(
            "Access denied (403 Forbidden): this account may not read the repository; check its permissions."
        )
    if status == 404 and what == "provenance":
        return NotFoundError(f"There is no provenance file at {shown} (404 Not Found).")
    if status == 404 and what == "chart":
        return RegistryResponseError(
            f"The chart archive is not at {shown} (404 Not Found): the index lists it, but the registry does not "
            "serve it; sync the registry, or ask its administrator."
        )
    if status == 404:
        return RegistryResponseError(
            f"Nothing at {shown} (404 Not Found): the endpoint must be the repository URL that serves index.yaml."
        )
    if status == 429 or status >= 500:
        return RegistryResponseError(f"The registry answered {status} {reason}: try again later.")
    return RegistryResponseError(f"The registry answered {status} {reason} for {shown}.")
