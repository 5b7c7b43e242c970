"""Keeping chart icons offline: after a sync, fetch the icon each new or changed chart names, once,
small and checked to be an image, with the registry's credentials only on the registry's own origin."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desktop.cancellation import CancelToken
from desktop.catalog.icons import StoredIcon, WantedIcon, keep_icon_checked, store_icon, wanted_icons
from desktop.catalog.registries import get_registry_by_id
from desktop.errors import NetworkError, OperationCancelled, TLSError, UserError
from desktop.helm.urls import resolve_chart_url
from desktop.images import ICON_LIMIT, IconRefused, decode_data_uri, image_type
from desktop.net.urls import origin
from desktop.operations.services import Services
from desktop.registry import Registry
from desktop.secrets import registry_password

if TYPE_CHECKING:
    from desktop.net.client import RegistryHttp

log = logging.getLogger(__name__)
ICON_TIMEOUT = 10.0  # seconds: an icon is never worth a long wait
RUN_BUDGET = 60.0  # seconds for one registry's icons; the rest are tried at the next sync


@dataclass
class IconReport:
    fetched: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # not an image, too large, unsafe
    failed: list[tuple[str, str]] = field(default_factory=list)  # unreachable now: tried at the next sync
    unchanged: int = 0


@dataclass(frozen=True)
class _Plan:
    registry: Registry
    wanted: list[WantedIcon]


def fetch_icons(
    services: Services, registry_id: int, cancel: CancelToken | None = None, *, pace: float = 0.0
) -> IconReport:
    """Fetch the icons a registry's changed charts name. One address is fetched once per run; a host
    that cannot be reached is not asked again in the same run. `pace`: seconds to rest between
    charts, so a background run of thousands leaves the window its share of the interpreter."""
    plan = services.catalog(_plan_step, registry_id)
    report = IconReport()
    fetched: dict[str, StoredIcon | UserError] = {}
    unreachable: dict[tuple[str, str, int], str] = {}
    password: str | None = None
    started = time.monotonic()
    with _IconClients(services, plan.registry) as clients:
        for wanted in plan.wanted:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if time.monotonic() - started > RUN_BUDGET:
                report.failed.append((wanted.chart, "not fetched in this run: too many slow icon hosts"))
                continue
            password = _one_icon(services, plan, wanted, clients, fetched, unreachable, password, report, cancel)
            if pace:
                time.sleep(pace)
    return report


def _one_icon(
    services: Services,
    plan: _Plan,
    wanted: WantedIcon,
    clients: _IconClients,
    fetched: dict[str, StoredIcon | UserError],
    unreachable: dict[tuple[str, str, int], str],
    password: str | None,
    report: IconReport,
    cancel: CancelToken | None,
) -> str | None:
    """Fetch (or reuse) one chart's icon and record it; returns the registry's password once read."""
    registry_id = plan.registry.id
    if wanted.url == wanted.previous_url and not wanted.retry:
        services.catalog(keep_icon_checked, registry_id, wanted.chart, wanted.document_hash)
        report.unchanged += 1
        return password
    url = _absolute(plan.registry, wanted.url)
    outcome: StoredIcon | UserError
    if not url:
        outcome = IconRefused("the chart names no icon")
    elif url in fetched:
        outcome = fetched[url]
    elif url.startswith("http") and origin(url) in unreachable:
        outcome = NetworkError(unreachable[origin(url)])
    else:
        if password is None and _same_origin(plan.registry, url) and plan.registry.is_private:
            password = _password(services, plan.registry)
        outcome = _fetch(clients, plan.registry, url, password, cancel)
        fetched[url] = outcome
        if isinstance(outcome, NetworkError) and not isinstance(outcome, TLSError):
            unreachable[origin(url)] = outcome.message
    _record(services, plan.registry, wanted, url, outcome, report)
    return password


def _record(
    services: Services,
    registry: Registry,
    wanted: WantedIcon,
    url: str,
    outcome: StoredIcon | UserError,
    report: IconReport,
) -> None:
    now = services.clock()
    if isinstance(outcome, StoredIcon):
        services.catalog(store_icon, registry.id, wanted.chart, wanted.url, wanted.document_hash, now, image=outcome)
        report.fetched.append(wanted.chart)
        return
    retry = isinstance(outcome, NetworkError) and not isinstance(outcome, TLSError)
    services.catalog(
        store_icon,
        registry.id,
        wanted.chart,
        wanted.url,
        wanted.document_hash,
        now,
        problem=outcome.message,
        retry=retry,
    )
    if url:
        log.info("no icon for %s/%s: %s", registry.name, wanted.chart, outcome.message)
        (report.failed if retry else report.refused).append((wanted.chart, outcome.message))


def _password(services: Services, registry: Registry) -> str:
    return registry_password(services.credentials, registry, "best_effort") or ""  # "": read, none


def _absolute(registry: Registry, url: str) -> str:
    if not url or url.lower().startswith("data:"):
        return url
    if registry.is_oci:
        return url  # an OCI registry serves no files: only absolute addresses mean anything
    return resolve_chart_url(registry.endpoint, url)


def _same_origin(registry: Registry, url: str) -> bool:
    return not registry.is_oci and origin(url) == origin(registry.endpoint)


class _IconClients:
    """Two HTTP clients for one run, built once (a TLS context costs tens of milliseconds): one for
    the registry's own origin, with its login, and one for every other host, with none."""

    def __init__(self, services: Services, registry: Registry) -> None:
        self._services = services
        self._registry = registry
        self._own: RegistryHttp | None = None
        self._other: RegistryHttp | None = None
        self._settings = dataclasses.replace(
            services.network,
            timeout=min(services.network.timeout, ICON_TIMEOUT),
            credentials_to_other_hosts=False,  # never for icons, whatever the tenant allows for charts
        )

    def __enter__(self) -> _IconClients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for client in (self._own, self._other):
            if client is not None:
                client.close()

    def for_url(self, url: str, password: str | None) -> RegistryHttp:
        from desktop.net.client import RegistryAccess, RegistryHttp

        registry = self._registry
        if _same_origin(registry, url):
            if self._own is None:
                from desktop.net.access import http_access

                access = http_access(registry, password or None)
                self._own = RegistryHttp(access, self._settings)
            return self._own
        if self._other is None:  # another host: no login, its certificate checked as any other site's
            self._other = RegistryHttp(RegistryAccess(url, None, None, registry.ca_pem, False), self._settings)
        return self._other


def _fetch(
    clients: _IconClients, registry: Registry, url: str, password: str | None, cancel: CancelToken | None
) -> StoredIcon | UserError:
    """The icon's bytes, checked; a UserError saying why not (a cancel is raised)."""
    try:
        if url.lower().startswith("data:"):
            data = decode_data_uri(url)
        else:
            if not url.lower().startswith(("http://", "https://")):
                raise IconRefused("the icon's address is not an http(s) URL")
            http = clients.for_url(url, password)
            data = http.get(url, max_bytes=ICON_LIMIT, cancel=cancel, what="icon").body
        return StoredIcon(image_type(data), data)
    except OperationCancelled:
        raise
    except UserError as exc:
        return exc


def _plan_step(db: sqlite3.Connection, registry_id: int) -> _Plan:
    return _Plan(get_registry_by_id(db, registry_id), wanted_icons(db, registry_id))
