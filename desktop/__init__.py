"""Chartkeeper: an offline-first catalog of Helm chart registries and cluster profiles."""

__version__ = "0.1.0"
