"""Subscribe a workstation to a site registry's published catalog (`registry add NAME oci://HOST/PATH
--bundle`): its sync reads the newest catalog artifact — no `_catalog` listing needed — and imports it,
so the registries it carries become searchable here, and the subscription itself lists the charts the
site's registry serves. Chart archives then come from the site's registry, on demand or when pinned.

The network step fetches only what this catalog cannot make itself (each chart's shard is compared by
digest with the one this catalog would write); the import then runs in one transaction, like a bundle's."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.bundle.bounded_json import load_json
from desktop.bundle.catalog_reader import MAX_CONFIG_BYTES, BundleCatalog, read_catalog
from desktop.bundle.descriptors import parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.media_types import CATALOG_ARTIFACT, CATALOG_REPOSITORY, OCI_MANIFEST
from desktop.bundle.snapshot_shards import MAX_SHARD_BYTES
from desktop.cancellation import CancelToken
from desktop.catalog.db import transaction
from desktop.catalog.origins import SUBSCRIBED, SUBSCRIPTION, set_registry_origin
from desktop.catalog.registries import get_registry_by_id, insert_registry
from desktop.catalog.sync_records import RunOutcome, finish_run, insert_run, record_held, run_status
from desktop.errors import NotFoundError, UserError, ValidationError
from desktop.helm.index import parse_entries
from desktop.net.client import Download
from desktop.net.oci import OciClient
from desktop.net.settings import NetworkSettings
from desktop.operations.bundle_import import (
    CarriedChart,
    CatalogImport,
    ImportOptions,
    ImportSummary,
    local_shard_digests,
)
from desktop.operations.registries import check_new_registry
from desktop.operations.services import Services
from desktop.operations.sync_run import (
    PendingSync,
    ShrinkRule,
    SyncResult,
    apply_fetched,
    hold_reason,
    recorded,
    recorded_sync,
    result_of,
)
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import registry_password
from desktop.sync.fetch_index import FetchedIndex, ProgressCallback

log = logging.getLogger(__name__)
TAG = "latest"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


@dataclass
class FetchedCatalog:
    """A published catalog, its needed layers spooled on disk; `catalog` is None when it is the one
    imported last time (nothing to do)."""

    digest: str
    catalog: BundleCatalog | None
    spool: Path | None
    wire_bytes: int = 0

    def discard(self) -> None:
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)
            self.spool = None


class SpooledLayers:
    """Layers fetched before the import's transaction; anything not fetched is made from this catalog."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool

    def read(self, digest: str, max_bytes: int) -> bytes | None:
        path = self.spool / digest.partition(":")[2]
        if not path.is_file():
            return None
        data = path.read_bytes()
        if len(data) > max_bytes or "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise BundleError(f"A fetched layer {digest[:19]}… changed on disk before it was imported: sync again.")
        return data


class _RegistryLayers:
    """The catalog's small layers, fetched (digest-checked) as `read_catalog` asks for them, and kept."""

    def __init__(self, client: OciClient, spool: Path, sizes: dict[str, int]) -> None:
        self.client = client
        self.spool = spool
        self.sizes = sizes

    def read(self, digest: str, max_bytes: int) -> bytes | None:
        size = self.sizes.get(digest)
        if size is None or size > max_bytes:
            raise BundleError(f"The published catalog's layer {digest[:19]}… is over its size limit: refused.")
        data = self.client.blob(CATALOG_REPOSITORY, digest, max_bytes=size)
        (self.spool / digest.partition(":")[2]).write_bytes(data)
        return data


# --- the operations --------------------------------------------------------------------------------


