"""Tenant settings: the tenant's name, sync interval, network rules and limits, with their defaults."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any


def _proxy_from_environment() -> str:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        if os.environ.get(name):
            return os.environ[name]
    return ""


def _no_proxy_from_environment() -> str:
    return os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""


@dataclass(frozen=True)
class TenantSettings:
    tenant_name: str = ""
    sync_interval_hours: float = 24.0
    proxy: str = ""  # empty: whatever HTTP(S)_PROXY says, read when a request is made
    no_proxy: str = ""
    request_timeout_seconds: float = 30.0
    credentials_to_other_hosts: bool = False
    max_index_mb: float = 100.0
    oci_versions_per_sync: int = 50

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TenantSettings:
        known = {f.name: f.type for f in fields(cls)}
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                continue
            default = getattr(defaults, name)
            try:
                kwargs[name] = type(default)(value)
            except (TypeError, ValueError):
                continue  # a hand-edited or damaged value falls back to the default
        return cls(**kwargs)

    def as_mapping(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sync_interval_seconds(self) -> float:
        return self.sync_interval_hours * 3600

    @staticmethod
    def environment_proxy() -> tuple[str, str]:
        """What the environment says, for showing as the default in Tenant settings."""
        return _proxy_from_environment(), _no_proxy_from_environment()
