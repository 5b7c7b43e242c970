"""Publish into the site's registry: push a bundle (charts to `PATH/<chart>:<version>`, the catalog to
`PATH/chartkeeper-catalog` tagged with its date and `latest`), pull one back byte for byte, and mirror
single charts or a profile's. Logins, TLS and plain HTTP as for OCI chart registries; a password comes
from standard input, or from the keyring of a registry registered here on the same host."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from desktop.bundle.catalog_records import date_tag
from desktop.bundle.errors import BundleError
from desktop.bundle.helm_artifact import build_chart_artifact, oci_tag
from desktop.bundle.image_pull import ImagePuller, parse_platforms
from desktop.bundle.layout_reader import open_layout
from desktop.bundle.layout_writer import WrittenLayout
from desktop.bundle.registry_names import check_tag
from desktop.bundle.registry_pull import published_signature, pull_layout
from desktop.bundle.registry_push import PushSummary, artifact_item, pulled_image_items, push_items, push_layout
from desktop.cancellation import CancelToken
from desktop.catalog import bundle_rows
from desktop.catalog.db import transaction
from desktop.catalog.image_records import image_blob_homes, remember_image_blobs
from desktop.catalog.profiles import get_profile
from desktop.catalog.registries import find_registry_by_uid, get_registry_by_id, list_registries
from desktop.catalog.sync_records import sync_state
from desktop.errors import NotFoundError, ValidationError
from desktop.helm.image_refs import ImageRef, parse_image
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from desktop.operations.bundle_catalog import chart_created
from desktop.operations.bundle_signing import add_signature
from desktop.operations.chart_files import chart_archive
from desktop.operations.image_hosts import image_clients
from desktop.operations.services import Services
from desktop.profiles.model import Profile
from desktop.registry import Registry, validate_oci_endpoint
from desktop.secrets import registry_password

PushProgress = Callable[[int, int, str], None]  # (artifacts done, artifacts in all, the one now)
LATEST = "latest"


@dataclass(frozen=True)
class OciTarget:
    """Where to publish: `oci://HOST[:PORT]/PATH`, and how to reach it (as `registry add` takes it)."""

    endpoint: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    plain_http: bool = False


def split_reference(text: str) -> tuple[str, str | None]:
    """`oci://HOST[:PORT]/PATH[:TAG]` → (the endpoint, the tag or None)."""
    scheme, separator, rest = text.strip().partition("://")
    host, slash, path = rest.partition("/")
    tag = None
    if slash and ":" in path:
        path, _, tag = path.rpartition(":")
        check_tag(tag)
    endpoint = f"{scheme}{separator}{host}{slash}{path}"
    if not path.strip("/"):
        raise ValidationError(f"'{text}' names no repository path: write it as oci://HOST[:PORT]/PATH.")
    return validate_oci_endpoint(endpoint), tag


def resolve_access(services: Services, target: OciTarget) -> OciAccess:
    """The target's access; without a username given, the login and TLS settings of a registry
    registered here on the same host (its password read from the keyring)."""
    endpoint = validate_oci_endpoint(target.endpoint)
    if target.username is not None:
        return OciAccess(
            endpoint,
            target.username,
            target.password,
            target.ca_pem,
            target.insecure_skip_tls_verify,
            target.plain_http,
        )
    known = _registered(services.catalog(list_registries), endpoint)
    if known is None:
        return OciAccess(endpoint, None, None, target.ca_pem, target.insecure_skip_tls_verify, target.plain_http)
    password = registry_password(services.credentials, known, "if_stored")
    return OciAccess(
        endpoint,
        None if known.token_auth else known.username,
        None if known.token_auth else password,
        target.ca_pem or known.ca_pem,
        target.insecure_skip_tls_verify or known.insecure_skip_tls_verify,
        target.plain_http or known.plain_http,
        token=password if known.token_auth else None,
    )


def _registered(registries: list[Registry], endpoint: str) -> Registry | None:
    host = urlsplit(endpoint).netloc.lower()
    same_host = [r for r in registries if r.is_oci and urlsplit(r.endpoint).netloc.lower() == host]
    exact = [r for r in same_host if r.endpoint.rstrip("/") == endpoint.rstrip("/")]
    return (exact or same_host)[0] if same_host else None


def push_bundle(
    services: Services,
    path: Path,
    target: OciTarget,
    *,
    cancel: CancelToken | None = None,
    progress: PushProgress | None = None,
    verified: Callable[[int, int], None] | None = None,
) -> PushSummary:
    """Verify the bundle, then push it; blobs the registry holds already are not sent again."""
    layout = open_layout(path, cancel=cancel, progress=verified)
    access = resolve_access(services, target)
    homes = services.catalog(image_blob_homes) if layout.images else {}
    with OciClient(access, services.network, cancel=cancel) as client:
        summary = push_layout(
            layout, client, catalog_tags=[date_tag(layout.mtime), LATEST], progress=progress, homes=homes
        )
    if layout.images:  # the site registry holds them now: `bundle have` lists them, a delta mounts them
        digests = {blob.digest for image in layout.images for blob in image.blobs}
        services.catalog(_remember_pushed, digests, summary.homes, float(layout.mtime))
    return summary


def _remember_pushed(db: sqlite3.Connection, digests: set[str], homes: dict[str, str], at: float) -> None:
    with transaction(db):
        for digest in sorted(digests):
            remember_image_blobs(db, [digest], at, homes.get(digest, ""))


def pull_bundle(
    services: Services,
    target: OciTarget,
    tag: str | None,
    path: Path,
    *,
    split_size: int | None = None,
    cancel: CancelToken | None = None,
    progress: PushProgress | None = None,
) -> WrittenLayout:
    """Rebuild at `path` the bundle published with `tag` (default: latest), byte for byte, its
    signature put back when one was published with it (for its very index.json)."""
    access = resolve_access(services, target)
    with OciClient(access, services.network, cancel=cancel) as client:
        written = pull_layout(client, tag or LATEST, path, split_size=split_size, cancel=cancel, progress=progress)
        published = published_signature(client, tag or LATEST)
    if published is not None and len(written.parts) == 1:
        index, signature = published
        layout = open_layout(written.parts[0], cancel=cancel)
        if layout.index == index and layout.signature is None:
            add_signature(written.parts[0], signature, layout.mtime)
    return written


def mirror_charts(
    services: Services,
    charts: list[tuple[int, str, str]],
    target: OciTarget,
    *,
    images: Sequence[ImageRef] = (),
    cancel: CancelToken | None = None,
    progress: PushProgress | None = None,
) -> PushSummary:
    """Push chart versions (registry id, chart, version) to `PATH/<chart>:<version>` as `helm push` would,
    and `images` (pulled from their registries first) to `PATH/<source host>/<repository>`."""
    items = []
    for registry_id, chart, version in charts:
        archive = chart_archive(services, registry_id, chart, version, cancel=cancel)
        created = services.catalog(_created, registry_id, chart, version)
        prov = _mirrored_provenance(services, registry_id, chart, version, archive, cancel)
        artifact = build_chart_artifact(archive, prov, created)
        items.append(artifact_item(artifact.artifact, chart, [oci_tag(version)]))
    access = resolve_access(services, target)
    if not images:
        with OciClient(access, services.network, cancel=cancel) as client:
            return push_items(client, items, progress=progress)
    folder = Path(tempfile.mkdtemp(prefix="chartkeeper-mirror-"))
    try:
        platforms = parse_platforms(services.settings.image_platforms)
        puller = ImagePuller(image_clients(services, cancel), folder, platforms, cancel)
        try:
            for ref in images:
                image = puller.pull(ref)
                items.extend(pulled_image_items(image.reference, image.entry, image.blobs))
        finally:
            puller.close()
        with OciClient(access, services.network, cancel=cancel) as client:
            summary = push_items(client, items, progress=progress)
        summary.image_hosts = sorted({ref.registry for ref in images})
        return summary
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def profile_images(services: Services, name: str, cancel: CancelToken | None = None) -> list[ImageRef]:
    """The images the profile's layers need, each rendered with its own values."""
    from desktop.operations.chart_render import profile_images as images_of
    from desktop.operations.chart_render import render_profile

    profile = services.catalog(get_profile, name)
    layers = render_profile(services, profile, cancel=cancel)
    for layer in layers:
        if layer.error is not None:
            raise BundleError(
                f"The images of profile {profile.name} are not known: its layer {layer.label} does not render"
                f" ({layer.error}); nothing was pushed."
            )
    return [ref for ref in (parse_image(found.image) for found in images_of(layers)) if ref is not None]