def subscribe(
    services: Services,
    draft: RegistryDraft,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[SyncResult, ImportSummary]:
    """Check the site registry and its catalog, keep the password, then add the subscription and
    import the catalog in one transaction; nothing is kept on failure."""
    if draft.kind != "oci":
        raise ValidationError("A subscription reads a catalog published to an OCI registry: give oci://HOST/PATH.")
    draft = services.catalog(check_new_registry, draft)
    from desktop.net.access import oci_access

    if draft.is_private:
        services.credentials.check_available()
    fetched = fetch_catalog(services, oci_access(draft, draft.password), None, cancel, progress)
    uid = os.urandom(16).hex()
    try:
        if draft.is_private and draft.password:
            services.credentials.set_password(uid, draft.password)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return services.catalog(commit_subscription, draft, uid, fetched, services.clock, cancel)
    except BaseException:
        if draft.is_private:
            try:
                services.credentials.delete_password(uid)
            except UserError as exc:
                log.warning("could not remove an unused password from the keyring: %s", exc)
        raise
    finally:
        fetched.discard()


def sync_subscription(
    services: Services,
    registry_id: int,
    trigger: str = "manual",
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    started: Callable[[PendingSync], None] | None = None,
    accept_removals: bool = False,
) -> SyncResult:
    """A subscription's sync: read the newest published catalog and import it. Failures are recorded
    and returned, like any sync's."""
    from desktop.net.access import oci_access

    rule = ShrinkRule(services.settings.shrink_threshold_percent, accept_removals)

    def fetch(pending: PendingSync) -> FetchedCatalog:
        registry = pending.registry
        password = registry_password(services.credentials, registry, "required")
        return fetch_catalog(services, oci_access(registry, password), pending.state.content_digest, cancel, progress)

    def apply(pending: PendingSync, fetched: FetchedCatalog) -> SyncResult:
        try:
            if progress is not None:
                progress("write", 0, None)
            return services.catalog(apply_subscription, pending, fetched, rule, cancel, services.clock)
        finally:
            fetched.discard()

    return recorded_sync(services, registry_id, trigger, started, fetch, apply)


# --- the network step ------------------------------------------------------------------------------------


def fetch_catalog(
    services: Services,
    access: Any,
    known_digest: str | None,
    cancel: CancelToken | None,
    progress: ProgressCallback | None,
) -> FetchedCatalog:
    """The newest catalog published at the registry, and every shard this catalog cannot make itself."""
    settings: NetworkSettings = services.network
    with OciClient(access, settings, cancel=cancel) as client:
        client.ping()
        try:
            data, _ = client.manifest_bytes(CATALOG_REPOSITORY, TAG, MAX_MANIFEST_BYTES)
        except NotFoundError:
            raise NotFoundError(
                f"{access.endpoint} holds no Chartkeeper catalog ({CATALOG_REPOSITORY}:{TAG}): publish one there with"
                f" `chartkeeper bundle push FILE {access.endpoint}`."
            ) from None
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        _check_published_signature(services, client, digest)
        if digest == known_digest:
            return FetchedCatalog(digest, None, None, client.wire_bytes)
        config, layers = _catalog_manifest(data)
        spool = Path(tempfile.mkdtemp(prefix="chartkeeper-subscription-"))
        fetched = FetchedCatalog(digest, None, spool)
        try:
            if config.size > MAX_CONFIG_BYTES:
                raise BundleError("The published catalog's config is over its size limit: refused.")
            config_bytes = client.blob(CATALOG_REPOSITORY, config.digest, max_bytes=config.size)
            sizes = {layer.digest: layer.size for layer in layers}
            catalog = read_catalog(config, config_bytes, layers, _RegistryLayers(client, spool, sizes))
            local = services.catalog(local_shard_digests, catalog.registries)
            needed = sorted(
                {digest for registry in catalog.registries for _, digest in registry.charts if digest not in local}
            )
            for done, shard in enumerate(needed):
                if progress is not None:
                    progress("download", done, len(needed))
                if sizes[shard] > MAX_SHARD_BYTES:
                    raise BundleError(f"The published catalog's shard {shard[:19]}… is over its size limit: refused.")
                data = client.blob(CATALOG_REPOSITORY, shard, max_bytes=sizes[shard])
                (spool / shard.partition(":")[2]).write_bytes(data)
            fetched.catalog = catalog
            fetched.wire_bytes = client.wire_bytes
        except BaseException:
            fetched.discard()
            raise
    return fetched


def _check_published_signature(services: Services, client: OciClient, catalog_digest: str) -> None:
    """Under bundle_signatures `require`, the catalog read must be one that a signature published
    beside it (`chartkeeper-catalog:latest.sig`) names in its index.json, signed by a trusted key."""
    rule = services.settings.bundle_signatures
    if rule == "off":
        return
    from desktop.bundle.registry_pull import published_signature
    from desktop.trust.keys import trusted_keys
    from desktop.trust.openpgp import BAD, UNSIGNED, Verdict, verify_detached

    try:
        published = published_signature(client, TAG)
    except UserError as exc:
        if rule == "require":
            raise
        log.info("the published catalog's signature could not be read: %s", exc)
        return
    if published is None:
        verdict = Verdict(UNSIGNED)
    else:
        index, signature = published
        if catalog_digest not in _index_digests(index):
            verdict = Verdict(BAD, detail="its index names another catalog")
        else:
            keys = trusted_keys(services.keys_folder) if services.keys_folder is not None else []
            verdict = verify_detached(index, signature, keys)
    if rule == "require" and not verdict.verified:
        raise BundleError(
            f"The published catalog is {verdict}, and this site accepts only bundles signed by a trusted key "
            "(bundle_signatures is require): nothing was imported."
        )
    log.info("the published catalog is %s", verdict)


def _index_digests(index: bytes) -> set[str]:
    """The manifest digests a layout's index.json lists."""
    from desktop.bundle.bounded_json import load_json

    document = load_json(index, "The published signature's index", 16 * 1024 * 1024)
    manifests = document.get("manifests") if isinstance(document, dict) else None
    return {str(entry.get("digest")) for entry in manifests or [] if isinstance(entry, dict)}


def _catalog_manifest(data: bytes) -> tuple[Any, list[Any]]:
    what = f"The published {CATALOG_REPOSITORY}:{TAG}"
    document = load_json(data, what, MAX_MANIFEST_BYTES)
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise BundleError(f"{what} is not an OCI image manifest: refused.")
    if document.get("mediaType", OCI_MANIFEST) != OCI_MANIFEST or document.get("artifactType") != CATALOG_ARTIFACT:
        raise BundleError(f"{what} is no Chartkeeper catalog: refused.")
    config = parse_descriptor(document.get("config"), f"{what}, config,", MAX_CONFIG_BYTES)
    raw = document.get("layers")
    if not isinstance(raw, list) or len(raw) > 200_000:
        raise BundleError(f"{what} has no valid list of layers: refused.")
    layers = [parse_descriptor(item, f"{what}, layer {n},", 4 * 1024**3) for n, item in enumerate(raw, 1)]
    return config, layers


# --- the catalog steps -------------------------------------------------------------------------------


def commit_subscription(
    db: sqlite3.Connection,
    draft: RegistryDraft,
    uid: str,
    fetched: FetchedCatalog,
    clock: Callable[[], float],
    cancel: CancelToken | None,
) -> tuple[SyncResult, ImportSummary]:
    now = clock()
    with transaction(db):
        registry_id = insert_registry(db, draft, uid, now)
        set_registry_origin(db, registry_id, SUBSCRIPTION, None, "", upstream_sync=True)
        run_id = insert_run(db, registry_id, "register", now)
        registry = get_registry_by_id(db, registry_id)
        summary, outcome, index = _import(db, registry, fetched, ShrinkRule(accept_removals=True), now, cancel)
        finish_run(db, run_id, outcome, clock(), list_changes=False)
    return result_of(get_registry_by_id(db, registry_id), run_id, outcome, index), summary


def apply_subscription(
    db: sqlite3.Connection,
    pending: PendingSync,
    fetched: FetchedCatalog,
    rule: ShrinkRule,
    cancel: CancelToken | None,
    clock: Callable[[], float],
) -> SyncResult:
    now = clock()
    with transaction(db):
        if run_status(db, pending.run_id) != "running":
            return recorded(db, pending)
        if fetched.catalog is None:  # the catalog imported last time
            outcome = apply_fetched(db, pending.registry.id, _index(pending.registry, fetched, None), cancel, now)
            finish_run(db, pending.run_id, outcome, clock())
            return result_of(pending.registry, pending.run_id, outcome, None)
        summary, outcome, index = _import(db, pending.registry, fetched, rule, now, cancel)
        finish_run(db, pending.run_id, outcome, clock())
    result = result_of(pending.registry, pending.run_id, outcome, index)
    result.warnings.extend(summary.conflicts)
    return result


def _import(
    db: sqlite3.Connection,
    registry: Registry,
    fetched: FetchedCatalog,
    rule: ShrinkRule,
    now: float,
    cancel: CancelToken | None,
) -> tuple[ImportSummary, RunOutcome, FetchedIndex]:
    """Inside the caller's transaction: the catalog's registries and profiles, then the subscription's
    own snapshot — the charts the site's registry serves — by the rules of any sync."""
    catalog = fetched.catalog
    assert catalog is not None and fetched.spool is not None
    options = ImportOptions(
        accept_removals=rule.accept_removals,
        shrink_threshold_percent=rule.threshold_percent,
        origin_kind=SUBSCRIBED,
        origin_source=registry.uid,
        trigger="subscription",
        mirror=registry.endpoint,
    )
    carried = tuple(CarriedChart(record, False) for record in catalog.archives)
    summary = CatalogImport(db, catalog, SpooledLayers(fetched.spool), options, now, cancel, None).run(None, carried)
    set_registry_origin(db, registry.id, SUBSCRIPTION, float(catalog.mtime), "", upstream_sync=True)
    index = _index(registry, fetched, summary)
    reason = None if rule.accept_removals else hold_reason(db, registry.id, index, rule)
    if reason is not None:
        record_held(db, registry.id, reason)
        return summary, RunOutcome("held", error=reason), index
    return summary, apply_fetched(db, registry.id, index, cancel, now), index


def _index(registry: Registry, fetched: FetchedCatalog, summary: ImportSummary | None) -> FetchedIndex:
    """The subscription's own snapshot: each chart version the published bundle put in the site's registry."""
    parsed = parse_entries(summary.mirror_items) if summary is not None else None
    download = Download(200, registry.endpoint, b"", wire_bytes=fetched.wire_bytes)
    return FetchedIndex(download, fetched.digest, parsed, None)
