"""How a registry's origin reads for people: "from bundle of 27 Nov 2026", "subscribed to oci://…"."""

from __future__ import annotations

import datetime as dt
import sqlite3

from desktop.catalog.origins import (
    BUNDLE,
    SUBSCRIBED,
    SUBSCRIPTION,
    RegistryOrigin,
    registry_origins,
    subscription_endpoints,
)


def bundle_day(timestamp: float) -> str:
    moment = dt.datetime.fromtimestamp(timestamp)
    return f"{moment.day} {moment:%b %Y}"


def origin_text(origin: RegistryOrigin | None, subscription_endpoint: str | None = None) -> str:
    """'' for a registry added here; else where its snapshot comes from, and whether it syncs itself."""
    if origin is None:
        return ""
    when = f" of {bundle_day(origin.at)}" if origin.at is not None else ""
    if origin.kind == BUNDLE:
        text = f"from bundle{when}"
    elif origin.kind == SUBSCRIBED:
        text = f"subscribed to {subscription_endpoint or 'a removed subscription'}"
        if origin.at is not None:
            text += f" (catalog{when})"
    elif origin.kind == SUBSCRIPTION:
        return f"subscription (catalog{when})" if when else "subscription"
    else:
        return ""
    return text + ("; syncs with its endpoint too" if origin.upstream_sync else "; not synced with its endpoint")


def origin_texts(db: sqlite3.Connection) -> dict[int, str]:
    """registry id → how its origin reads, for registries a bundle or a subscription brought."""
    endpoints = subscription_endpoints(db)
    return {
        registry_id: origin_text(origin, endpoints.get(origin.source))
        for registry_id, origin in registry_origins(db).items()
    }
