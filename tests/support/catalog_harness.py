"""Operations run the CLI's way (inline, on one connection), with the shorthands tests use."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.cancellation import CancelToken
from desktop.net.settings import NetworkSettings
from desktop.operations.registries import edit_registry, register_registry, remove_registry
from desktop.operations.services import Services, inline_services
from desktop.operations.sync import sync_registry
from desktop.operations.sync_run import SyncResult
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from desktop.sync.fetch_index import ProgressCallback


@dataclass
class CatalogHarness:
    db: sqlite3.Connection
    credentials: CredentialStore
    settings: NetworkSettings = field(default_factory=NetworkSettings)
    clock: Callable[[], float] = time.time
    tenant: TenantSettings = field(default_factory=TenantSettings)

    @property
    def services(self) -> Services:
        return inline_services(self.db, self.credentials, self.tenant, self.clock, self.settings)

    def register(
        self, draft: RegistryDraft, cancel: CancelToken | None = None, progress: ProgressCallback | None = None
    ) -> SyncResult:
        return register_registry(self.services, draft, cancel=cancel, progress=progress)

    def sync(
        self,
        registry: Registry,
        trigger: str = "manual",
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncResult:
        return sync_registry(self.services, registry.id, trigger, cancel=cancel, progress=progress)

    def update(self, registry: Registry, draft: RegistryDraft, cancel: CancelToken | None = None) -> Registry:
        return edit_registry(self.services, registry.id, draft, cancel=cancel)

    def remove(self, registry: Registry) -> Registry:
        return remove_registry(self.services, registry.id)
