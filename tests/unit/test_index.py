"""Index parsing: exact versions, every Helm field, invalid entries skipped, hostile input refused."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.errors import IndexFormatError
from desktop.helm.index import ChartDocument, IndexEntry, ParsedIndex, parse_index
from desktop.helm.metadata import entry_metadata, load_chart_document
from desktop.helm.versions import newest_first
from tests.support.charts import chart_entry, index_yaml


def _metadata(parsed: ParsedIndex, chart: str, version: str) -> dict:
    document = next(d for d in parsed.charts if d.name == chart)
    entry = next(e for e in document.entries if e.version.text == version)
    return entry_metadata(load_chart_document(document.json)[entry.position])


def _versions(parsed: ParsedIndex) -> dict[str, list[str]]:
    return {doc.name: [e.version.text for e in doc.entries] for doc in parsed.charts}


def test_version_strings_stay_exactly_as_written() -> None:
    parsed = parse_index(b"""apiVersion: v1
entries:
  demo:
  - name: demo
    version: 1.10
    appVersion: 0.6
    kubeVersion: 1.
  - name: demo
    version: 0.6
    appVersion: 1.24.001
  - name: demo
    version: '1.0'
    appVersion: 010
""")
    assert _versions(parsed) == {"demo": ["1.10", "0.6", "1.0"]}
    assert _metadata(parsed, "demo", "1.10")["appVersion"] == "0.6"
    assert _metadata(parsed, "demo", "1.10")["kubeVersion"] == "1."
    assert _metadata(parsed, "demo", "0.6")["appVersion"] == "1.24.001"
    assert _metadata(parsed, "demo", "1.0")["appVersion"] == "010"


def test_every_helm_field_is_kept() -> None:
    entry = chart_entry(
        "web",
        "2.1.0",
        keywords=["http", "proxy"],
        home="https://web.example",
        sources=["https://git.example/web"],
        maintainers=[{"name": "Ana", "email": "ana@example.com", "url": "https://ana.example"}],
        icon="https://web.example/icon.svg",
        deprecated=True,
        kubeVersion=">=1.23.0-0",
        dependencies=[
            {
                "name": "common",
                "version": "2.x.x",
                "repository": "oci://r.example/c",
                "condition": "common.enabled",
                "tags": ["infra"],
                "alias": "base",
            }
        ],
        annotations={"category": "Networking", "licenses": "Apache-2.0"},
    )
    meta = _metadata(parse_index(index_yaml({"web": [entry]})), "web", "2.1.0")
    for key, value in entry.items():
        assert meta[key] == value, key


def test_invalid_versions_are_skipped_with_warnings_as_helm_does() -> None:
    parsed = parse_index(
        index_yaml(
            {
                "good": [chart_entry("good", "1.0.0"), chart_entry("good", "latest"), {"name": "good"}],
                "typed": [chart_entry("typed", "1.0.0", type="plugin")],
                "slashed": [chart_entry("../evil", "1.0.0")],
                "notalist": {"name": "x"},  # type: ignore[dict-item]
                "nulls": [None],  # type: ignore[list-item]
            }
        )
    )
    assert _versions(parsed) == {"good": ["1.0.0"], "typed": [], "slashed": [], "nulls": []}
    assert parsed.skipped == 6
    text = "\n".join(parsed.warnings)
    assert "'latest' is invalid" in text
    assert "version is required" in text
    assert "must be application or library" in text
    assert "'../evil' is invalid" in text
    assert "not a list of versions" in text


def test_the_json_form_is_read_too() -> None:
    document = {"apiVersion": "v1", "entries": {"api": [chart_entry("api", "1.2.3")]}, "generated": "x"}
    parsed = parse_index(json.dumps(document).encode())
    assert _versions(parsed) == {"api": ["1.2.3"]}
    assert _metadata(parsed, "api", "1.2.3")["description"] == "A Helm chart for api"


def test_yaml_aliases_in_a_normal_index_are_resolved() -> None:
    parsed = parse_index(b"""apiVersion: v1
entries:
  a:
  - &base
    name: a
    version: 1.0.0
    description: shared
    keywords: [x, y]
  - <<: *base
    version: 1.1.0
