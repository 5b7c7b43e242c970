"""Helm provenance (issue 20 item 2): charts packaged and signed by the real Helm, served with their
.prov by a real HTTP server; each version reads as what it is (verified, tampered archive, tampered
.prov, an untrusted key, an expired key, no .prov) as `helm verify` judges it, through the operations
and the CLI; under `chart_provenance require` nothing unverified is pinned, kept offline or used."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pysequoia
import pytest

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef, cached_archive, discard_archive
from desktop.catalog.profiles import save_profile as save_profile_row
from desktop.catalog.provenance import cached_provenance
from desktop.jobs.worker import BackgroundWorker
from desktop.operations.chart_files import chart_provenance, keep_offline, pin_version
from desktop.operations.profiles import save_profile
from desktop.operations.provenance import ProvenanceError, judge_provenance
from desktop.paths import trusted_keys_beside
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from desktop.trust.keys import import_keys
from desktop.trust.openpgp import read_public_keys, verify_cleartext
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.exports import write_palette_export
from tests.support.gpg_keys import gpg
from tests.support.helm_binary import HELM_3, HELM_4, helm_binary, helm_environment
from tests.support.oci_registry import DistributionRegistry
from tests.support.repo_server import RepoServer
from tests.support.signed_charts import EXPECTED, Site, build_site

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("provenance"))


def _serve(make_repo: MakeRepo, site: Site, **kwargs: object) -> RepoServer:
    repo = make_repo(**kwargs)
    for path, data in site.files.items():
        repo.put(path, data)
    return repo


def _services(engine: CatalogHarness, site: Site, tmp_path: Path, rule: str = "report") -> object:
    folder = tmp_path / "trusted-keys"
    import_keys(folder, site.trusted)
    return dataclasses.replace(engine.services, keys_folder=folder, settings=TenantSettings(chart_provenance=rule))


def test_each_version_reads_as_what_it_is_as_helm_verify_judges_it(
    engine: CatalogHarness, make_repo: MakeRepo, site: Site, tmp_path: Path
) -> None:
    repo = _serve(make_repo, site)
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    services = _services(engine, site, tmp_path)
    said = {v: str(chart_provenance(services, registry.id, "web", v)) for v in EXPECTED}  # type: ignore[arg-type]
    for version, text in said.items():
        assert text.startswith(site.expected(version)), (version, text)
    assert repo.requests_for("/web-1.5.0.tgz.prov")  # asked for, and found missing
    # Kept beside the archive (read again from the cache, not the registry), gone with it.
    ref = ChartRef(registry.uid, "web", "1.0.0")
    assert cached_provenance(engine.db, ref) == (True, site.files["/web-1.0.0.tgz.prov"])
    assert cached_provenance(engine.db, ChartRef(registry.uid, "web", "1.5.0")) == (True, None)
    asked = len(repo.requests_for("/web-1.0.0.tgz.prov"))
    assert str(chart_provenance(services, registry.id, "web", "1.0.0")) == said["1.0.0"]  # type: ignore[arg-type]
    assert len(repo.requests_for("/web-1.0.0.tgz.prov")) == asked
    assert discard_archive(engine.db, ref) and cached_provenance(engine.db, ref) == (False, None)

    # Helm itself agrees on each: `helm verify` passes the verified one only.
    keyring = tmp_path / "pubring.gpg"
    keyring.write_bytes(gpg(site.keys["signer"].home, "--export", site.keys["signer"].fingerprint).stdout)
    for version in EXPECTED:
        folder = tmp_path / f"helm-{version}"
        folder.mkdir()
        (folder / f"web-{version}.tgz").write_bytes(site.files[f"/web-{version}.tgz"])
        if f"/web-{version}.tgz.prov" in site.files:
            (folder / f"web-{version}.tgz.prov").write_bytes(site.files[f"/web-{version}.tgz.prov"])
        for helm in (HELM_3, HELM_4):
            done = subprocess.run(
                [str(helm_binary(helm)), "verify", str(folder / f"web-{version}.tgz"), "--keyring", str(keyring)],
                capture_output=True,
                env=helm_environment(tmp_path / "helm-home"),
                timeout=120,
            )
            assert (done.returncode == 0) == (version == "1.0.0"), (helm, version, done.stderr)


def test_under_require_nothing_unverified_is_pinned_kept_offline_or_used(
    engine: CatalogHarness, make_repo: MakeRepo, site: Site, tmp_path: Path
) -> None:
    repo = _serve(make_repo, site)
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    services = _services(engine, site, tmp_path, "require")
    pin_version(services, registry.id, "web", "1.0.0")  # type: ignore[arg-type]
    for version in ("1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0"):
        with pytest.raises(ProvenanceError) as refused:
            pin_version(services, registry.id, "web", version)  # type: ignore[arg-type]
        assert refused.value.message.startswith(f"r/web {version} is {site.expected(version)}")
        assert "(chart_provenance is require), so keeping it offline is refused." in refused.value.message
        assert "\n" not in refused.value.message
    assert [row[0] for row in engine.db.execute("SELECT version FROM pins")] == ["1.0.0"]

    def layer(version: str) -> Layer:
        return Layer(registry.uid, registry.name, registry.endpoint, "web", version)

    saved = save_profile(services, Profile(uid="", name="edge", layers=(layer("1.0.0"),)))  # type: ignore[arg-type]
    with pytest.raises(ProvenanceError, match=r"r/web 1.5.0 is not signed: .* so using it in edge is refused"):
        save_profile(services, dataclasses.replace(saved, layers=(layer("1.0.0"), layer("1.5.0"))))  # type: ignore[arg-type]

    # A profile made before the rule asks for an unsigned version: keeping it offline refuses it.
    save_profile_row(engine.db, Profile(uid="", name="old", layers=(layer("1.3.0"),)), time.time())
    discard_archive(engine.db, ChartRef(registry.uid, "web", "1.3.0"))
    engine.db.execute("DELETE FROM chart_archives WHERE version = '1.3.0'")
    report = keep_offline(services)  # type: ignore[arg-type]
    assert report.fetched == [] and [ref.version for ref, _ in report.failed] == ["1.3.0"]
    assert "signed by an unknown key" in report.failed[0][1]
    assert cached_archive(engine.db, ChartRef(registry.uid, "web", "1.3.0")) is None


def test_the_cli_verifies_shows_and_refuses(run_cli: RunCli, make_repo: MakeRepo, site: Site, tmp_path: Path) -> None:
    repo = _serve(make_repo, site)
    assert run_cli("keys", "import", str(site.trusted)).returncode == 0
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    for version in EXPECTED:
        done = run_cli("verify", "r/web", "--version", version)
        assert done.returncode == (0 if version == "1.0.0" else 1), done.stderr
        assert done.stdout.startswith(f"r/web {version}: {site.expected(version)}")
    shown = run_cli("show", "chart", "r/web", "--version", "1.0.0").stdout
    assert f"# provenance: {site.expected('1.0.0')}\n" in shown
    assert run_cli("settings", "set", "chart_provenance", "require").returncode == 0
    refused = run_cli("pin", "r/web", "--version", "1.5.0")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "web 1.5.0 is not signed" in refused.stderr and "chart_provenance is require" in refused.stderr
    pinned = run_cli("pin", "r/web", "--version", "1.0.0")
    assert pinned.returncode == 0 and f"provenance: {site.expected('1.0.0')}" in pinned.stdout
    unsigned = write_palette_export(tmp_path / "unsigned.json", "r", repo.url, chart="web", tag="1.3.0")
    refused = run_cli("profile", "import", str(unsigned))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "r/web 1.3.0 is signed by an unknown key" in refused.stderr and "using it in x is refused" in refused.stderr
    assert run_cli("profile", "list", "-o", "json").stdout.strip() == "[]"
    signed = write_palette_export(tmp_path / "signed.json", "r", repo.url, chart="web", tag="1.0.0")
    assert run_cli("profile", "import", str(signed)).returncode == 0
    assert run_cli("settings", "set", "chart_provenance", "off").returncode == 0
    assert "# provenance" not in run_cli("show", "chart", "r/web", "--version", "1.0.0").stdout


def test_bundles_carry_the_provenance_layer_and_the_import_checks_it_again(
    run_cli: RunCli, make_repo: MakeRepo, site: Site, tmp_path: Path
) -> None:
    repo = _serve(make_repo, site)
    assert run_cli("keys", "import", str(site.trusted)).returncode == 0
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    for version in ("1.0.0", "1.5.0"):
        assert run_cli("pin", "r/web", "--version", version).returncode == 0
    everything = tmp_path / "everything.tar"
    assert run_cli("bundle", "export", "-o", str(everything)).returncode == 0
    with tarfile.open(everything) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert site.files["/web-1.0.0.tgz.prov"] in members.values()  # Helm's provenance layer, as `helm push` makes it
    manifests = [json.loads(b) for b in members.values() if b.startswith(b"{") and b'"layers"' in b]
    assert any(
        layer["mediaType"] == "application/vnd.cncf.helm.chart.provenance.v1.prov"
        for manifest in manifests
        for layer in manifest["layers"]
    )

    strict = {"CHARTKEEPER_HOME": str(tmp_path / "strict")}
    (tmp_path / "strict").mkdir()
    assert run_cli("keys", "import", str(site.trusted), env=strict).returncode == 0
    assert run_cli("settings", "set", "chart_provenance", "require", env=strict).returncode == 0
    refused = run_cli("bundle", "import", str(everything), env=strict)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "r/web 1.5.0, which is not signed" in refused.stderr and "nothing was imported" in refused.stderr
    assert run_cli("registry", "list", env=strict).stdout.startswith("No registries yet")

    # Exported under require, the unsigned version stays out (and the export says so); the import accepts the rest.
    assert run_cli("settings", "set", "chart_provenance", "require").returncode == 0
    signed_only = tmp_path / "signed.tar"
    refused = run_cli("bundle", "export", "-o", str(signed_only))
    assert (
        refused.returncode == 1 and "r/web 1.5.0: it is not signed, and chart_provenance is require" in refused.stderr
    )
    assert run_cli("bundle", "export", "-o", str(signed_only), "--allow-missing").returncode == 0
    imported = run_cli("bundle", "import", str(signed_only), env=strict)
    assert imported.returncode == 0, imported.stderr
    repo.stop()  # the site has no way to the registry: the verdict comes from what the bundle carried
    verified = run_cli("verify", "r/web", "--version", "1.0.0", env=strict)
    assert verified.returncode == 0 and site.expected("1.0.0") in verified.stdout, verified.stderr


def test_an_oci_chart_is_judged_by_the_provenance_layer_helm_push_made(
    engine: CatalogHarness, site: Site, tmp_path: Path
) -> None:
    registry_server = DistributionRegistry(tmp_path / "oci").start()
    try:
        folder = tmp_path / "push"
        folder.mkdir()
        for version in ("1.0.0", "1.1.0", "1.5.0"):
            (folder / f"web-{version}.tgz").write_bytes(site.files[f"/web-{version}.tgz"])
            if f"/web-{version}.tgz.prov" in site.files:  # helm push sends the .prov it finds beside the archive
                (folder / f"web-{version}.tgz.prov").write_bytes(site.files[f"/web-{version}.tgz.prov"])
            done = subprocess.run(
                [
                    str(helm_binary(HELM_4)),
                    "push",
                    str(folder / f"web-{version}.tgz"),
                    f"oci://{registry_server.endpoint_host}/charts",
                    "--plain-http",
                ],
                capture_output=True,
                text=True,
                env=helm_environment(tmp_path / "helm-home"),
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
        draft = RegistryDraft("o", f"oci://{registry_server.endpoint_host}/charts", kind="oci", plain_http=True)
        registry = engine.register(draft).registry
        services = _services(engine, site, tmp_path)
        said = {v: str(chart_provenance(services, registry.id, "web", v)) for v in ("1.0.0", "1.1.0", "1.5.0")}  # type: ignore[arg-type]
        assert said == {v: site.expected(v) for v in said}
    finally:
        registry_server.stop()


def _helm_signature_packet(prov: bytes) -> tuple[bytes, bytes, bytes]:
    """(the text before the armor, the binary signature packet, the armor's end) of a Helm .prov."""
    head, _, rest = prov.partition(b"-----BEGIN PGP SIGNATURE-----\n\n")
    body, _, _ = rest.partition(b"-----END PGP SIGNATURE-----")
    lines = [line for line in body.split(b"\n") if line and not line.startswith(b"=")]
    return head, base64.b64decode(b"".join(lines)), b"-----END PGP SIGNATURE-----"


def _armored(head: bytes, packet: bytes) -> bytes:
    text = base64.b64encode(packet)
    wrapped = b"\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return head + b"-----BEGIN PGP SIGNATURE-----\n\n" + wrapped + b"\n-----END PGP SIGNATURE-----"


def test_odd_and_hostile_provenance_files_read_as_not_verifying(site: Site) -> None:
    keys = read_public_keys(site.trusted.read_bytes())
    archive, prov = site.files["/web-1.0.0.tgz"], site.files["/web-1.0.0.tgz.prov"]
    assert judge_provenance(archive, prov, "web-1.0.0.tgz", keys).verified
    assert not judge_provenance(archive, prov, "other-1.0.0.tgz", keys).verified  # Helm checks the file's name
    for hostile in (b"", b"garbage", prov[:200], prov.replace(b"-----END PGP SIGNATURE-----", b""), b"\0" * 4096):
        verdict = judge_provenance(archive, hostile, "web-1.0.0.tgz", keys)
        assert verdict.state == "bad-signature" and str(verdict).startswith("signed, but the signature does not verify")

    # Go's openpgp (Helm) may state an RSA signature's length with a leading zero byte: read as Sequoia wants it.
    head, packet, _ = _helm_signature_packet(prov)
    verdict, text = verify_cleartext(prov, keys)
    assert verdict.verified and text.endswith(b".tgz: sha256:" + hashlib.sha256(archive).hexdigest().encode())
    body = packet[3:] if packet[1] >= 192 else packet[2:]
    at = 6 + int.from_bytes(body[4:6], "big")
    at += 2 + int.from_bytes(body[at : at + 2], "big") + 2
    value = body[at + 2 :].lstrip(b"\0")
    padded = body[:at] + ((len(value) + 1) * 8).to_bytes(2, "big") + b"\0" + value
    size = len(padded) - 192
    zero_led = bytes([0xC2, (size >> 8) + 192, size & 0xFF]) + padded
    assert verify_cleartext(_armored(head, zero_led), keys)[0].verified
    with pytest.raises(RuntimeError, match="Not a signature"):  # what Sequoia says of it unrepaired
        pysequoia.Sig.from_bytes(zero_led)

    # A clear-signed text without Helm's files block, signed by a trusted key, vouches for no archive.
    signer = site.keys["signer"]
    bare = gpg(
        signer.home, "--local-user", signer.fingerprint, "--clearsign", input=b"name: web\nversion: 1.0.0\n"
    ).stdout
    verdict = judge_provenance(archive, bare, "web-1.0.0.tgz", keys)
    assert str(verdict) == "signed, but the signature does not verify (the provenance has no files block)"
    # Dash-escaped lines (gpg escapes any line starting with '-') are read as signed.
    dashed = gpg(signer.home, "--local-user", signer.fingerprint, "--clearsign", input=b"-a\n- b\nc  \n").stdout
    verdict, text = verify_cleartext(dashed, keys)
    assert verdict.verified and text == b"-a\n- b\nc  "


class _Quiet:
    """A worker listener that notes nothing (the futures say what happened)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def test_the_window_worker_refuses_an_unsigned_layer_under_require(
    catalog_path: Path, credentials: CredentialStore, make_repo: MakeRepo, site: Site
) -> None:
    repo = _serve(make_repo, site)
    import_keys(trusted_keys_beside(catalog_path), site.trusted)
    worker = BackgroundWorker(catalog_path, credentials, _Quiet())  # type: ignore[arg-type]
    worker.start(schedule=False)
    try:
        registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(30).registry
        worker.save_settings(TenantSettings(chart_provenance="require")).result(10)
        layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "1.5.0")
        with pytest.raises(ProvenanceError, match=r"r/web 1\.5\.0 is not signed"):
            worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(30)
        signed = dataclasses.replace(layer, version="1.0.0")
        assert worker.save_profile(Profile(uid="", name="edge", layers=(signed,))).result(30).name == "edge"
    finally:
        assert worker.stop()


def test_mirroring_pushes_the_provenance_layer_and_require_refuses_the_unsigned(
    run_cli: RunCli, make_repo: MakeRepo, site: Site, tmp_path: Path
) -> None:
    repo = _serve(make_repo, site)
    target = DistributionRegistry(tmp_path / "mirror").start()
    try:
        mirror = f"oci://{target.endpoint_host}/mirror"
        assert run_cli("keys", "import", str(site.trusted)).returncode == 0
        assert run_cli("registry", "add", "r", repo.url).returncode == 0
        done = run_cli("mirror", "r/web", "--version", "1.0.0", mirror, "--plain-http")
        assert done.returncode == 0, done.stderr
        assert run_cli("registry", "add", "m", mirror, "--plain-http").returncode == 0
        verified = run_cli("verify", "m/web", "--version", "1.0.0")  # read back from the mirror's provenance layer
        assert verified.returncode == 0 and site.expected("1.0.0") in verified.stdout, verified.stderr
        assert run_cli("settings", "set", "chart_provenance", "require").returncode == 0
        refused = run_cli("mirror", "r/web", "--version", "1.5.0", mirror, "--plain-http")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
        assert "r/web 1.5.0 is not signed" in refused.stderr and "mirroring it is refused" in refused.stderr
    finally:
        target.stop()
