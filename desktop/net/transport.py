"""httpx clients for one registry: its TLS settings, the tenant's proxy and no-proxy hosts (or the
environment's), and sockets an `Interrupter` can stop — the one way every request is built."""

from __future__ import annotations

import os
import ssl
from urllib.parse import urlsplit

import httpx

from desktop import __version__
from desktop.net.settings import NetworkSettings
from desktop.net.sockets import Interrupter, InterruptibleBackend

_INTERRUPTIBLE_PROXIES = ("http", "socks5", "socks5h")  # an https:// proxy needs TLS inside TLS


def http_client(
    verify: ssl.SSLContext | bool,
    settings: NetworkSettings,
    interrupter: Interrupter,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """A client whose connections go through `interrupter`, with proxies as the settings say."""

    def transport(proxy: str | None) -> httpx.HTTPTransport:
        made = httpx.HTTPTransport(verify=verify, proxy=proxy)
        if proxy is None or urlsplit(proxy).scheme in _INTERRUPTIBLE_PROXIES:
            # httpx has no public hook for httpcore's network backend; its pool keeps it here.
            made._pool._network_backend = InterruptibleBackend(interrupter)
        return made

    http_proxy, https_proxy, no_proxy = _proxies(settings)
    mounts: dict[str, httpx.BaseTransport | None] = {}
    if http_proxy or https_proxy:
        direct = transport(None)
        for host in no_proxy:
            mounts[_pattern(host)] = direct
        if http_proxy:
            mounts["http://"] = transport(http_proxy)
        if https_proxy:
            mounts["https://"] = transport(https_proxy)
    all_headers = {"User-Agent": f"chartkeeper/{__version__}", **(headers or {})}
    return httpx.Client(
        transport=transport(None),
        mounts=mounts,
        timeout=httpx.Timeout(settings.timeout),
        headers=all_headers,
        trust_env=False,
    )


def _proxies(settings: NetworkSettings) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(proxy for http, proxy for https, hosts reached directly): the tenant's, else the environment's."""
    if settings.proxy:
        return settings.proxy, settings.proxy, settings.no_proxy
    environment = {key.lower(): value for key, value in os.environ.items() if key.lower().endswith("_proxy")}
    every = environment.get("all_proxy") or None
    no_proxy = settings.no_proxy or tuple(
        host.strip() for host in environment.get("no_proxy", "").split(",") if host.strip()
    )
    if "*" in no_proxy:
        return None, None, ()
    return environment.get("http_proxy") or every, environment.get("https_proxy") or every, no_proxy


def _pattern(host: str) -> str:
    """A NO_PROXY entry as an httpx mount pattern (`.example.com` and `example.com` cover subdomains)."""
    host = host.strip()
    if "://" in host:
        return host
    if "*" in host:
        return f"all://{host}"
    if host.replace(".", "").isdigit() or ":" in host:  # an address: exactly that host
        return f"all://{host}"
    return f"all://*{host.lstrip('.')}"