""")
    assert _versions(parsed) == {"a": ["1.0.0", "1.1.0"]}
    assert _metadata(parsed, "a", "1.1.0")["description"] == "shared"


@pytest.mark.timeout(10)
def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = [b"apiVersion: v1", b"a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 12):
        refs = ", ".join([f"*a{level - 1}"] * 9).encode()
        lines.append(f"a{level}: &a{level} [".encode() + refs + b"]")
    lines.append(b"entries:\n  bomb:\n  - name: bomb\n    version: 1.0.0\n    description: *a11")
    started = time.monotonic()
    with pytest.raises(IndexFormatError, match="excessive aliasing"):
        parse_index(b"\n".join(lines))
    assert time.monotonic() - started < 5


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "nested",
    [b" " + b"[" * 5000 + b"]" * 5000 + b"\n", b"\n" + b"".join(b"        " + b"  " * i + b"k:\n" for i in range(200))],
)
def test_deep_nesting_skips_the_version_in_bounded_time(nested: bytes) -> None:
    body = (
        b"apiVersion: v1\nentries:\n  deep:\n  - name: deep\n    version: 1.0.0\n    annotations:\n"
        b"      x:" + nested + b"  - name: deep\n    version: 2.0.0\n"
    )
    parsed = parse_index(body)
    assert _versions(parsed) == {"deep": ["2.0.0"]}
    assert parsed.warnings == ["skipped a version of chart 'deep': The index nests deeper than 60 levels."]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"apiVersion: v1\nentries:\n  x: [\xff\xfe]\n", "not UTF-8"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "HTML page"),
        (b'{"error": "token expired", "code": 401}', 'it says error: "token expired"'),
        (b"entries:\n  a: []\n", "no apiVersion"),
        (b"- just\n- a list\n", "not a Helm index"),
        (b"apiVersion: v1\nentries:\n  a:\n    - name: a\n   bad: indent\n", "not valid YAML (line"),
        (b"apiVersion: v1\nentries: [1, 2]\n", "not a mapping of chart names"),
    ],
)
def test_input_that_is_not_an_index_gets_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(IndexFormatError) as caught:
        parse_index(body)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"\x00\x01 :\n\x00", "(line 2, column 1: incorrect indentation?)"), (b"- a\nb: c\n", "malformed")],
)
def test_a_yaml_error_is_one_sentence_without_a_second_error_label(body: bytes, reason: str) -> None:
    with pytest.raises(IndexFormatError) as caught:
        parse_index(body)
    assert reason in caught.value.message
    assert "error" not in caught.value.message.lower()


def test_truncated_gzip_bytes_are_not_an_index() -> None:
    data = gzip.compress(index_yaml({"a": [chart_entry("a", "1.0.0")]}))[:40]
    with pytest.raises(IndexFormatError):
        parse_index(data)


def test_unicode_escapes_and_unprintable_text_are_made_safe() -> None:
    parsed = parse_index(
        b"apiVersion: v1\nentries:\n  u:\n  - name: u\n    version: 1.0.0\n"
        b'    description: "emoji \\ud83d\\ude00 and\\ttab, lone \\ud800 end"\n'
    )
    description = _metadata(parsed, "u", "1.0.0")["description"]
    assert description.startswith("emoji ") and "tab" in description
    description.encode("utf-8")  # no lone surrogates survive
    assert "\t" not in description  # Helm turns whitespace into spaces


def test_multi_document_files_use_the_first_document() -> None:
    parsed = parse_index(index_yaml({"a": [chart_entry("a", "1.0.0")]}) + b"---\napiVersion: v1\nentries: {}\n")
    assert _versions(parsed) == {"a": ["1.0.0"]}


def _random_scalar(rng: random.Random) -> str:
    # (YAML's null spellings are left out: Helm reads them as empty, BaseLoader as text)
    pool = [
        "1.10",
        "0.6",
        "010",
        "1e3",
        "yes",
        "no",
        "on",
        "true",
        "2022-01-01",
        "12:30",
        "0x1F",
        "-.inf",
        ".nan",
        "+1",
        "1_000",
        "1.",
        ".5",
        "plain text",
        "Björn 日本",
        "a: b",
        "x #y",
        "'quoted'",
        '"dq \\t"',
        "*star",
        "&amp",
        "- dash",
        "[x]",
        "{y}",
        "",
        " lead",
        "trail ",
        "100%",
    ]
    return rng.choice(pool)


def test_string_fields_match_pyyaml_base_loader_on_tricky_scalars() -> None:
    """PyYAML's BaseLoader keeps every scalar as text, like Helm's typed decoding does for strings."""
    rng = random.Random(11)
    charts = {}
    for index in range(60):
        name = f"c{index}"
        entries = []
        for position in range(3):
            fields = {
                "description": _random_scalar(rng),
                "appVersion": _random_scalar(rng),
                "home": _random_scalar(rng),
            }
            entries.append({"name": name, "version": f"1.{position}.0", **fields})
        charts[name] = entries
    body = index_yaml(charts)
    expected = yaml.load(body, Loader=yaml.BaseLoader)["entries"]
    parsed = parse_index(body)
    for name, entries in expected.items():
        for entry in entries:
            meta = _metadata(parsed, name, entry["version"])
            for key in ("description", "appVersion", "home"):
                assert meta.get(key, "") == entry[key].replace("\t", " "), (name, key, entry[key])


def test_plain_scalars_keep_their_text_like_helms_typed_decoding() -> None:
    scalars = [
        "1.10",
        "0.6",
        "010",
        "1e3",
        "yes",
        "no",
        "on",
        "true",
        "False",
        "2022-01-01",
        "12:30",
        "0x1F",
        "-.inf",
        ".nan",
        "+1",
        "1_000",
        "1.",
        ".5",
        "-0",
        "1e+3",
        "plain text",
        "Björn 日本",
        "100%",
    ]
    lines = ["apiVersion: v1", "entries:", "  p:"]
    for position, scalar in enumerate(scalars):
        lines += [
            "  - name: p",
            f"    version: 1.0.{position}",
            f"    description: {scalar}",
            f"    appVersion: {scalar}",
        ]
    parsed = parse_index("\n".join(lines).encode())
    base = yaml.load("\n".join(lines), Loader=yaml.BaseLoader)["entries"]["p"]
    for position, scalar in enumerate(scalars):
        meta = _metadata(parsed, "p", f"1.0.{position}")
        assert meta["appVersion"] == scalar == base[position]["appVersion"]
        assert meta["description"] == scalar


def test_null_scalars_read_as_empty_text_as_in_helm() -> None:
    parsed = parse_index(
        b"apiVersion: v1\nentries:\n  n:\n  - name: n\n    version: 1.0.0\n"
        b"    description: ~\n    appVersion: null\n    home:\n"
    )
    meta = _metadata(parsed, "n", "1.0.0")
    assert "description" not in meta and "appVersion" not in meta and "home" not in meta


def _whole(data: bytes) -> ParsedIndex:
    from desktop.helm.index import _from_yaml
    from desktop.helm.yaml_tree import YamlTree, quiet_native_errors

    with quiet_native_errors():
        return _from_yaml(YamlTree(data))


def _summary(parsed: ParsedIndex) -> list[tuple[str, list[tuple[str, int]], list[object]]]:
    return [
        (d.name, [(e.version.text, e.position) for e in d.entries], load_chart_document(d.json)) for d in parsed.charts
    ]


@pytest.mark.parametrize(
    "body",
    [
        index_yaml(
            {
                f"c{i}": [
                    chart_entry(f"c{i}", f"1.{j}.0", description="line one\nline two\n  indented: no key")
                    for j in range(3)
                ]
                for i in range(40)
            }
        ),
        b"""# a comment before
