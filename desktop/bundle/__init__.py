"""Air-gap bundles: Helm chart artifacts, a deterministic OCI image layout tar, its verifier, the catalog's documents.

The public API, one job per module:

- `helm_artifact.build_chart_artifact(tgz, prov, created)`: a chart as `helm push` stores it.
- `artifacts.build_artifact(artifact_type, config, layers)`: any other OCI 1.1 artifact.
- `layout_writer.LayoutWriter(path, mtime=…, split_size=…, have=…)`: `add(artifact, ref_name)`,
  then `close(catalog)`; streamed, sorted, split for removable media.
- `layout_reader.open_layout(first_part)`: a `VerifiedLayout` whose every blob was checked.
- `registry_push.push_layout(layout, client, …)` and `registry_pull.pull_layout(client, reference, path)`.
- `snapshot_shards`: one index-compatible document per chart, the same bytes on both sides (deltas).
- `catalog_records`: the catalog's config, registry records (no credentials), profiles, archive list,
  chart files; `catalog_reader.read_catalog` reads them back as hostile input.
- `have_file`: the digests a catalog holds, for a delta; `origin_text`: "from bundle of 27 Nov 2026".

The operations that use them are `operations/bundle_export.py`, `bundle_import.py`, `bundle_publish.py`
and `subscriptions.py`.
"""
