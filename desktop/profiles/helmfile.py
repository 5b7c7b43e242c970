"""A profile as helmfile.yaml: one repository per registry (classic, or OCI with `oci: true`), one
release per layer installed in Palette's priority order through `needs:`, and the files written
beside it: certificates its repositories' `caFile` entries point to, and the values of each layer
that uses profile variables as a `.gotmpl` file reading them from the environment."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from desktop.errors import ValidationError
from desktop.profiles.model import (
    Layer,
    Profile,
    ProfileVariable,
    clip,
    release_name,
    validate_chart_name,
    validate_namespace,
)
from desktop.profiles.registry_refs import RegistryRef, registry_ref
from desktop.profiles.values import parse_values
from desktop.profiles.variables import REFERENCE, reference_problems, references, substitute_variables
from desktop.registry import Registry

VARIABLE_PREFIX = "SPECTRO_VAR_"


@dataclass(frozen=True)
class HelmfileExport:
    text: str
    files: dict[str, bytes] = field(default_factory=dict)  # file name → content, beside the helmfile


def credential_variables(repository: str) -> tuple[str, str]:
    """The environment variables helmfile reads a repository's username and password from: its
    name in capitals with '-' as '_' (helmfile's gatherUsernamePassword)."""
    stem = repository.replace("-", "_").upper()
    return f"{stem}_USERNAME", f"{stem}_PASSWORD"


def variable_environment(variable: ProfileVariable) -> str:
    """The environment variable helmfile reads a profile variable from."""
    return f"{VARIABLE_PREFIX}{variable.name}"


def _go_string(text: str) -> str:
    """A Go template string literal (JSON's escapes are a subset of Go's)."""
    return json.dumps(text, ensure_ascii=False)


def _literal(text: str) -> str:
    """Text for a Go template, written as itself: each `{{` becomes an action printing it."""
    return text.replace("{{", '{{ "{{" }}')


def _action(variable: ProfileVariable, pipe: str) -> str:
    """How the `.gotmpl` file reads a variable: a sensitive one must be set (its default is never
    written); a fixed one (immutable or hidden) is its default, as Palette deploys it; a required
    one must be set; others fall back to their default. Functions after `|` are kept (helmfile has
    the same sprig functions as Palette)."""
    env = _go_string(variable_environment(variable))
    pipe = f" {pipe.strip()}" if pipe else ""
    if variable.is_sensitive:
        return f"{{{{ requiredEnv {env}{pipe} }}}}"
    if variable.fixed:
        return f"{{{{ {_go_string(variable.default())}{pipe} }}}}" if pipe else _literal(variable.default())
    if variable.required:
        return f"{{{{ requiredEnv {env}{pipe} }}}}"
    if variable.default():
        return f"{{{{ env {env} | default {_go_string(variable.default())}{pipe} }}}}"
    return f"{{{{ env {env}{pipe} }}}}"


def values_template(text: str, variables: Sequence[ProfileVariable]) -> str:
    """The layer's values as a helmfile `.gotmpl` values file: each `{{.spectro.var.NAME}}` an
    action reading the environment, everything else written as it is."""
    by_name = {variable.name: variable for variable in variables}
    parts = []
    end = 0
    for match in REFERENCE.finditer(text):
        parts.append(_literal(text[end : match.start()]))
        parts.append(_action(by_name[match["name"]], match["pipe"] or ""))
        end = match.end()
    parts.append(_literal(text[end:]))
    return "".join(parts)


def _layer_values(layer: Layer, profile: Profile, where: str) -> tuple[Any, str | None]:
    """The layer's values as data, or (None, its .gotmpl text) when it uses variables; one line
    refusing values with a YAML error or a name no variable has."""
    undefined = reference_problems(layer.values_override, profile.variables)
    if undefined:
        raise ValidationError(f"The values of {where} cannot be exported: {undefined[0]}.")
    data, problem = parse_values(substitute_variables(layer.values_override, profile.variables).text)
    if problem is not None:
        raise ValidationError(f"The values of {where} have a YAML error ({problem}): fix it first.")
    if references(layer.values_override):
        return None, values_template(layer.values_override, profile.variables)
    return data, None


def changed_values(values: Any, defaults: Any) -> Any:
    """What `values` sets that the chart's `defaults` do not already hold: mappings compared key by
    key, anything else (lists included) whole. A key left out means its default, as helm merges a
    values file over the chart's values.yaml — as Palette deploys a pack's values."""
    if not isinstance(values, dict) or not isinstance(defaults, dict):
        return values
    changed: dict[str, Any] = {}
    for key, value in values.items():
        if key not in defaults:
            changed[key] = value
        elif isinstance(value, dict) and isinstance(defaults[key], dict):
            inner = changed_values(value, defaults[key])
            if inner:
                changed[key] = inner
        elif value != defaults[key] or type(value) is not type(defaults[key]):
            changed[key] = value
    return changed


def _repository(ref: RegistryRef, name: str, files: dict[str, bytes]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if ref.kind == "oci":
        entry["url"] = ref.endpoint.split("://", 1)[-1]  # helmfile wants OCI URLs without the scheme
        entry["oci"] = True
        if ref.plain_http:
            entry["plainHttp"] = True
            return entry  # helm ignores --plain-http when TLS options are given
    else:
        entry["url"] = ref.endpoint
    if ref.ca_pem:
        file_name = f"{name}-ca.pem"
        files[file_name] = ref.ca_pem.encode("ascii", "replace")
        entry["caFile"] = file_name
    if ref.insecure_skip_tls_verify:
        entry["skipTLSVerify"] = True
    return entry


def helmfile_notes(profile: Profile, registries: Mapping[str, Registry]) -> list[str]:
    """What the user must do before running the helmfile (said on the side too, as its header says it)."""
    refs = {ref.key: ref for ref in (registry_ref(layer, registries) for layer in profile.layers)}
    return [
        f"Registry {ref.name} takes a token, which helmfile cannot send: see the file's header for what to do."
        for ref in refs.values()
        if ref.token
    ]


def helmfile_export(
    profile: Profile,
    registries: Mapping[str, Registry],
    defaults: Mapping[int, str | None] | None = None,
) -> HelmfileExport:
    """`defaults`: layer index → its chart's values.yaml as kept here (None: no archive kept). With
    them, a layer's `values:` hold only what differs from its chart's defaults (a layer made from a
    chart starts as its whole values.yaml); without, the layer's values are written whole, and the
    header says which layers and why."""
    whole: list[str] = []  # layers written whole: their chart's defaults are not kept here
    repositories: dict[str, dict[str, Any]] = {}  # registry key → entry
    refs: dict[str, RegistryRef] = {}
    files: dict[str, bytes] = {}
    releases: list[dict[str, Any]] = []
    taken: set[str] = set()
    order: list[tuple[int, str]] = []
    for index, layer in enumerate(profile.layers):
        ref = registry_ref(layer, registries)
        if ref.key not in repositories:
            used = {entry["name"] for entry in repositories.values()}
            name, number = ref.name, 2
            while name in used:  # a removed registry and a new one of the same name
                name, number = f"{ref.name}-{number}", number + 1
            repositories[ref.key] = _repository(ref, name, files)
            refs[ref.key] = ref
        repository = repositories[ref.key]["name"]
        where = f"layer {clip(layer.chart, 40)}"
        try:
            chart = validate_chart_name(layer.chart, oci=ref.kind == "oci")
            namespace = validate_namespace(layer.namespace)
        except ValidationError as exc:
            raise ValidationError(f"The {where} cannot be written to helmfile: {exc.message}") from None
        data, template = _layer_values(layer, profile, where)
        if defaults is not None and template is None and data:
            kept = defaults.get(index)
            default_data = parse_values(kept)[0] if kept else None
            if isinstance(default_data, dict):
                data = changed_values(data, default_data)
            elif kept is None:
                whole.append(layer.chart)
        release = release_name(chart, taken)
        taken.add(release)
        entry: dict[str, Any] = {
            "name": release,
            "namespace": namespace,
            "chart": f"{repository}/{chart}",
            "version": layer.version,
        }
        if repositories[ref.key].get("skipTLSVerify"):
            entry["insecureSkipTLSVerify"] = True  # helmfile before v0.168 skips verify for downloads only so
        if template is not None:
            file_name = f"{release}-values.yaml.gotmpl"
            files[file_name] = template.encode("utf-8")
            entry["values"] = [file_name]
        elif data:
            entry["values"] = [data]
        releases.append(entry)
        order.append((layer.install_priority, f"{namespace}/{release}"))
    for entry, (priority, _) in zip(releases, order, strict=True):
        lower = [p for p, _ in order if p < priority]
        if lower:
            previous = max(lower)  # Palette installs the lower priorities first
            entry["needs"] = [ident for p, ident in order if p == previous]
    document: dict[str, Any] = {}
    if repositories:
        document["repositories"] = list(repositories.values())
    document["releases"] = releases
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return HelmfileExport(_header(profile, repositories, refs, whole) + body, files)


def _header(
    profile: Profile, repositories: dict[str, dict[str, Any]], refs: dict[str, RegistryRef], whole: Sequence[str] = ()
) -> str:
    title = re.sub(r"\s+", " ", f"{profile.name} {profile.version}")
    lines = [
        f"Profile {title}, exported by Chartkeeper.",
        "No credentials are written here. helmfile reads each repository's username and password from",
        "the environment variables <NAME>_USERNAME and <NAME>_PASSWORD (the repository's name in capitals,",
        "'-' written '_'): `helm repo add` gets them for classic repositories, `helm registry login` for",
        "OCI ones (only when both are set; otherwise helm uses an earlier `helm registry login`).",
    ]
    private = [(entry["name"], refs[key]) for key, entry in repositories.items() if refs[key].private]
    for name, ref in private:
        user, password = credential_variables(name)
        if not ref.token:
            lines.append(f"  repository {name}: set {user} and {password}")
            continue
        # helmfile (and helm) have no field for a bearer token: say what works instead.
        lines.append(f"  repository {name}: needs a token (Authorization: Bearer), which helmfile cannot send;")
        login = "`helm registry login`" if ref.kind == "oci" else "`helm repo add`"
        lines.append(
            f"    if the registry also takes the token as a password, set {user} (the name it wants) and "
            f"{password} to the token ({login} uses them);"
        )
        named = shlex.quote(re.sub(r"\s+", " ", profile.name))
        lines.append(
            "    otherwise copy its charts to an OCI registry helm can log in to (`chartkeeper mirror --profile"
            f" {named} oci://HOST/PATH`) and export with --mirror oci://HOST/PATH."
        )
    if any(entry.get("caFile") for entry in repositories.values()):
        lines.append("caFile paths are relative to this file's folder: keep the .pem files beside it.")
    plain = [entry["name"] for entry in repositories.values() if entry.get("plainHttp")]
    if plain:
        lines.append(f"plainHttp (repository {', '.join(plain)}) needs helmfile v0.168.0 or later.")
    if whole:
        lines.append(f"Each release's values are what differs from its chart's defaults, except {', '.join(whole)}:")
        lines.append("  written whole, as its chart is not kept on this computer (keep it offline, then export again).")
    lines.extend(_variable_lines(profile))
    return "".join(f"# {line}\n" for line in lines)


def _variable_lines(profile: Profile) -> list[str]:
    used = {name for layer in profile.layers for _, name in references(layer.values_override)}
    variables = [variable for variable in profile.variables if variable.name in used]
    if not variables:
        return []
    lines = [
        "Profile variables: the layers' values that use them are the <release>-values.yaml.gotmpl files",
        "beside this file (keep them there); helmfile reads each variable from the environment:",
    ]
    for variable in variables:
        label = re.sub(r"\s+", " ", variable.display_name or variable.name)
        env = variable_environment(variable)
        if variable.is_sensitive:
            how = "sensitive: required, its default is not written here"
        elif variable.fixed:
            why = "immutable" if variable.immutable else "hidden"
            how = f"{why} in Palette: fixed to its default, the environment is not read"
        elif variable.required:
            how = "required"
        elif variable.default():
            how = f"optional, default {_go_string(clip(variable.default(), 60))}"
        else:
            how = "optional, empty when not set"
        lines.append(f"  {env} ({clip(label, 60)}): {how}")
    return lines
