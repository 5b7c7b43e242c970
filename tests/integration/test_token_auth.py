"""Token authentication (issue 21): a real server that lets in only `Authorization: Bearer <token>`
and refuses a basic login; the token read from standard input, kept in the keyring, sent to the
registry's own origin alone, and found in no log, catalog byte, history, export or bundle."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.catalog.registries import list_registries
from desktop.errors import AuthError, ValidationError
from desktop.net.access import http_access
from desktop.operations.registries import edit_registry
from desktop.registry import RegistryDraft
from tests.conftest import CliResult, one_error_line
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts, simple_index
from tests.support.exports import palette_export, palette_pack, registry_metadata, write_json
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
TOKEN = "ck-tok-7f3e9a2b0c41SECRET"


def _files_holding(folder: Path, secret: bytes) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and secret in path.read_bytes()]


def test_a_token_registry_from_the_command_line_and_nowhere_the_token_leaks(
    run_cli: RunCli, make_repo: MakeRepo, home: Path, tmp_path: Path
) -> None:
    repo = make_repo(bearer=TOKEN)
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}})
    outputs: list[CliResult] = []

    def run(*args: str, **kwargs: object) -> CliResult:
        result = run_cli(*args, **kwargs)
        outputs.append(result)
        return result

    basic = run("registry", "add", "tok", repo.url, "--username", "ops", "--password-stdin", input=TOKEN + "\n")
    assert "refused the username or password" in one_error_line(basic)  # the server takes no basic login
    wrong = run("registry", "add", "tok", repo.url, "--token-stdin", input="not-the-token\n")
    assert "refused the token (401 Unauthorized)" in one_error_line(wrong)
    assert json.loads(run("registry", "list", "-o", "json").stdout) == []
    both = run("registry", "add", "tok", repo.url, "--token-stdin", "--username", "ops", input=TOKEN)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr  # a usage error
    with_password = run("registry", "add", "tok", repo.url, "--token-stdin", "--password-stdin", input=TOKEN)
    assert "exclude each other" in one_error_line(with_password)
    empty = run("registry", "add", "tok", repo.url, "--token-stdin", input="\n")
    assert "No token arrived on standard input" in one_error_line(empty)

    start = len(repo.requests)
    added = run("registry", "add", "tok", repo.url, "--token-stdin", input=TOKEN + "\n")
    assert added.returncode == 0, added.stderr
    synced = run("registry", "sync", "tok")
    assert synced.returncode == 0 and "unchanged (304 Not Modified)" in synced.stdout, synced.stderr
    assert {r.headers.get("authorization") for r in repo.requests[start:]} == {f"Bearer {TOKEN}"}
    listing = json.loads(run("registry", "list", "-o", "json").stdout)
    assert [(r["name"], r["auth"]) for r in listing] == [("tok", "token")]
    assert "token" in run("registry", "list").stdout
    run("registry", "history", "tok", "--changes")

    # A profile from it, exported both ways, and a bundle with its chart (downloaded with the token).
    document = palette_export("edge", [palette_pack("web", "1.0.0", registry_metadata("tok"))])
    assert run("profile", "import", str(write_json(tmp_path / "in.json", document))).returncode == 0
    palette = run("profile", "export", "edge", "-o", str(tmp_path / "edge.json"))
    assert palette.returncode == 0, palette.stderr
    assert "Registry tok takes a token: add it in Palette with credential type Token" in palette.stderr
    pack = json.loads((tmp_path / "edge.json").read_text())["spec"]["template"]["packs"][0]
    assert pack["registry"]["metadata"]["credentialType"] == "token"
    helmfile = run("profile", "export", "edge", "--format", "helmfile", "-o", str(tmp_path / "helmfile.yaml"))
    assert helmfile.returncode == 0, helmfile.stderr
    header = (tmp_path / "helmfile.yaml").read_text()
    assert "repository tok: needs a token (Authorization: Bearer), which helmfile cannot send" in header
    assert "TOK_PASSWORD to the token" in header and "chartkeeper mirror --profile edge oci://" in header
    bundle = run("bundle", "export", "-o", str(tmp_path / "site.tar"), "--charts", "profiles")
    assert bundle.returncode == 0, bundle.stderr
    archives = [r for r in repo.requests if r.path.endswith("web-1.0.0.tgz")]
    assert archives and archives[-1].headers.get("authorization") == f"Bearer {TOKEN}"  # read from the keyring

    secret = TOKEN.encode()
    assert _files_holding(home, secret) == []  # logs, the catalog and its WAL, caches
    assert _files_holding(tmp_path, secret) == []  # the exports and the bundle
    assert all(TOKEN not in result.stdout + result.stderr for result in outputs)
    assert (home / "data" / "catalog.sqlite3").stat().st_size > 0 and (tmp_path / "site.tar").stat().st_size > 0

    removed = run("registry", "remove", "tok")
    assert removed.returncode == 0, removed.stderr


def test_a_redirect_to_another_host_gets_no_token(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    elsewhere = make_repo(host="127.0.0.2")
    elsewhere.put("/index.yaml", simple_index({"nginx": ["1.0.0"]}))
    repo = make_repo(bearer=TOKEN)
    repo.redirects["/index.yaml"] = (302, elsewhere.url + "/index.yaml")
    result = engine.register(RegistryDraft("moved", repo.url, password=TOKEN, token_auth=True))
    assert result.ok
    assert [r.headers.get("authorization") for r in repo.requests] == [f"Bearer {TOKEN}"]
    assert elsewhere.requests and all("authorization" not in r.headers for r in elsewhere.requests)
    registry = list_registries(engine.db)[0]
    assert (registry.auth, registry.username, registry.is_private) == ("token", None, True)
    assert engine.credentials.get_password(registry.uid) == TOKEN  # in the keyring, like a password
    assert TOKEN not in repr(http_access(registry, TOKEN))
    assert TOKEN not in repr(RegistryDraft("x", "y", password=TOKEN, token_auth=True))


def test_a_token_stays_home_even_where_the_tenant_lets_logins_travel(make_repo: MakeRepo) -> None:
    """Credentials to other hosts (Tenant settings) is for a username and password, as Helm's
    --pass-credentials: a chart on another host never gets the token."""
    from desktop.net.client import RegistryAccess, RegistryHttp
    from desktop.net.settings import NetworkSettings

    elsewhere = make_repo(host="127.0.0.2")
    elsewhere.put("/web-1.0.0.tgz", b"archive")
    repo = make_repo(bearer=TOKEN)
    repo.redirects["/web-1.0.0.tgz"] = (307, elsewhere.url + "/web-1.0.0.tgz")
    settings = NetworkSettings(timeout=5, credentials_to_other_hosts=True)
    with RegistryHttp(RegistryAccess(repo.url, token=TOKEN), settings) as client:
        assert client.get(repo.url + "/web-1.0.0.tgz", max_bytes=1024, what="chart").body == b"archive"
        assert client.may_send_credentials(repo.url + "/index.yaml")
    assert repo.requests[0].headers.get("authorization") == f"Bearer {TOKEN}"
    assert all("authorization" not in r.headers for r in elsewhere.requests)
    with RegistryHttp(RegistryAccess(repo.url, "ops", "pw"), settings) as login:  # a login does travel
        assert login.may_send_credentials(elsewhere.url + "/web-1.0.0.tgz")


def test_switching_between_a_password_and_a_token_needs_the_new_secret(
    engine: CatalogHarness, make_repo: MakeRepo
) -> None:
    repo = make_repo(bearer=TOKEN)
    repo.put("/index.yaml", simple_index({"nginx": ["1.0.0"]}))
    registry = engine.register(RegistryDraft("tok", repo.url, password=TOKEN, token_auth=True)).registry
    # Kept: editing with the token field empty keeps the one in the keyring, and it still works.
    moved = RegistryDraft("tok", repo.url + "/", token_auth=True, keep_password=True)
    assert edit_registry(engine.services, registry.id, moved).endpoint == repo.url + "/"
    # A password is no token: switching to a login without giving its password is refused, nothing sent.
    before = len(repo.requests)
    with pytest.raises(ValidationError, match="Give the password for 'ops'"):
        edit_registry(engine.services, registry.id, RegistryDraft("tok", repo.url, username="ops", keep_password=True))
    assert len(repo.requests) == before
    with pytest.raises(AuthError, match="refused the token"):
        edit_registry(engine.services, registry.id, RegistryDraft("tok", repo.url, password="old", token_auth=True))
    assert engine.credentials.get_password(registry.uid) == TOKEN  # a refused token does not replace it
    # Back to no login: the token leaves the keyring.
    repo.bearer = None
    plain = edit_registry(engine.services, registry.id, RegistryDraft("tok", repo.url))
    assert plain.auth == "none" and engine.credentials.get_password(registry.uid) is None


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (RegistryDraft("t", "https://x.example", token_auth=True), "Give the token"),
        (RegistryDraft("t", "https://x.example", username="u", password="p", token_auth=True), "without a username"),
        (RegistryDraft("t", "https://x.example", password="two words", token_auth=True), "spaces"),
        (RegistryDraft("t", "https://x.example", password="tökén", token_auth=True), "non-ASCII"),
    ],
)
def test_a_token_draft_is_checked(draft: RegistryDraft, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        draft.cleaned()
