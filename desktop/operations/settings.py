"""Change the tenant settings: the whole set (the window) or one key (the CLI), checked by one set of rules."""

from __future__ import annotations

from typing import Any

from desktop.catalog.settings_store import load_settings, save_settings
from desktop.operations.services import Services
from desktop.settings import TenantSettings


def save_tenant_settings(services: Services, settings: TenantSettings) -> TenantSettings:
    services.catalog(save_settings, settings)
    return settings


def set_tenant_setting(services: Services, key: str, value: Any) -> TenantSettings:
    """One setting changed, the value checked as the window checks it."""
    updated = services.catalog(load_settings).with_value(key, value)
    services.catalog(save_settings, updated)
    return updated
