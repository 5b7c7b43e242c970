"""The window's background work: the catalog writer thread, the pools, running syncs, the schedule, jobs."""
