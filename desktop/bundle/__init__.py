"""Air-gap bundles, phase 1: Helm chart artifacts, a deterministic OCI image layout in a tar, and its verifier.

The public API, one job per module:

- `helm_artifact.build_chart_artifact(tgz, prov, created)`: a chart as `helm push` stores it.
- `artifacts.build_artifact(artifact_type, config, layers)`: any other OCI 1.1 artifact.
- `layout_writer.LayoutWriter(path, mtime=…, split_size=…, have=…)`: `add(artifact, ref_name)`,
  then `close(catalog)`; streamed, sorted, split for removable media.
- `layout_reader.open_layout(first_part)`: a `VerifiedLayout` whose every blob was checked.
- `registry_push.push_layout(layout, client, …)` and `registry_pull.pull_layout(client, reference, path)`.
"""
