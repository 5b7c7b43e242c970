"""Add, edit and remove a registry: validate → check against the server → keep the password in the
keyring → write the catalog, in that order; a failure at any step leaves nothing behind."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace

from desktop.cancellation import CancelToken
from desktop.catalog.db import transaction
from desktop.catalog.registries import (
    delete_registry,
    ensure_name_free,
    get_registry_by_id,
    insert_registry,
    update_registry,
)
from desktop.catalog.sync_records import finish_run, insert_run
from desktop.errors import UserError, ValidationError
from desktop.net.settings import NetworkSettings
from desktop.operations.services import Services
from desktop.operations.sync_run import SyncResult, apply_fetched, result_of
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore, registry_password
from desktop.sync.fetch_index import FetchedIndex, ProgressCallback

log = logging.getLogger(__name__)


@dataclass
class PreparedRegistration:
    """A checked draft with its first index, its keyring entry already written."""

    draft: RegistryDraft
    uid: str
    fetched: FetchedIndex


# --- the operations --------------------------------------------------------------------------------


def register_registry(
    services: Services,
    draft: RegistryDraft,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> SyncResult:
    """Check the endpoint and credentials by taking the first snapshot; store nothing on failure."""
    draft = services.catalog(check_new_registry, draft)
    prepared = prepare_registration(draft, services.credentials, services.network, cancel, progress)
    try:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress("write", 0, None)
        return services.catalog(commit_registration, prepared, cancel, services.clock)
    except BaseException:
        discard_registration(prepared, services.credentials)
        raise


def edit_registry(
    services: Services, registry_id: int, draft: RegistryDraft, *, cancel: CancelToken | None = None
) -> Registry:
    """Save edited fields. A new endpoint, certificate or login is checked against the server
    first; the snapshot is kept either way."""
    registry, cleaned = services.catalog(check_edited_registry, registry_id, draft)
    check_edit(registry, cleaned, services.credentials, services.network, cancel)
    if cancel is not None:
        cancel.raise_if_cancelled()
    store_edited_password(registry, cleaned, services.credentials)
    return services.catalog(save_edited_registry, registry_id, cleaned)


def remove_registry(services: Services, registry_id: int) -> Registry:
    """Remove the registry with its snapshot and history, then its password."""
    registry = services.catalog(delete_registry_step, registry_id)
    if registry.is_private:
        try:
            services.credentials.delete_password(registry.uid)
        except UserError as exc:  # the registry is gone; a stale secret is not worth failing for
            log.warning("could not remove the password of %s from the keyring: %s", registry.name, exc)
    return registry


# --- network and keyring steps ---------------------------------------------------------------------


def prepare_registration(
    draft: RegistryDraft,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedRegistration:
    """Check the endpoint and credentials by fetching the first index; then keep the password."""
    from desktop.net.access import http_access, oci_access
    from desktop.sync.fetch_index import fetch_index

    if draft.is_private:
        credentials.check_available()
    if draft.kind == "oci":
        from desktop.sync.fetch_oci import fetch_oci

        fetched = fetch_oci(oci_access(draft, draft.password), settings, draft.chart_names, {}, cancel, progress)
    else:
        fetched = fetch_index(http_access(draft, draft.password), settings, None, cancel, progress)
    uid = os.urandom(16).hex()
    if draft.is_private and draft.password:
        credentials.set_password(uid, draft.password)
    return PreparedRegistration(draft, uid, fetched)


def discard_registration(prepared: PreparedRegistration, credentials: CredentialStore) -> None:
    """Undo `prepare_registration` when its commit failed or was cancelled."""
    if prepared.draft.is_private:
        try:
            credentials.delete_password(prepared.uid)
        except UserError as exc:
            log.warning("could not remove an unused password from the keyring: %s", exc)


def check_edit(
    registry: Registry,
    draft: RegistryDraft,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
) -> None:
    """When an edit changes how the registry is reached, fetch the index with the new settings (a
    kept password is read from the keyring for that)."""
    from desktop.net.access import http_access, oci_access
    from desktop.net.oci import OciClient
    from desktop.sync.fetch_index import fetch_index

    reaches_differently = (
        draft.endpoint != registry.endpoint
        or draft.username != registry.username
        or draft.token_auth != registry.token_auth
        or draft.ca_pem != registry.ca_pem
        or draft.insecure_skip_tls_verify != registry.insecure_skip_tls_verify
        or draft.plain_http != registry.plain_http
        or draft.password is not None
    )
    if not reaches_differently:
        return
    password = draft.password
    if draft.is_private and password is None and draft.keep_password:
        password = registry_password(credentials, registry, "if_stored")
    checked = replace(draft, password=password)
    if draft.kind == "oci":
        with OciClient(oci_access(checked, password), settings, cancel=cancel) as client:
            client.ping()
            for chart in () if draft.base_paths else draft.chart_names[:1]:
                client.tags(chart)
        return
    fetch_index(http_access(checked, password), settings, None, cancel)


def store_edited_password(registry: Registry, draft: RegistryDraft, credentials: CredentialStore) -> None:
    """After the check: keep a new password, or drop the old one when the login is gone."""
    if draft.is_private and draft.password:
        credentials.set_password(registry.uid, draft.password)
    elif registry.is_private and not draft.is_private:
        credentials.delete_password(registry.uid)


# --- catalog steps ---------------------------------------------------------------------------------


def check_new_registry(db: sqlite3.Connection, draft: RegistryDraft) -> RegistryDraft:
    """The draft cleaned, with a name no registry has yet."""
    draft = draft.cleaned()
    ensure_name_free(db, draft.name)
    return draft


def check_edited_registry(
    db: sqlite3.Connection, registry_id: int, draft: RegistryDraft
) -> tuple[Registry, RegistryDraft]:
    registry = get_registry_by_id(db, registry_id)
    cleaned = draft.cleaned()
    if cleaned.is_private and cleaned.password is None and cleaned.token_auth != registry.token_auth:
        # What the keyring keeps is the other kind of secret: a password is no token, nor the reverse.
        kind = "token" if cleaned.token_auth else "password"
        wanted = "token" if cleaned.token_auth else f"password for '{cleaned.username}'"
        raise ValidationError(f"Give the {wanted}: the keyring holds no {kind} for this registry yet.")
    ensure_name_free(db, cleaned.name, except_id=registry_id)
    return registry, cleaned


def commit_registration(
    db: sqlite3.Connection, prepared: PreparedRegistration, cancel: CancelToken | None, clock: Callable[[], float]
) -> SyncResult:
    """Store the registry with its first snapshot in one transaction."""
    now = clock()
    with transaction(db):
        registry_id = insert_registry(db, prepared.draft, prepared.uid, now)
        run_id = insert_run(db, registry_id, "register", now)
        outcome = apply_fetched(db, registry_id, prepared.fetched, cancel, clock())
        finish_run(db, run_id, outcome, clock(), list_changes=False)
    return result_of(get_registry_by_id(db, registry_id), run_id, outcome, prepared.fetched)


def save_edited_registry(db: sqlite3.Connection, registry_id: int, draft: RegistryDraft) -> Registry:
    with transaction(db):
        update_registry(db, registry_id, draft)
    return get_registry_by_id(db, registry_id)


def delete_registry_step(db: sqlite3.Connection, registry_id: int) -> Registry:
    registry = get_registry_by_id(db, registry_id)
    with transaction(db):
        delete_registry(db, registry.id)
    return registry
