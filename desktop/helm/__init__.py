"""The Helm protocol without Qt: index parsing, versions and constraints, chart archives."""
