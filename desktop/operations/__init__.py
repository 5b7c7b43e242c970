"""One named function per user action, written as its steps in order; the CLI runs them directly, the
window runs the same functions on its background worker (network steps on a bounded pool, catalog
steps on the one writer thread)."""
