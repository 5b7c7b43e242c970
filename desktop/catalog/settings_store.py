"""Tenant settings rows: one JSON value per key, read whole and written whole."""

from __future__ import annotations

import json
import sqlite3

from desktop.catalog.db import transaction
from desktop.settings import TenantSettings


def load_settings(db: sqlite3.Connection) -> TenantSettings:
    values = {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM settings")}
    return TenantSettings.from_mapping(values)


def save_settings(db: sqlite3.Connection, settings: TenantSettings) -> None:
    with transaction(db):
        db.executemany(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value)) for key, value in settings.as_mapping().items()],
        )
