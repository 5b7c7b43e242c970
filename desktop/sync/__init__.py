"""Keeping snapshots current: fetching indexes, applying them to the catalog, and the schedule."""
