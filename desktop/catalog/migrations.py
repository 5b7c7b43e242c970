"""Numbered schema migrations; the position in MIGRATIONS is the schema version they lead to."""

from __future__ import annotations

# Each migration is a list of statements applied in one transaction. Never edit a released one:
# add the next. User-authored tables (registries, settings) are kept apart from re-fetchable
# cache tables (snapshot rows, sync state), so the cache can be rebuilt without touching user work.
# A snapshot is `charts` (one small row per chart, scanned by search; app_version, description and
# deprecated are its latest stable version's, or its latest's when it has no stable one, so that
# the usual search reads no other table), `chart_documents` (the chart's
# versions as the index lists them, as JSON, read when one version is shown) and `chart_versions`
# (one row per valid version: what listings need).
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE registries (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind TEXT NOT NULL DEFAULT 'helm' CHECK (kind IN ('helm', 'oci')),
            endpoint TEXT NOT NULL,
            sync_enabled INTEGER NOT NULL DEFAULT 1,
            username TEXT,
            ca_pem TEXT,
            insecure_skip_tls_verify INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE sync_state (
            registry_id INTEGER PRIMARY KEY REFERENCES registries(id) ON DELETE CASCADE,
            etag TEXT,
            last_modified TEXT,
            content_digest TEXT,
            api_version TEXT,
            snapshot_at REAL,
            last_success_at REAL,
            last_attempt_at REAL,
            last_error TEXT,
            last_error_kind TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE chart_versions (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            chart TEXT NOT NULL,
            version TEXT NOT NULL,
            position INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            prerelease INTEGER NOT NULL,
            deprecated INTEGER NOT NULL,
            app_version TEXT NOT NULL,
            description TEXT NOT NULL,
            UNIQUE (registry_id, chart, version)
        )""",
        """CREATE TABLE charts (
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            latest_version TEXT NOT NULL,
            latest_stable_version TEXT,
            version_count INTEGER NOT NULL,
            app_version TEXT NOT NULL,
            description TEXT NOT NULL,
            deprecated INTEGER NOT NULL,
            search_text TEXT NOT NULL,
            search_text_devel TEXT NOT NULL,
            PRIMARY KEY (registry_id, name)
        ) WITHOUT ROWID""",
        """CREATE TABLE chart_documents (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            document_hash BLOB NOT NULL,
            document BLOB NOT NULL,
            UNIQUE (registry_id, name)
        )""",
        """CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            trigger TEXT NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL,
            status TEXT NOT NULL CHECK (status IN ('running', 'updated', 'unchanged', 'failed', 'cancelled')),
            http_status INTEGER,
            bytes INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""",
        "CREATE INDEX sync_runs_by_registry ON sync_runs (registry_id, started_at)",
        """CREATE TABLE sync_run_changes (
            run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
            change TEXT NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
            chart TEXT NOT NULL,
            version TEXT NOT NULL
        )""",
        "CREATE INDEX sync_run_changes_by_run ON sync_run_changes (run_id)",
    ],
    [
        """CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            version TEXT NOT NULL DEFAULT '1.0.0',
            description TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        """CREATE TABLE profile_layers (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            registry_uid TEXT NOT NULL,
            registry_name TEXT NOT NULL,
            registry_endpoint TEXT NOT NULL,
            chart TEXT NOT NULL,
            version TEXT NOT NULL,
            namespace TEXT NOT NULL DEFAULT 'default',
            install_priority INTEGER NOT NULL DEFAULT 0,
            values_override TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX profile_layers_by_profile ON profile_layers (profile_id, position)",
        """CREATE TABLE pins (
            registry_uid TEXT NOT NULL,
            chart TEXT NOT NULL,
            version TEXT NOT NULL,
            pinned_at REAL NOT NULL,
            PRIMARY KEY (registry_uid, chart, version)
        ) WITHOUT ROWID""",
        """CREATE TABLE chart_archives (
            id INTEGER PRIMARY KEY,
            registry_uid TEXT NOT NULL,
            chart TEXT NOT NULL,
            version TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            fetched_at REAL NOT NULL,
            used_at REAL NOT NULL,
            data BLOB NOT NULL,
            UNIQUE (registry_uid, chart, version)
        )""",
    ],
    [
        # OCI registries: plain HTTP when asked for, and the chart names to read when the registry
        # does not list its repositories.
        "ALTER TABLE registries ADD COLUMN plain_http INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE registries ADD COLUMN chart_names TEXT NOT NULL DEFAULT '[]'",
    ],
    [
        # Removed is not deleted: a version that leaves its index moves here, with its entry as it
        # was last listed, until the user prunes it. (Same search columns as `charts`, so one match
        # clause serves both.)
        """CREATE TABLE removed_versions (
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            removed_at REAL NOT NULL,
            prerelease INTEGER NOT NULL,
            deprecated INTEGER NOT NULL,
            app_version TEXT NOT NULL,
            description TEXT NOT NULL,
            search_text TEXT NOT NULL,
            entry BLOB NOT NULL,
            PRIMARY KEY (registry_id, name, version)
        ) WITHOUT ROWID""",
        # Runs may now be held (a suspicious shrink waiting for the user) or interrupted, and name
        # the process that runs them, so another process never marks a live run interrupted.
        # SQLite cannot change a CHECK constraint: the table is rebuilt (foreign keys are off
        # while migrating, so the changes that reference it stay).
        """CREATE TABLE sync_runs_new (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            trigger TEXT NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL,
            status TEXT NOT NULL CHECK (status IN
                ('running', 'updated', 'unchanged', 'held', 'failed', 'cancelled', 'interrupted')),
            http_status INTEGER,
            bytes INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            owner TEXT
        )""",
        """INSERT INTO sync_runs_new (id, registry_id, trigger, started_at, finished_at, status, http_status, bytes,
            added, removed, changed, skipped, error)
            SELECT id, registry_id, trigger, started_at, finished_at, status, http_status, bytes, added, removed,
            changed, skipped, error FROM sync_runs""",
        "DROP TABLE sync_runs",
        "ALTER TABLE sync_runs_new RENAME TO sync_runs",
        "CREATE INDEX sync_runs_by_registry ON sync_runs (registry_id, started_at)",
        # Whether the last applied index had a `generated:` field: losing it with whole charts
        # is the mark of a download cut short.
        "ALTER TABLE sync_state ADD COLUMN index_had_generated INTEGER",
    ],
    [
        # Chart icons kept offline (re-fetchable cache, gone with the registry): the image the
        # chart's shown version names, fetched once; `data` is NULL when that address gave no usable
        # image (`problem` says why; `retry` when the network was at fault). `document_hash` is the
        # chart document's hash when its icon address was last read, so a sync reads only changed charts.
        """CREATE TABLE chart_icons (
            id INTEGER PRIMARY KEY,
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            chart TEXT NOT NULL,
            url TEXT NOT NULL,
            document_hash BLOB,
            media_type TEXT,
            data BLOB,
            problem TEXT,
            retry INTEGER NOT NULL DEFAULT 0,
            fetched_at REAL NOT NULL,
            UNIQUE (registry_id, chart)
        )""",
    ],
    [
        # Issue 10: where a registry's snapshot came from — a bundle file, or a subscription to a site
        # registry's published catalog (and the subscription itself) — with the date of the bundle
        # that last brought it; such a registry is not synchronized with its own endpoint until the
        # user syncs it once by hand (upstream_sync). Kept apart from `registries`, so that table's
        # shape stays as it is.
        """CREATE TABLE registry_origins (
            registry_id INTEGER PRIMARY KEY REFERENCES registries(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('bundle', 'subscribed', 'subscription')),
            at REAL,
            source TEXT NOT NULL DEFAULT '',
            upstream_sync INTEGER NOT NULL DEFAULT 0
        )""",
        # Profiles a bundle brought, with a fingerprint of what it brought: an import may update
        # such a profile while the user has not edited it, and never one the user has.
        """CREATE TABLE profile_origins (
            profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        # Digests of the chart-files layers a bundle brought (re-sent otherwise: a delta leaves
        # out what `bundle have` lists).
        """CREATE TABLE bundle_layers (
            registry_id INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            PRIMARY KEY (registry_id, digest)
        ) WITHOUT ROWID""",
    ],
    [
        # Issue 21: token authentication. The keyring entry holds a token rather than a password,
        # sent as `Authorization: Bearer`; such a registry has no username.
        "ALTER TABLE registries ADD COLUMN token_auth INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # Issue 21: a profile's variables (Palette's V1Variable fields), as a JSON list in Palette's
        # field names; defaults kept as the user set them, sensitive ones included (this file is private).
        "ALTER TABLE profiles ADD COLUMN variables TEXT NOT NULL DEFAULT '[]'",
    ],
    [
        # Issue 21: several base paths per OCI registry, as a JSON list of repository paths on its
        # host (the endpoint is then oci://HOST); empty: the endpoint's own path, as before.
        "ALTER TABLE registries ADD COLUMN base_paths TEXT NOT NULL DEFAULT '[]'",
    ],
    [
        # Issue 20: Helm provenance. A cached archive's .prov (its registry's `URL.prov`, or its OCI
        # provenance layer), kept beside it in the content cache; `data` is NULL when the registry
        # has none (the chart is not signed). It goes when its archive goes.
        """CREATE TABLE chart_provenance (
            registry_uid TEXT NOT NULL,
            chart TEXT NOT NULL,
            version TEXT NOT NULL,
            data BLOB,
            fetched_at REAL NOT NULL,
            PRIMARY KEY (registry_uid, chart, version)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER chart_provenance_goes_with_archive AFTER DELETE ON chart_archives BEGIN
            DELETE FROM chart_provenance
            WHERE registry_uid = OLD.registry_uid AND chart = OLD.chart AND version = OLD.version;
        END""",
    ],
    [
        # Issue 19: container images across the gap. The image blobs this site holds (a bundle it
        # imported or pushed carried them), with a repository of the site registry that holds each
        # ('' when only imported): `bundle have` lists them, and a delta's push mounts from there.
        """CREATE TABLE image_blobs (
            digest TEXT PRIMARY KEY,
            repository TEXT NOT NULL DEFAULT '',
            at REAL NOT NULL
        ) WITHOUT ROWID""",
        # The images each profile needs, as the bundle that brought it lists them, and the date of
        # the bundle that carried each (NULL: none carried it, it is missing).
        """CREATE TABLE profile_images (
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            reference TEXT NOT NULL,
            carried_at REAL,
            PRIMARY KEY (profile_id, reference)
        ) WITHOUT ROWID""",
    ],
    [
        # Issue 23: a registry a bundle brought that needs a login there (the bundle's `private`): its
        # credentials do not travel, yet every export of a profile using it must say they are needed.
        "ALTER TABLE registry_origins ADD COLUMN login_needed INTEGER NOT NULL DEFAULT 0",
    ],
]
