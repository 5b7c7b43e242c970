"""A cluster profile as Palette has it: name, version, description, tags, variables and Helm chart layers — and
the rules each part follows (Palette's for names and tags, Helm's for charts and releases,
Kubernetes' for namespaces)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from desktop.errors import ValidationError
from desktop.helm.versions import parse_version

NAME_MAX = 128
DESCRIPTION_MAX = 4096
DEFAULT_VERSION = "1.0.0"
DEFAULT_NAMESPACE = "default"
PRIORITY_MIN, PRIORITY_MAX = -1000, 1000  # the editor's range; Palette's default is 0
CHART_NAME_MAX = 250  # Helm's limit for a chart's name
RELEASE_NAME_MAX = 53  # Helm's limit for a release's name
TAG_MAX = 63
MASK = "********"  # what Palette shows for a sensitive variable's value
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_STRICT_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?")
_HELM_CHART_NAME = re.compile(r"[A-Za-z0-9._-]+")  # what `helm create` accepts
# An OCI repository name's last part, or (a registry with several base paths) its whole path on the host.
_OCI_CHART_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
_PRIORITY = re.compile(r"[-+]?[0-9]+")
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


@dataclass(frozen=True)
class Layer:
    """One Helm chart in a profile. The registry is kept by its stable uid, with the name and
    endpoint it had when the layer was made (shown, and exported, if it is later removed)."""

    registry_uid: str
    registry_name: str
    registry_endpoint: str
    chart: str
    version: str
    namespace: str = DEFAULT_NAMESPACE
    install_priority: int = 0
    values_override: str = ""
    id: int | None = None


@dataclass(frozen=True)
class VariableOption:
    """One choice of a dropdown variable (Palette's V1VariableOption)."""

    value: str
    label: str = ""
    description: str = ""
    default: bool = False


@dataclass(frozen=True)
class ProfileVariable:
    """A profile variable with every field of Palette's V1Variable."""

    name: str
    display_name: str = ""
    description: str = ""
    format: str = "string"
    default_value: str = ""
    regex: str = ""
    required: bool = False
    immutable: bool = False  # the value cannot be changed when a cluster is deployed: the default is used
    hidden: bool = False  # not shown for overriding when a cluster is deployed: the default is used
    is_sensitive: bool = False  # the value is masked wherever it is shown or exported
    input_type: str = "text"
    options: tuple[VariableOption, ...] = field(default=())

    @property
    def fixed(self) -> bool:
        """Palette uses its default whatever is set at deployment (immutable or hidden)."""
        return self.immutable or self.hidden

    @property
    def masked_default(self) -> bool:
        """A sensitive default that an export masked: the real one is not known here."""
        return self.is_sensitive and self.default_value == MASK

    def default(self) -> str:
        """The value a cluster gets when nobody sets one: the default, or a dropdown's default option."""
        if self.input_type == "dropdown":
            for option in self.options:
                if self.default_value and self.default_value in (option.value, option.label):
                    return option.value
            if not self.default_value:
                return next((option.value for option in self.options if option.default), "")
        return self.default_value

    def shown_default(self) -> str:
        """The default as it may be printed: masked when sensitive."""
        return MASK if self.is_sensitive and self.default_value else self.default_value


@dataclass(frozen=True)
class Profile:
    uid: str
    name: str
    version: str = DEFAULT_VERSION
    description: str = ""
    tags: tuple[str, ...] = ()
    layers: tuple[Layer, ...] = field(default=())
    id: int | None = None
    updated_at: float = 0.0
    variables: tuple[ProfileVariable, ...] = field(default=())


def _printable(text: str) -> bool:
    """No control characters or line separators (newlines, tabs, escapes, U+2028), nor unassigned
    or private-use code points."""
    return all(unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp") for ch in text)


def validate_profile_name(name: str) -> str:
    """Palette's profile names: letters, digits, spaces and punctuation ('ML Ops' is a real one)."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the profile a name.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The profile name is {len(name)} characters long; keep it to {NAME_MAX}.")
    if not _printable(name):
        raise ValidationError("The profile name has control characters (a line break or a tab?): remove them.")
    return name


def validate_profile_version(version: str) -> str:
    version = version.strip() or DEFAULT_VERSION
    if len(version) > 64 or not _STRICT_VERSION.fullmatch(version):
        raise ValidationError(f"'{clip(version)}' is not a profile version: use MAJOR.MINOR.PATCH, such as 1.0.0.")
    return version


def validate_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(f"The description is {len(description)} characters long; keep it to {DESCRIPTION_MAX}.")
    return description


def validate_namespace(namespace: str) -> str:
    """A Kubernetes namespace: an RFC 1123 label."""
    namespace = namespace.strip() or DEFAULT_NAMESPACE
    if len(namespace) > 63 or not _NAMESPACE.fullmatch(namespace):
        raise ValidationError(
            f"'{clip(namespace)}' is not a Kubernetes namespace: use up to 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit."
        )
    return namespace


def validate_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Tags as Palette keeps them: `key:value` or a bare `key`, one value per key (Palette stores
    them as a map of labels), no commas (they separate tags where they are typed)."""
    cleaned: list[str] = []
    keys: dict[str, str] = {}
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX or "," in tag or not _printable(tag) or tag.startswith(":"):
            raise ValidationError(
                f"'{clip(tag)}' is not a valid tag: use up to {TAG_MAX} characters, no commas, "
                "written key or key:value."
            )
        if tag in cleaned:
            continue
        key = tag.split(":", 1)[0].strip()
        if key in keys:
            raise ValidationError(
                f"The tags '{keys[key]}' and '{tag}' share the key '{key}': Palette keeps one value per key."
            )
        keys[key] = tag
        cleaned.append(tag)
    return tuple(cleaned)


def validate_layer_version(version: str) -> str:
    version = version.strip()
    if len(version) > 128 or parse_version(version) is None:
        raise ValidationError(f"'{clip(version)}' is not a chart version (Helm needs SemVer, such as 1.2.3).")
    return version


def validate_chart_name(name: str, *, oci: bool = False) -> str:
    """Helm's rule for chart names (letters, digits, '.', '_', '-'), or an OCI repository's
    (lowercase) for charts in OCI registries. Anything else could be a path or a shell word. A
    name with a space before or after is refused, not trimmed: ' web' is not the chart 'web'."""
    if name and name.strip() != name:
        raise ValidationError(
            f"'{clip(name)}' is not a valid chart name: it starts or ends with white space; write the name alone."
        )
    rule = _OCI_CHART_NAME if oci else _HELM_CHART_NAME
    if not name or len(name) > CHART_NAME_MAX or not rule.fullmatch(name) or set(name) == {"."}:
        allowed = "lowercase letters, digits, '.', '_' and '-'" if oci else "letters, digits, '.', '_' and '-'"
        raise ValidationError(f"'{clip(name)}' is not a valid chart name: Helm chart names use {allowed}.")
    return name


def validate_install_priority(value: object) -> int:
    """Palette's `spectrocloud.com/install-priority`, a whole number (often written quoted)."""
    text = str(value).strip()
    if isinstance(value, bool) or not _PRIORITY.fullmatch(text):
        raise ValidationError(f"'{clip(text)}' is not an install priority: use a whole number, such as 0 or 10.")
    if len(text) > 12 or not PRIORITY_MIN <= int(text) <= PRIORITY_MAX:
        raise ValidationError(
            f"The install priority {clip(text)} is out of range: use {PRIORITY_MIN} to {PRIORITY_MAX} "
            "(lower numbers install first)."
        )
    return int(text)


def release_name(chart: str, taken: set[str]) -> str:
    """A Helm release name for a layer: the chart's name made a DNS label (Helm's rule), with a
    number when the profile already has a release of that name."""
    own = chart.rpartition("/")[2]  # an OCI chart named with its base path is released under its own name
    base = re.sub(r"[^a-z0-9-]+", "-", own.lower()).strip("-")[: RELEASE_NAME_MAX - 4].strip("-") or "release"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    if not _RELEASE_NAME.fullmatch(candidate) or len(candidate) > RELEASE_NAME_MAX:
        raise ValidationError(f"No valid Helm release name can be made from the chart name '{clip(chart)}'.")
    return candidate


def release_names(layers: tuple[Layer, ...] | list[Layer]) -> list[str]:
    """Each layer's Helm release name, in the layers' order, as the exports name them."""
    taken: set[str] = set()
    names = []
    for layer in layers:
        name = release_name(layer.chart, taken)
        taken.add(name)
        names.append(name)
    return names


def clip(text: str, width: int = 60) -> str:
    """A value from a file, short enough and printable enough to quote in a one-line message."""
    shown = "".join(ch if _printable(ch) else "?" for ch in text[: width + 1])
    return shown if len(shown) <= width else shown[: width - 1] + "…"
