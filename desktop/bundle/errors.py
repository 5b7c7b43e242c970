"""The one-line errors of bundles: a file that is not a sound bundle, a chart Helm could not push."""

from __future__ import annotations

from desktop.errors import UserError


class BundleError(UserError):
    """A bundle cannot be written, read, verified, pushed or pulled; the message names the problem."""


class ChartArtifactError(BundleError):
    """A chart archive Helm itself would refuse to push (no Chart.yaml, a field of the wrong type…)."""
