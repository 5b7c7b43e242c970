"""Import from Helm: read `repositories.yaml`, register each repository like a new registry, and report
every repository's outcome (added, skipped, failed and why) — one bad entry never stops the rest."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from desktop.cancellation import CancelToken
from desktop.catalog.registries import list_registries
from desktop.certificates import read_certificate_file
from desktop.errors import UserError, ValidationError
from desktop.helm.repositories_file import HelmRepository, read_repositories_file
from desktop.net.urls import redacted_userinfo
from desktop.operations.registries import register_registry
from desktop.operations.services import Services
from desktop.registry import RegistryDraft, validate_endpoint, validate_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    url: str
    status: str  # imported | failed | skipped
    detail: str


def import_from_helm(
    services: Services,
    path: Path,
    *,
    cancel: CancelToken | None = None,
    on_outcome: Callable[[ImportOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_working: Callable[[str], None] | None = None,
) -> list[ImportOutcome]:
    """Register every repository of Helm's `repositories.yaml` at `path`, each checked like a new
    registry; `on_outcome` hears each one as it is decided."""
    repositories = read_repositories_file(path)
    plans = plan_import(repositories, set(services.catalog(registry_names)), path.parent)
    if on_start is not None:
        on_start(len(plans))
    outcomes: list[ImportOutcome] = []
    for plan in plans:
        if cancel is not None and cancel.cancelled:
            outcome = ImportOutcome(plan.repository.name, _shown(plan.repository.url), "skipped", "cancelled")
        elif plan.draft is None:
            assert plan.outcome is not None
            outcome = plan.outcome
        else:
            if on_working is not None:
                on_working(plan.repository.name)
            try:
                result = register_registry(services, plan.draft, cancel=cancel)
            except UserError as exc:
                outcome = outcome_of(plan, exc)
            except Exception as exc:  # a bug: logged, reported for this repository, the rest still import
                log.exception("importing %s from Helm failed", plan.repository.name)
                outcome = outcome_of(plan, exc)
            else:
                outcome = outcome_of(plan, None, len(result.diff.added))
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def registry_names(db: sqlite3.Connection) -> list[str]:
    return [registry.name for registry in list_registries(db)]


def _shown(url: str) -> str:
    """The URL as reports show it: a password written into it is masked."""
    return redacted_userinfo(url)


@dataclass(frozen=True)
class PlannedImport:
    repository: HelmRepository
    draft: RegistryDraft | None  # None: nothing to register (see outcome)
    outcome: ImportOutcome | None = None


def plan_import(repositories: list[HelmRepository], existing_names: set[str], base: Path) -> list[PlannedImport]:
    """A draft per repository, or the reason it will not be imported. Relative certificate paths
    are read relative to `base` (the folder of repositories.yaml)."""
    taken = {name.lower() for name in existing_names}
    plans = []
    for repository in repositories:
        if repository.name.lower() in taken:
            plans.append(_skip(repository, "a registry with this name exists already"))
            continue
        try:
            draft = _draft(repository, base)
        except UserError as exc:
            plans.append(
                PlannedImport(
                    repository, None, ImportOutcome(repository.name, _shown(repository.url), "failed", exc.message)
                )
            )
            continue
        taken.add(repository.name.lower())
        plans.append(PlannedImport(repository, draft))
    return plans


def outcome_of(plan: PlannedImport, error: BaseException | None, versions: int = 0) -> ImportOutcome:
    repository = plan.repository
    if error is None:
        return ImportOutcome(
            repository.name, _shown(repository.url), "imported", f"{versions:,} versions in the snapshot"
        )
    message = error.message if isinstance(error, UserError) else "internal error (see the log)"
    return ImportOutcome(repository.name, _shown(repository.url), "failed", message)


def _skip(repository: HelmRepository, reason: str) -> PlannedImport:
    return PlannedImport(repository, None, ImportOutcome(repository.name, _shown(repository.url), "skipped", reason))


def _draft(repository: HelmRepository, base: Path) -> RegistryDraft:
    if repository.url.startswith("oci://"):
        raise ValidationError("an OCI registry: add it as an OCI registry instead")
    if repository.cert_file:
        raise ValidationError(
            "it uses a client certificate (certFile/keyFile), which Palette's registry form has no field for"
        )
    url, username, password = _split_userinfo(repository.url, repository.username, repository.password)
    validate_name(repository.name)
    validate_endpoint(url)
    ca_pem = None
    if repository.ca_file:
        try:
            path = Path(repository.ca_file).expanduser()
        except RuntimeError:  # `~someone/…` for a user this machine does not know
            raise ValidationError(f"its caFile {repository.ca_file!r} names a home folder that is not here") from None
        ca_pem = read_certificate_file(path if path.is_absolute() else base / path).pem
    return RegistryDraft(
        name=repository.name,
        endpoint=url,
        sync_enabled=True,
        username=username,
        password=password,
        ca_pem=ca_pem,
        insecure_skip_tls_verify=repository.insecure_skip_tls_verify,
    )


def _split_userinfo(url: str, username: str | None, password: str | None) -> tuple[str, str | None, str | None]:
    """Helm accepts `https://user:pass@host/`; the registry form keeps the login in its own fields."""
    try:
        parts = urlsplit(url)
        if parts.username is None:
            return url, username, password
        host = parts.netloc.rsplit("@", 1)[1]
    except ValueError:
        return url, username, password  # validate_endpoint says what is wrong with it
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    if username:
        return clean, username, password
    return clean, unquote(parts.username) or None, unquote(parts.password or "") or None