def _mirrored_provenance(
    services: Services, registry_id: int, chart: str, version: str, archive: bytes, cancel: CancelToken | None
) -> bytes | None:
    """The .prov pushed as Helm's provenance layer; under chart_provenance require, a chart no trusted
    key signed is not mirrored (one line says why)."""
    from desktop.errors import UserError
    from desktop.operations.provenance import OFF, REQUIRE, provenance_of, require_verified

    rule = services.settings.chart_provenance
    if rule == OFF:
        return None
    try:
        verdict, prov = provenance_of(services, registry_id, chart, version, archive, cancel=cancel)
    except UserError:
        if rule == REQUIRE:
            raise
        return None
    from desktop.catalog.registries import get_registry_by_id

    name = services.catalog(get_registry_by_id, registry_id).name
    require_verified(services, f"{name}/{chart} {version}", verdict, "mirroring it")
    return prov


def profile_charts(services: Services, name: str) -> list[tuple[int, str, str]]:
    """(registry id, chart, version) of every layer of the profile."""
    return services.catalog(_profile_charts, name)


def _profile_charts(db: sqlite3.Connection, name: str) -> list[tuple[int, str, str]]:
    profile = get_profile(db, name)
    charts = []
    for layer in profile.layers:
        registry = find_registry_by_uid(db, layer.registry_uid)
        if registry is None:
            raise NotFoundError(
                f"Layer {layer.chart} {layer.version} of '{profile.name}' comes from registry '{layer.registry_name}',"
                " which was removed: it cannot be mirrored."
            )
        charts.append((registry.id, layer.chart, layer.version))
    if not charts:
        raise BundleError(f"Profile '{profile.name}' has no layers to mirror.")
    return charts


def _created(db: sqlite3.Connection, registry_id: int, chart: str, version: str) -> str:
    registry = get_registry_by_id(db, registry_id)
    item = bundle_rows.version_items(db, registry.id, chart).get(version, {})
    return chart_created(item.get("created"), sync_state(db, registry.id).snapshot_at or 0.0)


def mirror_registries(profile: Profile, registries: list[Registry], mirror: str) -> dict[str, Registry]:
    """Every layer's registry seen as the mirror `oci://HOST/PATH` — as registered here when it is (a
    subscription, say: its name, login and certificate), else an OCI registry named `mirror`."""
    endpoint = validate_oci_endpoint(mirror)
    known = next((r for r in registries if r.is_oci and r.endpoint.rstrip("/") == endpoint), None)
    site = known or Registry(
        id=0, uid="mirror", name="mirror", endpoint=endpoint, sync_enabled=True, username=None, kind="oci"
    )
    site = replace(site, uid="mirror")  # one repository for every layer
    return {layer.registry_uid: site for layer in profile.layers}
