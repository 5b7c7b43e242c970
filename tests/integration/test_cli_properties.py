"""Property-based tests over what users and files hand the CLI (issue 8 §4): whatever the arguments,
index bytes, repositories.yaml or certificate file, a command ends with exit status 0, 1 or 2, at
most one `error:` line, no traceback, and in bounded time. The commands run in this process
(`desktop.cli.main`) so that hundreds of examples stay quick; the catalog, the keyring and the
servers are real."""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.cli import main
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

EXAMPLES = 60
BOUND_SECONDS = 20.0  # wide: a bound on hangs, not a speed measurement


@pytest.fixture(scope="module")
def repo() -> Iterator[RepoServer]:
    server = RepoServer().start()
    server.put("/index.yaml", simple_index({"web": ["1.0.0", "1.1.0"], "db": ["2.0.0"]}))
    yield server
    server.stop()


@pytest.fixture
def cli(home: Path, secret_service: object, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("CHARTKEEPER_HOME", str(home))

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors and --help
                code = exit_.code if isinstance(exit_.code, int) else 2
        assert time.monotonic() - started < BOUND_SECONDS, args
        return code, out.getvalue(), err.getvalue()

    return run


def assert_one_clear_line(code: int, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stderr)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert stderr.count("error:") <= 1, stderr


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=80,
)
numbers = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e400", "99999999999999999999", "1.5", "", " ", "0x10"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    texts,
)
endpoints = st.one_of(
    st.sampled_from(
        [
            "http://[::1/x/",
            "http://999.999.999.999/",
            "oci://[::1/x",
            "oci://999.999.999.999/x",
            "http://host:0/",
            "http://host:99999/",
            "ftp://bob:hunter2@host/",
            "http://bob:hunter2@127.0.0.1:1/",
            "https://-bad-/",
            "oci://UPPER/Case",
            "http://",
            "://",
            "http://127.0.0.1:1/?token=secret",
        ]
    ),
    st.builds(lambda scheme, rest: f"{scheme}://{rest}", st.sampled_from(["http", "https", "oci", "file"]), texts),
)
settings_profile = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings_profile
@given(endpoint=endpoints, name=st.one_of(st.just("ok"), texts))
def test_registry_add_with_any_name_and_endpoint(
    cli: Callable[..., tuple[int, str, str]], endpoint: str, name: str
) -> None:
    code, _, stderr = cli("registry", "add", name or "x", endpoint, "--max-index-size", "1")
    assert_one_clear_line(code, stderr)
    assert code != 0 or "error:" not in stderr
    assert "hunter2" not in stderr and "secret" not in stderr


@settings_profile
@given(value=numbers)
def test_number_options_refuse_nonsense_as_usage(cli: Callable[..., tuple[int, str, str]], value: str) -> None:
    for args in (
        ("registry", "history", "nothing", "--limit", value),
        ("registry", "sync", "nothing", "--max-index-size", value),
        ("registry", "prune", "nothing", "--older-than", value),
        ("settings", "set", "request_timeout_seconds", value),
        ("settings", "set", "shrink_threshold_percent", value),
    ):
        code, _, stderr = cli(*args)
        assert_one_clear_line(code, stderr)


@settings_profile
@given(keyword=st.one_of(texts, st.text(max_size=60_000).map(lambda t: t * 2)), constraint=st.one_of(st.none(), texts))
def test_search_with_any_keyword_and_constraint(
    cli: Callable[..., tuple[int, str, str]], keyword: str, constraint: str | None
) -> None:
    args = ["search", keyword, "--versions"]
    if constraint is not None:
        args += ["--version", constraint]
    code, _, stderr = cli(*args)
    assert_one_clear_line(code, stderr)


index_bytes = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda head, cut, tail: head[:cut] + tail,
        st.just(simple_index({"web": ["1.0.0", "1.1.0"], "db": ["2.0.0"]})),
        st.integers(min_value=0, max_value=600),
        st.binary(max_size=50),
    ),
    st.sampled_from(
        [
            b"\xef\xbb\xbfapiVersion: v1\r\nentries: {}\r\n",
            b"apiVersion: v1\nentries:\n  a: &x [*x]\n",
            b"apiVersion: v1\nentries:\n  a:\n  - version: [1, 2]\n    name: a\n",
            b"[" * 100_000,
            b"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n  a:\n  - name: a\n",
        ]
    ),
)


@settings_profile
@given(body=index_bytes)
def test_registering_any_index_bytes(cli: Callable[..., tuple[int, str, str]], body: bytes) -> None:
    server = RepoServer(gzip_responses=False).start()
    try:
        server.put("/index.yaml", body)
        code, _, stderr = cli("registry", "add", "fuzz", server.url)
        assert_one_clear_line(code, stderr)
        if code == 0:
            assert_one_clear_line(*cli("registry", "remove", "fuzz")[::2])
    finally:
        server.stop()


