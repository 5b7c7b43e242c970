"""Where an artifact of a bundle goes in a registry: `<chart>:<tag>` from its ref name, under the registry's path."""

from __future__ import annotations

import re

from desktop.bundle.errors import BundleError

# The distribution spec's rules for one path component and for a tag.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")


def push_target(ref_name: str) -> tuple[str, str]:
    """(repository name under the registry's path, tag) for `registry/chart:tag` (or `chart:tag`)."""
    name, separator, tag = ref_name.rpartition(":")
    repository = name.rsplit("/", 1)[-1]
    if not separator or "/" in tag or not _COMPONENT.fullmatch(repository) or not _TAG.fullmatch(tag):
        raise BundleError(
            f"{ref_name} cannot be pushed: an OCI repository is lowercase letters and digits joined by . _ -,"
            " and a tag at most 128 letters, digits, . _ -."
        )
    return repository, tag


def check_tag(tag: str) -> str:
    if not _TAG.fullmatch(tag):
        raise BundleError(f"'{tag[:60]}' is not an OCI tag: use at most 128 letters, digits, '.', '_' and '-'.")
    return tag
