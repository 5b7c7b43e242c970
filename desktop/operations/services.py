"""What an operation is given: a way to run steps on the catalog's writer, the keyring, the tenant's
settings and the clock — so the same operation runs in the CLI (inline) and in the window (worker)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from desktop.settings import TenantSettings

if TYPE_CHECKING:
    from desktop.net.settings import NetworkSettings
    from desktop.secrets import CredentialStore

P = ParamSpec("P")
T = TypeVar("T")

CatalogStep = Callable[..., object]
CatalogRunner = Callable[..., object]


@dataclass(frozen=True)
class Services:
    """`catalog(step, *args)` runs `step(db, *args)` where the catalog's writer connection lives
    (inline in the CLI; on the writer thread in the window, the calling thread waiting for it)."""

    run_on_catalog: CatalogRunner
    credentials: CredentialStore
    settings: TenantSettings = field(default_factory=TenantSettings)
    clock: Callable[[], float] = time.time
    network_override: NetworkSettings | None = None  # the CLI's --max-index-size, say
    keys_folder: Path | None = None  # the site's trusted OpenPGP keys (None: none are trusted)
    image_hosts: Path | None = None  # the image registries' file (operations/image_hosts.py)

    def catalog(self, step: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return self.run_on_catalog(step, *args, **kwargs)  # type: ignore[return-value]

    @property
    def network(self) -> NetworkSettings:
        if self.network_override is not None:
            return self.network_override
        from desktop.net.settings import network_settings

        return network_settings(self.settings)


def inline_services(
    db: sqlite3.Connection,
    credentials: CredentialStore,
    settings: TenantSettings | None = None,
    clock: Callable[[], float] = time.time,
    network_override: NetworkSettings | None = None,
    keys_folder: Path | None = None,
    image_hosts: Path | None = None,
) -> Services:
    """Services whose catalog steps run at once on `db`, in the calling thread (the CLI, tests)."""

    def run(step: Callable[..., object], *args: object, **kwargs: object) -> object:
        return step(db, *args, **kwargs)

    return Services(run, credentials, settings or TenantSettings(), clock, network_override, keys_folder, image_hosts)
