"""Prune a registry: delete for good the versions kept after they left its index."""

from __future__ import annotations

import sqlite3

from desktop.catalog.db import transaction
from desktop.catalog.registries import get_registry_by_id
from desktop.catalog.snapshots import prune_removed
from desktop.errors import ValidationError
from desktop.operations.services import Services

DAY = 24 * 60 * 60


def prune_registry(services: Services, registry_id: int, older_than_days: float | None = None) -> int:
    """Delete the versions marked removed upstream (only those removed more than `older_than_days`
    ago, when given); returns how many went."""
    if older_than_days is not None and not 0 <= older_than_days <= 100_000:
        raise ValidationError("--older-than takes a number of days from 0 to 100,000.")
    before = None if older_than_days is None else services.clock() - older_than_days * DAY
    return services.catalog(prune_step, registry_id, before)


def prune_step(db: sqlite3.Connection, registry_id: int, removed_before: float | None) -> int:
    registry = get_registry_by_id(db, registry_id)
    with transaction(db):
        return prune_removed(db, registry.id, removed_before)
