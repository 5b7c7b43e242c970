"""The local SQLite catalog: the only place with SQL; registries, snapshots, sync history, search."""