apiVersion: v1
entries:
  # comment inside entries
  first:
    - name: first
      version: 1.0.0
      description: |
        block scalar
          with: a colon line
    - name: first
      version: 0.9.0
  "quoted-chart":
  - name: quoted-chart
    version: 2.0.0
  inline: [{name: inline, version: 3.0.0}]
  last:
  - name: last
    version: 4.0.0

generated: "2026-01-01T00:00:00Z"
serverInfo: {}
""",
    ],
)
def test_reading_chart_by_chart_gives_what_reading_it_whole_gives(body: bytes) -> None:
    from desktop.helm.index_splitter import split_index

    assert split_index(body) is not None  # the usual layout: the piecewise path is taken
    assert _summary(parse_index(body)) == _summary(_whole(body))


def test_unusual_layouts_are_read_whole() -> None:
    from desktop.helm.index_splitter import split_index

    assert split_index(b"apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0}]}\n") is None
    flow = b"apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0}]}\n"
    assert _versions(parse_index(flow)) == {"a": ["1.0.0"]}


# --- Helm's own index cases, reproduced by small fixtures (tests/unit/data/helm_index) -------------

HELM_FIXTURES = Path(__file__).parent / "data" / "helm_index"
HELM_CASES: dict[str, Any] = json.loads((HELM_FIXTURES / "expectations.json").read_text())["cases"]


def _entry(parsed: ParsedIndex, chart: str, version: str) -> tuple[ChartDocument, IndexEntry]:
    document = next(d for d in parsed.charts if d.name == chart)
    return document, next(e for e in document.entries if e.version.text == version)


def _check_helm_case(parsed: ParsedIndex, case: dict[str, Any]) -> None:
    newest = {d.name: [v.text for v in newest_first([e.version for e in d.entries])] for d in parsed.charts}
    assert newest == case["versions"]
    for listed in case.get("listed", []):
        _, entry = _entry(parsed, listed["chart"], listed["version"])
        assert entry.description == listed["description"]
        assert entry.app_version == listed.get("app_version", "")
    for fetched in case.get("fetched", []):
        document, entry = _entry(parsed, fetched["chart"], fetched["version"])
        assert load_chart_document(document.json)[entry.position]["urls"][0] == fetched["url"]
    for expected in case.get("metadata", []):
        meta = _metadata(parsed, expected["chart"], expected["version"])
        assert {key: meta.get(key) for key in expected["fields"]} == expected["fields"]
    text = "\n".join(parsed.warnings)
    for warning in case["warnings"]:
        assert warning in text
    assert parsed.skipped == case["skipped"]


@pytest.mark.parametrize("name", sorted(HELM_CASES))
def test_helms_index_cases(name: str) -> None:
    _check_helm_case(parse_index((HELM_FIXTURES / name).read_bytes()), HELM_CASES[name])


@pytest.mark.parametrize("name", ["unordered.yaml", "duplicate-chart-key.yaml", "duplicate-version.yaml"])
def test_an_index_with_a_byte_order_mark_and_crlf_line_ends_reads_as_helm_reads_it(name: str) -> None:
    """Issue 8, section 7: editors on Windows write both; rapidyaml alone refused the pair."""
    body = b"\xef\xbb\xbf" + (HELM_FIXTURES / name).read_bytes().replace(b"\n", b"\r\n")
    _check_helm_case(parse_index(body), HELM_CASES[name])


@pytest.mark.parametrize(
    "body",
    [
        b"apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0}]}\nentries: {b: [{name: b, version: 2.0.0}]}\n",
        b'{"apiVersion": "v1", "entries": {"a": [{"name": "a", "version": "1.0.0"}]},'
        b' "entries": {"b": [{"name": "b", "version": "2.0.0"}]}}',
    ],
)
def test_an_index_with_two_entries_blocks_keeps_both(body: bytes) -> None:
    parsed = parse_index(body)
    assert _versions(parsed) == {"a": ["1.0.0"], "b": ["2.0.0"]}
    assert "2 'entries' blocks" in parsed.warnings[0]
    assert parsed.skipped == 0


def test_a_chart_listed_twice_in_pieces_is_merged_with_exact_numbers_kept() -> None:
    body = (
        b"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.10\n    appVersion: 0.6\n"
        b"  b:\n  - name: b\n    version: 1.0.0\n  a:\n  - name: a\n    version: 1.9\n"
    )
    from desktop.helm.index_splitter import split_index

    assert split_index(body) is not None  # the usual layout: charts are read one piece at a time
    parsed = parse_index(body)
    assert _versions(parsed) == {"a": ["1.10", "1.9"], "b": ["1.0.0"]}
    assert _metadata(parsed, "a", "1.10")["appVersion"] == "0.6"
    assert _metadata(parsed, "a", "1.9")["version"] == "1.9"


@pytest.mark.parametrize(
    ("body", "versions"),
    [
        (b"apiVersion: v1\nentries:\n", {}),
        (b"apiVersion: v1\nentries:\ngenerated: x\n", {}),
    ],
)
def test_entries_with_nothing_in_them_is_an_empty_index_as_in_helm(body: bytes, versions: dict) -> None:
    assert _versions(parse_index(body)) == versions


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("version", "[1, 2]", "chart.metadata.version must be text, not a list"),
        ("version", "{a: 1}", "chart.metadata.version must be text, not a mapping"),
        ("name", "[x]", "chart.metadata.name must be text, not a list"),
        ("maintainers", "[~]", "maintainers must not contain empty or null nodes"),
        ("maintainers", "[ana]", "maintainers must hold mappings, not 'ana'"),
        ("dependencies", "[[x]]", "dependencies must hold mappings, not a list"),
        ("dependencies", "[{name: db, alias: [x]}]", "has disallowed characters in the alias"),
        ("dependencies", "[{name: db, alias: 'a.b'}]", "dependency 'db' has disallowed characters in the alias"),
    ],
)
def test_entries_helm_would_not_load_are_skipped_with_one_warning(field: str, value: str, reason: str) -> None:
    body = f"apiVersion: v1\nentries:\n  c:\n  - name: c\n    version: 2.0.0\n    {field}: {value}\n"
    body += "  - name: c\n    version: 1.0.0\n"
    parsed = parse_index(body.encode())
    assert _versions(parsed) == {"c": ["1.0.0"]}
    assert parsed.skipped == 1
    assert reason in parsed.warnings[0]


@pytest.mark.parametrize("alias", ["''", "~", "null", "ok_alias-1", "123"])
def test_dependency_aliases_helm_allows_keep_the_entry(alias: str) -> None:
    body = "apiVersion: v1\nentries:\n  c:\n  - name: c\n    version: 1.0.0\n"
    body += f"    dependencies: [{{name: db, alias: {alias}}}]\n"
    parsed = parse_index(body.encode())
    assert _versions(parsed) == {"c": ["1.0.0"]}
    assert parsed.warnings == []


_YAML_PIECES = st.sampled_from(
    ["apiVersion: v1\n", "entries:\n", "  a:\n", "  - name: a\n", "    version: 1.0.0\n", "    version: [1, 2]\n",
     "    maintainers: [~]\n", "    dependencies: [{alias: 'x y'}]\n", "  - null\n", "  -\n", "\r\n", "\ufeff", "- ",
     "&x ", "*x ", "{", "}", "[", "]", ": ", "'", '"', "#", "\t", "\x00", "é", "1.10", "~", "entries: {}\n"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(pieces=st.lists(_YAML_PIECES, max_size=24))
def test_any_index_bytes_either_parse_or_are_one_clear_error(pieces: list[str]) -> None:
    body = "".join(pieces).encode()
    try:
        parsed = parse_index(body)
    except IndexFormatError as exc:
        assert "\n" not in exc.message
        return
    for document in parsed.charts:
        load_chart_document(document.json)


def test_json_keeps_the_last_of_a_repeated_key_inside_an_entry_as_go_does() -> None:
    body = b'{"apiVersion": "v1", "entries": {"a": [{"name": "a", "version": "1.0.0", "version": "2.0.0"}]}}'
    parsed = parse_index(body)
    assert _versions(parsed) == {"a": ["2.0.0"]}
    assert parsed.warnings == []


def test_text_that_only_starts_like_json_is_read_as_yaml_as_helm_does() -> None:
    with pytest.raises(IndexFormatError, match="not valid YAML"):
        parse_index(b'{"apiVersion": "v1", "entries": {}} trailing: x')
    assert parse_index(b'{"apiVersion": "v1", "entries": {a: [{name: a, version: 1.0.0}]},}').version_count == 1


@pytest.mark.parametrize("form", ["yaml", "json", "oci"])
def test_a_chart_name_with_spaces_around_it_is_skipped_with_a_warning(form: str) -> None:
    """' web' beside 'web' would be listed as a second chart that no one can tell apart or type."""
    entries = {name: [chart_entry(name.strip(), "1.0.0")] for name in (" web", "web", "api ")}
    if form == "oci":
        from desktop.helm.index import parse_entries

        parsed = parse_entries(entries)
    else:
        document = {"apiVersion": "v1", "entries": entries}
        data = json.dumps(document).encode() if form == "json" else yaml.safe_dump(document).encode()
        parsed = parse_index(data)
    assert [chart.name for chart in parsed.charts] == ["web"]
    assert "skipped chart ' web': its name starts or ends with white space" in parsed.warnings
    assert "skipped chart 'api ': its name starts or ends with white space" in parsed.warnings
