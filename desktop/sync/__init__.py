"""Network steps without a database: fetching an index, OCI tags, an archive, its provenance."""
