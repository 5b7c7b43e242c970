"""Where a registry or profile came from when a bundle brought it: the origin rows, and the rules built on them
(a registry from a bundle is not synced with its own endpoint until the user syncs it by hand)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.registry import Registry

BUNDLE, SUBSCRIBED, SUBSCRIPTION = "bundle", "subscribed", "subscription"


@dataclass(frozen=True)
class RegistryOrigin:
    kind: str  # bundle | subscribed (its snapshot comes through a subscription) | subscription (the site registry)
    at: float | None  # the date of the bundle or catalog that last brought its snapshot
    source: str  # bundle: the file's name; subscribed: the subscription's registry uid
    upstream_sync: bool  # synced with its own endpoint again (the user turned it on)

    @property
    def paused(self) -> bool:
        """Kept out of synchronization with its own endpoint until the user syncs it by hand."""
        return self.kind in (BUNDLE, SUBSCRIBED) and not self.upstream_sync


def registry_origins(db: sqlite3.Connection) -> dict[int, RegistryOrigin]:
    rows = db.execute("SELECT registry_id, kind, at, source, upstream_sync FROM registry_origins")
    return {row[0]: RegistryOrigin(row[1], row[2], row[3], bool(row[4])) for row in rows}


def registry_origin(db: sqlite3.Connection, registry_id: int) -> RegistryOrigin | None:
    row = db.execute(
        "SELECT kind, at, source, upstream_sync FROM registry_origins WHERE registry_id = ?", (registry_id,)
    ).fetchone()
    return None if row is None else RegistryOrigin(row[0], row[1], row[2], bool(row[3]))


def paused_registry_ids(db: sqlite3.Connection) -> set[int]:
    """Registries a schedule or a sync-all leaves alone: their snapshot comes from bundles."""
    return {registry_id for registry_id, origin in registry_origins(db).items() if origin.paused}


def synchronized_registries(db: sqlite3.Connection) -> list[Registry]:
    """The registries the schedule and a sync of all take: synchronization on, and not paused
    (from a bundle, they sync with their own endpoint only when the user names them)."""
    from desktop.catalog.registries import list_registries

    paused = paused_registry_ids(db)
    return [registry for registry in list_registries(db) if registry.sync_enabled and registry.id not in paused]


def set_registry_origin(
    db: sqlite3.Connection, registry_id: int, kind: str, at: float | None, source: str, *, upstream_sync: bool = False
) -> None:
    """Inside the caller's transaction."""
    db.execute(
        "INSERT INTO registry_origins (registry_id, kind, at, source, upstream_sync) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (registry_id) DO UPDATE SET kind = excluded.kind, at = excluded.at, source = excluded.source",
        (registry_id, kind, at, source, int(upstream_sync)),
    )


def mark_login_needed(db: sqlite3.Connection, registry_id: int, needed: bool = True) -> None:
    """Inside the caller's transaction: the registry needs a login its catalog here has no username for."""
    db.execute("UPDATE registry_origins SET login_needed = ? WHERE registry_id = ?", (int(needed), registry_id))


def login_needed_uids(db: sqlite3.Connection) -> set[str]:
    """The uids of registries a bundle said need a login, whose credentials were not entered here since."""
    rows = db.execute(
        "SELECT r.uid FROM registry_origins o JOIN registries r ON r.id = o.registry_id WHERE o.login_needed = 1"
    )
    return {row[0] for row in rows}


def resume_upstream_sync(db: sqlite3.Connection, registry_id: int) -> None:
    """The user synced a registry from a bundle with its own endpoint: the schedule takes it again."""
    from desktop.catalog.db import transaction

    origin = registry_origin(db, registry_id)
    if origin is None or not origin.paused:
        return
    with transaction(db):
        db.execute("UPDATE registry_origins SET upstream_sync = 1 WHERE registry_id = ?", (registry_id,))


def subscription_of(db: sqlite3.Connection, registry_id: int) -> int | None:
    """The id of the subscription whose catalog brings this registry's snapshot (while it is not synced
    with its own endpoint), when there is one."""
    row = db.execute(
        "SELECT r.id FROM registry_origins o JOIN registries r ON r.uid = o.source"
        " JOIN registry_origins s ON s.registry_id = r.id AND s.kind = ?"
        " WHERE o.registry_id = ? AND o.kind = ? AND o.upstream_sync = 0",
        (SUBSCRIPTION, registry_id, SUBSCRIBED),
    ).fetchone()
    return None if row is None else int(row[0])


def is_subscription(db: sqlite3.Connection, registry_id: int) -> bool:
    origin = registry_origin(db, registry_id)
    return origin is not None and origin.kind == SUBSCRIPTION


# --- profiles -------------------------------------------------------------------------------------


def profile_fingerprints(db: sqlite3.Connection) -> dict[int, str]:
    """profile id → fingerprint of what a bundle last brought, for profiles a bundle brought."""
    return dict(db.execute("SELECT profile_id, fingerprint FROM profile_origins"))


def set_profile_origin(db: sqlite3.Connection, profile_id: int, fingerprint: str, at: float) -> None:
    db.execute(
        "INSERT INTO profile_origins (profile_id, fingerprint, at) VALUES (?, ?, ?) ON CONFLICT (profile_id)"
        " DO UPDATE SET fingerprint = excluded.fingerprint, at = excluded.at",
        (profile_id, fingerprint, at),
    )


# --- layers a bundle brought ------------------------------------------------------------------------


def remember_layers(db: sqlite3.Connection, registry_id: int, digests: list[str]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO bundle_layers (registry_id, digest) VALUES (?, ?)",
        [(registry_id, digest) for digest in digests],
    )


def remembered_layers(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT DISTINCT digest FROM bundle_layers")}


def subscription_endpoints(db: sqlite3.Connection) -> dict[str, str]:
    """uid → endpoint of every subscription (what a subscribed registry's origin names)."""
    rows = db.execute(
        "SELECT r.uid, r.endpoint FROM registries r JOIN registry_origins o ON o.registry_id = r.id WHERE o.kind = ?",
        (SUBSCRIPTION,),
    )
    return dict(rows.fetchall())
