"""HTTP access to registries: TLS per registry, credential scoping, size limits and error mapping."""