@settings_profile
@given(content=st.one_of(st.binary(max_size=3000), texts.map(str.encode)))
def test_any_repositories_file_is_reported_per_repository(
    cli: Callable[..., tuple[int, str, str]], tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("helm") / "repositories.yaml"
    path.write_bytes(content)
    code, _, stderr = cli("registry", "import-helm", str(path))
    assert_one_clear_line(code, stderr)


@settings_profile
@given(content=st.binary(max_size=3000))
def test_any_certificate_file_is_read_or_refused(
    cli: Callable[..., tuple[int, str, str]], tmp_path_factory: pytest.TempPathFactory, content: bytes, repo: RepoServer
) -> None:
    path = tmp_path_factory.mktemp("cert") / "ca.pem"
    path.write_bytes(content)
    code, _, stderr = cli("registry", "add", "c", repo.url, "--ca-file", str(path))
    assert_one_clear_line(code, stderr)


def test_unreadable_inputs_end_at_once(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, repo: RepoServer
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (
        ("registry", "add", "c", repo.url, "--ca-file", "/dev/zero"),
        ("registry", "add", "c", repo.url, "--ca-file", str(fifo)),
        ("registry", "add", "c", repo.url, "--ca-file", str(tmp_path)),
        ("registry", "import-helm", "/dev/zero"),
        ("registry", "import-helm", str(fifo)),
        ("profile", "import", "/dev/zero"),
        ("profile", "import", str(fifo)),
    ):
        code, _, stderr = cli(*args)
        assert code == 1 and stderr.startswith("error:"), (args, stderr)
        assert_one_clear_line(code, stderr)
    code, _, stderr = cli("registry", "add", "p", repo.url, "--username", "u", "--password-stdin", stdin="x" * 70_000)
    assert code == 1 and "longer than 64 KiB" in stderr


def test_a_password_in_an_endpoint_is_never_echoed(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, stdout, stderr = cli("registry", "add", "x", "ftp://bob:hunter2@host/")
    assert code == 1 and "hunter2" not in stdout + stderr and "bob:***@host" in stderr


def test_a_proxy_password_is_never_kept_in_the_catalog(cli: Callable[..., tuple[int, str, str]], home: Path) -> None:
    code, stdout, stderr = cli("settings", "set", "proxy", "http://carol:hunter2@proxy.example:3128")
    assert code == 1 and "hunter2" not in stdout + stderr and "HTTPS_PROXY" in stderr
    assert cli("settings", "set", "proxy", "http://carol@proxy.example:3128")[0] == 0  # a user name alone is no secret
    catalog = home / "data" / "catalog.sqlite3"
    for path in catalog.parent.iterdir():  # the file, its WAL and free pages included
        assert b"hunter2" not in path.read_bytes(), path
    import sqlite3

    with contextlib.closing(sqlite3.connect(catalog)) as db, db:  # what an earlier version may have stored
        db.execute("UPDATE settings SET value = ? WHERE key = 'proxy'", ('"http://carol:hunter2@proxy.example:3128"',))
    code, stdout, stderr = cli("settings")
    assert code == 0 and "hunter2" not in stdout + stderr


def test_help_for_every_command_is_clean(cli: Callable[..., tuple[int, str, str]]) -> None:
    from desktop.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        code, stdout, stderr = cli(name, "--help")
        assert code == 0 and stdout and not stderr


# --- Helm's repositories.yaml as an adversary writes it ---------------------------------------------

_BOMB = 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
repository_entries = st.fixed_dictionaries(
    {},
    optional={
        key: yaml_values
        for key in ("name", "url", "username", "password", "caFile", "certFile", "insecure_skip_tls_verify")
    },
)


@settings_profile
@given(entries=st.lists(repository_entries, max_size=4))
def test_any_repositories_entries_are_reported_per_repository(
    cli: Callable[..., tuple[int, str, str]], tmp_path_factory: pytest.TempPathFactory, entries: list[dict[str, object]]
) -> None:
    import yaml

    path = tmp_path_factory.mktemp("helm") / "repositories.yaml"
    path.write_text(yaml.safe_dump({"repositories": entries}), encoding="utf-8")
    code, _, stderr = cli("registry", "import-helm", str(path))
    assert_one_clear_line(code, stderr)


@pytest.mark.parametrize(
    "entry",
    [
        "- name: bomb\n  url: *i\n",  # str() of it would be 9**9 strings long
        "- name: *i\n  url: http://127.0.0.1:1/\n",
        "- name: bomb\n  url: http://127.0.0.1:1/\n  password: *i\n  username: u\n",
        "- name: home\n  url: http://127.0.0.1:1/\n  caFile: ~no-such-user-here/ca.pem\n",
        '- name: nul\n  url: http://127.0.0.1:1/\n  caFile: "ca\\0.pem"\n',
    ],
    ids=["alias-bomb-url", "alias-bomb-name", "alias-bomb-password", "unknown-home", "nul-in-path"],
)
def test_a_hostile_repositories_entry_is_one_failed_line(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, entry: str
) -> None:
    path = tmp_path / "repositories.yaml"
    path.write_text(_BOMB + "repositories:\n" + entry, encoding="utf-8")
    code, stdout, stderr = cli("registry", "import-helm", str(path))
    assert code == 1 and not stderr, stderr
    assert len(stdout.splitlines()) == 2 and "\tfailed\t" in stdout and len(stdout) < 2000, stdout


def test_a_quoted_false_keeps_the_certificate_check(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, make_repo: Callable[..., RepoServer]
) -> None:
    """Helm reads `insecure_skip_tls_verify` as a boolean; the text 'false' must not turn the check off."""
    server = make_repo(tls=True)  # signed by the tests' CA, which this machine does not trust
    server.put("/index.yaml", simple_index({"web": ["1.0.0"]}))
    path = tmp_path / "repositories.yaml"
    path.write_text(f"repositories:\n- name: tls\n  url: {server.url}\n  insecure_skip_tls_verify: 'false'\n")
    code, stdout, _ = cli("registry", "import-helm", str(path))
    assert code == 1 and "unknown authority" in stdout, stdout
