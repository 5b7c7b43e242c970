"""The command line's exit statuses: 0 done, 1 a failure the user can act on, 2 usage, 3 a bug, 130 interrupted."""

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
