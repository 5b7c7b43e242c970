"""Add-on cluster profiles: model and rules, values checking, health, Palette JSON and helmfile formats."""
