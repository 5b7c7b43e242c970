"""Import from Helm: turn `repositories.yaml` entries into registry drafts, and report each outcome."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop.certificates import read_certificate_file
from desktop.errors import UserError, ValidationError
from desktop.helm.repositories_file import HelmRepository
from desktop.registry import RegistryDraft, validate_endpoint, validate_name


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    url: str
    status: str  # imported | failed | skipped
    detail: str


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
                PlannedImport(repository, None, ImportOutcome(repository.name, repository.url, "failed", exc.message))
            )
            continue
        taken.add(repository.name.lower())
        plans.append(PlannedImport(repository, draft))
    return plans


def outcome_of(plan: PlannedImport, error: BaseException | None, versions: int = 0) -> ImportOutcome:
    repository = plan.repository
    if error is None:
        return ImportOutcome(repository.name, repository.url, "imported", f"{versions:,} versions in the snapshot")
    message = error.message if isinstance(error, UserError) else "internal error (see the log)"
    return ImportOutcome(repository.name, repository.url, "failed", message)


def _skip(repository: HelmRepository, reason: str) -> PlannedImport:
    return PlannedImport(repository, None, ImportOutcome(repository.name, repository.url, "skipped", reason))


def _draft(repository: HelmRepository, base: Path) -> RegistryDraft:
    if repository.url.startswith("oci://"):
        raise ValidationError("an OCI registry: add it as an OCI registry instead")
    if repository.cert_file:
        raise ValidationError(
            "it uses a client certificate (certFile/keyFile), which Palette's registry form has no field for"
        )
    validate_name(repository.name)
    validate_endpoint(repository.url)
    ca_pem = None
    if repository.ca_file:
        path = Path(repository.ca_file).expanduser()
        ca_pem = read_certificate_file(path if path.is_absolute() else base / path).pem
    return RegistryDraft(
        name=repository.name,
        endpoint=repository.url,
        sync_enabled=True,
        username=repository.username,
        password=repository.password,
        ca_pem=ca_pem,
        insecure_skip_tls_verify=repository.insecure_skip_tls_verify,
    )
