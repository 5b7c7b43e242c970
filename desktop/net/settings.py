"""Network rules for every request: the tenant's settings turned into timeouts, proxies, limits."""

from __future__ import annotations

import os
from dataclasses import dataclass

from desktop.net.urls import redacted_userinfo
from desktop.settings import TenantSettings

MB = 1024 * 1024


@dataclass(frozen=True)
class NetworkSettings:
    """Tenant-wide network rules; the defaults suit a workstation behind the environment's proxy."""

    timeout: float = 30.0
    proxy: str | None = None  # None: take HTTP(S)_PROXY / NO_PROXY from the environment
    no_proxy: tuple[str, ...] = ()
    credentials_to_other_hosts: bool = False
    max_index_bytes: int = 100 * MB
    oci_versions_per_chart: int = 50  # an OCI sync reads at most this many new versions of a chart
    # All the requests of one OCI sync: each listing is bounded (oci_answers.MAX_PAGES), but not how many
    # there are (a catalog of 99,999 repositories, each with 999 pages of tags).
    oci_requests_per_sync: int = 100_000
    min_rate: float = 1024.0  # bytes/s: a download slower than this over one timeout is abandoned


def network_settings(tenant: TenantSettings) -> NetworkSettings:
    """The network rules the tenant's settings ask for."""
    no_proxy = tuple(h.strip() for h in tenant.no_proxy.split(",") if h.strip())
    return NetworkSettings(
        timeout=tenant.request_timeout_seconds,
        proxy=tenant.proxy or None,
        no_proxy=no_proxy,
        credentials_to_other_hosts=tenant.credentials_to_other_hosts,
        max_index_bytes=int(tenant.max_index_mb * MB),
        oci_versions_per_chart=tenant.oci_versions_per_sync,
        oci_requests_per_sync=tenant.oci_requests_per_sync,
        min_rate=tenant.min_download_rate_kib * 1024,
    )


def environment_proxy() -> tuple[str, str]:
    """What the environment says, for showing as the default in Tenant settings: a password in
    the proxy URL is masked (`http://carol:***@proxy:3128`)."""
    return redacted_userinfo(_proxy_from_environment()), _no_proxy_from_environment()


def _proxy_from_environment() -> str:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        if os.environ.get(name):
            return os.environ[name]
    return ""


def _no_proxy_from_environment() -> str:
    return os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
