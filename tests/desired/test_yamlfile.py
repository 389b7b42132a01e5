"""Loading one desired-state YAML file: data, marks, and every problem with its place."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.desired import yamlfile, yamlparse
from reconciler.desired.yamlfile import (
    DEFAULT_MAX_BYTES,
    Mark,
    YamlDocument,
    load_many,
    load_yaml,
    load_yaml_text,
)
from reconciler.errors import Problem, ProblemLog, ValidationFailed
from tests.needs import lacking

USERS = """\
# two users
users:
  - userName: alice@example.com
    name:
      givenName: Alice
      familyName: Liddell
    emails:
      - value: alice@example.com
        primary: true
  - userName: bob@example.com
    name: {givenName: Chloé, familyName: "Ürsel"}
    title: Engineer
""".encode()


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with the C parser and again with the pure-Python fallback."""
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        lacking("PyYAML was built without LibYAML")
    monkeypatch.setattr(yamlparse, "LIBYAML", request.param == "libyaml")
    yield request.param


def problems_of(text: bytes, display: str = "f.yaml") -> list[Problem]:
    with pytest.raises(ValidationFailed) as failed:
        load_yaml_text(text, display)
    return failed.value.problems


def only_problem(text: bytes) -> Problem:
    (problem,) = problems_of(text)
    return problem


# --- data --------------------------------------------------------------------------


def test_loads_plain_data(parser: str) -> None:
    doc = load_yaml_text(USERS, "users/a.yaml")
    assert doc.path == "users/a.yaml"
    assert doc.data["users"][1] == {
        "userName": "bob@example.com",
        "name": {"givenName": "Chloé", "familyName": "Ürsel"},
        "title": "Engineer",
    }
    assert doc.data["users"][0]["emails"] == [{"value": "alice@example.com", "primary": True}]


def test_scalars_mean_what_safe_load_says_except_dates(parser: str) -> None:
    text = b"""\
booleans: [yes, No, on, OFF, true, False, y, n]
integers: [12, -3, 0x1f, 017, 0b101, 1_000, '12', "7"]
floats: [1.5, 1e3, 6.0e+2, .5]
nulls: [~, null, ]
strings: [R&D, "yes", 0o17, 'a: b']
"""
    doc = load_yaml_text(text, "f.yaml")
    assert doc.data == yaml.safe_load(text)
    assert doc.data["booleans"] == [True, False, True, False, True, False, "y", "n"]
    assert doc.data["integers"] == [12, -3, 31, 15, 5, 1000, "12", "7"]


def test_dates_and_timestamps_stay_the_text_written(parser: str) -> None:
    text = b"since: 2024-01-01\nat: 2024-01-01 10:00:00+02:00\ntagged: !!timestamp 2001-12-14\n"
    assert load_yaml_text(text, "f.yaml").data == {
        "since": "2024-01-01",
        "at": "2024-01-01 10:00:00+02:00",
        "tagged": "2001-12-14",
    }


def test_a_utf8_bom_is_ignored(parser: str) -> None:
    doc = load_yaml_text(b"\xef\xbb\xbfa: x\n", "f.yaml")
    assert doc.data == {"a": "x"}
    assert doc.mark(("a",)) == Mark(1, 4)


@pytest.mark.parametrize("text", [b"", b"# only a comment\n", b"---\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_none(parser: str, text: bytes) -> None:
    assert load_yaml_text(text, "empty.yaml").data is None


def test_an_empty_file_marks_its_start() -> None:
    assert load_yaml_text(b"", "empty.yaml").mark(("users", 0)) == Mark(1, 1)


def test_anchors_and_merge_keys_work_as_the_spec_says(parser: str) -> None:
    text = b"""\
defaults: &defaults {active: true, title: Staff}
extra: &extra {title: Extra, locale: fr}
users:
  - <<: *defaults
    userName: alice
    title: Engineer
  - <<: [*extra, *defaults]
    userName: bob
  - {userName: carol, emails: &mails [{value: c@x}]}
  - {userName: dave, emails: *mails}
"""
    doc = load_yaml_text(text, "f.yaml")
    assert doc.data["users"][0] == {"active": True, "title": "Engineer", "userName": "alice"}
    # The earlier merged mapping wins (yaml.org/type/merge.html, and PyYAML up to 6.0.3;
    # 6.0.4 lets the later win for keys longer than one character: yaml/pyyaml#953).
    assert doc.data["users"][1] == {
        "title": "Extra",
        "locale": "fr",
        "active": True,
        "userName": "bob",
    }
    assert doc.data["users"][3]["emails"] == [{"value": "c@x"}]


# --- marks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ((), Mark(2, 1), Mark(2, 1)),
        (("users",), Mark(3, 3), Mark(2, 1)),
        (("users", 0), Mark(3, 5), Mark(3, 5)),
        (("users", 0, "name", "givenName"), Mark(5, 18), Mark(5, 7)),
        (("users", 0, "emails", 0, "primary"), Mark(9, 18), Mark(9, 9)),
        (("users", 1, "title"), Mark(12, 12), Mark(12, 5)),
        # columns count characters: 'é' before it is one column, not two bytes
        (("users", 1, "name", "familyName"), Mark(11, 42), Mark(11, 30)),
    ],
)
def test_marks_of_values_and_keys(
    parser: str, path: tuple[str | int, ...], value: Mark, key: Mark
) -> None:
    doc = load_yaml_text(USERS, "f.yaml")
    assert doc.mark(path) == value
    assert doc.key_mark(path) == key


@pytest.mark.parametrize(
    ("path", "ancestor"),
    [
        (("users", 0, "name", "middleName"), Mark(5, 7)),  # the name mapping
        (("users", 0, "name", "givenName", "x"), Mark(5, 18)),  # into a scalar
        (("users", 7, "userName"), Mark(3, 3)),  # past the end of the list
        (("users", "first"), Mark(3, 3)),  # a key into a list
        (("users", -1), Mark(3, 3)),
        (("groups", 0), Mark(2, 1)),
    ],
)
def test_a_missing_path_marks_its_deepest_existing_ancestor(
    path: tuple[str | int, ...], ancestor: Mark
) -> None:
    doc = load_yaml_text(USERS, "f.yaml")
    assert doc.mark(path) == ancestor
    assert doc.key_mark(path) == ancestor


def test_key_mark_of_a_list_item_is_the_item() -> None:
    doc = load_yaml_text(USERS, "f.yaml")
    assert doc.key_mark(("users", 1)) == doc.mark(("users", 1)) == Mark(10, 5)


def test_marks_follow_merge_keys_and_aliases() -> None:
    text = b"defaults: &d\n  active: true\nalice:\n  <<: *d\n  title: Eng\n"
    doc = load_yaml_text(text, "f.yaml")
    assert doc.key_mark(("alice", "title")) == Mark(5, 3)
    assert doc.key_mark(("alice", "active")) == Mark(2, 3)  # where the merged key is written
    assert doc.mark(("alice", "active")) == Mark(2, 11)


def test_marks_count_lines_across_crlf_and_cr() -> None:
    doc = load_yaml_text(b"a: 1\r\nb:\r\n  c: x\r\n", "f.yaml")
    assert doc.mark(("b", "c")) == Mark(3, 6)


def test_a_document_pickles_without_its_node_graph() -> None:
    doc = load_yaml_text(USERS, "f.yaml")
    assert doc.mark(("users", 1)) == Mark(10, 5)  # composes and caches the node graph
    copy = pickle.loads(pickle.dumps(doc))
    assert len(pickle.dumps(doc)) < 3 * len(USERS) + 2000
    assert (copy.path, copy.data) == (doc.path, doc.data)
    assert copy.key_mark(("users", 0, "name", "givenName")) == Mark(5, 7)


def test_a_pickled_document_keeps_its_source_compressed_and_still_marks() -> None:
    text = USERS * 1 + b"".join(
        b"  - userName: user%d@example.com\n    title: Engineer\n" % i for i in range(500)
    )
    doc = load_yaml_text(text, "f.yaml")
    pickled = pickle.dumps(doc)
    source_size = len(pickled) - len(pickle.dumps(doc.data))
    assert 0 < source_size < len(text) // 4  # the source travels packed
    twice = pickle.loads(pickle.dumps(pickle.loads(pickled)))  # packed once, not twice
    assert twice.mark(("users", 2 + 499, "title")) == doc.mark(("users", 2 + 499, "title"))
    assert twice.mark(("users", 1)) == Mark(10, 5)


# --- encoding and size -------------------------------------------------------------


def test_invalid_utf8_is_reported_at_the_first_bad_byte(parser: str) -> None:
    text = "a: ok\nname: Chloé caf".encode() + b"\xe9 x\nb: \xff\n"
    assert only_problem(text) == Problem(
        "f.yaml", 2, 16, "not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    )


def test_invalid_utf8_after_a_bom_counts_columns_without_it() -> None:
    problem = only_problem(b"\xef\xbb\xbfn: caf\xe9\n")
    assert (problem.line, problem.column) == (1, 7)


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
    ],
)
def test_utf16_and_utf32_are_refused(bom: bytes, encoding: str) -> None:
    body = "a: b\n".encode("utf-16-le" if encoding == "UTF-16" else "utf-32-le")
    assert only_problem(bom + body) == Problem(
        "f.yaml", 1, 1, f"file is {encoding}; save it as UTF-8"
    )


def test_control_characters_are_refused_where_they_are(parser: str) -> None:
    problem = only_problem("é: ok\nb: x\x01y\n".encode())
    assert (problem.line, problem.column) == (2, 5)
    assert problem.message.startswith("unacceptable character #x0001: ")  # then the parser's
    assert problem.message.endswith(" characters are not allowed; remove it")  # reason


def test_a_file_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:  # sparse: 11 MiB of nothing, instantly
        stream.truncate(11 * 2**20)

    def no_parsing(*args: object) -> None:
        raise AssertionError("a file over the limit must not reach the parser")

    monkeypatch.setattr(yamlfile, "compose", no_parsing)
    monkeypatch.setattr(yamlparse, "check_encoding", no_parsing)
    with pytest.raises(ValidationFailed) as failed:
        load_yaml(big, "users/big.yaml")
    assert DEFAULT_MAX_BYTES == 10 * 2**20
    assert failed.value.problems == [
        Problem(
            "users/big.yaml",
            1,
            1,
            "file is 11,534,336 bytes (11.0 MiB), over the limit of 10,485,760 bytes "
            "(10.0 MiB) for one desired-state file; split it into smaller files",
        )
    ]


def test_the_size_limit_applies_to_bytes_too() -> None:
    with pytest.raises(ValidationFailed) as failed:
        load_yaml_text(b"a: 12345\n", "f.yaml", max_bytes=8)
    (problem,) = failed.value.problems
    assert (problem.line, problem.column) == (1, 1)
    assert problem.message.startswith("file is 9 bytes (0.0 MiB), over the limit of 8 bytes")


def test_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as failed:
        load_yaml(tmp_path / "missing.yaml", "missing.yaml")
    assert failed.value.problems == [
        Problem(
            "missing.yaml",
            1,
            1,
            "cannot read the file (No such file or directory); check the path and its permissions",
        )
    ]


# --- syntax ------------------------------------------------------------------------


def test_a_tab_used_for_indentation(parser: str) -> None:
    problem = only_problem(b"users:\n\t- userName: alice\n")
    assert (problem.line, problem.column) == (2, 1)
    assert "found character '\\t' that cannot start any token" in problem.message
    assert problem.message.endswith(
        "; YAML does not allow tabs for indentation: indent with spaces"
    )


def test_a_tab_that_breaks_indentation_later_in_a_mapping() -> None:
    problem = only_problem(b"a:\n  b: 1\n\tc: 2\n")
    assert (problem.line, problem.column) == (3, 1)
    assert problem.message == (
        "YAML syntax error: found a tab character that violates indentation "
        "(while scanning a plain scalar at line 2, column 6); "
        "YAML does not allow tabs for indentation: indent with spaces"
    )


def test_a_tab_after_a_colon_is_fine() -> None:
    assert load_yaml_text(b"key:\tvalue\n", "f.yaml").data == {"key": "value"}


def test_syntax_errors_keep_the_parser_words_and_mark() -> None:
    assert only_problem(b"users:\n  - a: [1, 2\n") == Problem(
        "f.yaml",
        3,
        1,
        "YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 2, column 8)",
    )
    assert only_problem(b"title: Engineer: Senior\n") == Problem(
        "f.yaml",
        1,
        16,
        "YAML syntax error: mapping values are not allowed in this context; "
        "put a value that holds ': ' in quotes, or check the indentation",
    )


def test_one_document_per_file() -> None:
    assert only_problem(b"users: []\n---\ngroups: []\n") == Problem(
        "f.yaml",
        2,
        1,
        "expected a single document in the stream, but found another document; a "
        "desired-state file holds one document: remove this '---' or split the file",
    )


def test_undefined_alias_and_duplicate_anchor(parser: str) -> None:
    assert only_problem(b"a: 1\nb: *nowhere\n") == Problem(
        "f.yaml",
        2,
        4,
        "found undefined alias '*nowhere'; define the anchor ('&name') above the alias",
    )
    assert only_problem(b"a: &x [1]\nb: &x 2\n") == Problem(
        "f.yaml",
        2,
        4,
        "found duplicate anchor '&x' (first at line 1, column 4); give each anchor its own name",
    )


def test_nesting_too_deep_is_a_problem_not_a_crash() -> None:
    problem = only_problem(b"a: " + b"[" * 900 + b"]" * 900)
    assert problem.message == "lists and mappings nest too deeply to load; flatten the structure"


# --- keys, tags ----------------------------------------------------------------------


def test_every_duplicate_key_is_reported_at_its_second_occurrence(parser: str) -> None:
    text = b"""\
users:
  - userName: alice
    title: A
    userName: alice2
    name: {givenName: A, givenName: B}
    userName: alice3
groups: []
groups: []
"""
    assert problems_of(text) == [
        Problem("f.yaml", 4, 5, "duplicate key 'userName' (first at line 2); keep one"),
        Problem("f.yaml", 5, 26, "duplicate key 'givenName' (first at line 5); keep one"),
        Problem("f.yaml", 6, 5, "duplicate key 'userName' (first at line 2); keep one"),
        Problem("f.yaml", 8, 1, "duplicate key 'groups' (first at line 7); keep one"),
    ]


def test_a_quoted_key_is_the_same_key() -> None:
    problem = only_problem(b"title: a\n'title': b\n")
    assert problem.message == "duplicate key 'title' (first at line 1); keep one"


def test_two_merge_keys_are_duplicates_too() -> None:
    problem = only_problem(b"a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n")
    assert problem == Problem("f.yaml", 5, 3, "duplicate key '<<' (first at line 4); keep one")


def test_keys_overriding_merged_keys_are_not_duplicates() -> None:
    doc = load_yaml_text(b"d: &d {title: a}\nu: {<<: *d, title: b}\n", "f.yaml")
    assert doc.data["u"] == {"title": "b"}


def test_keys_must_be_strings(parser: str) -> None:
    text = b"1: one\ntrue: yes\n~: nothing\n[a, b]: list\n? {k: v}\n: map\n2024-01-01: date\n"
    assert problems_of(text) == [
        Problem("f.yaml", 1, 1, "keys must be strings; 1 is read as an integer: put it in quotes"),
        Problem(
            "f.yaml", 2, 1, "keys must be strings; true is read as a boolean: put it in quotes"
        ),
        Problem("f.yaml", 3, 1, "keys must be strings; ~ is read as null: put it in quotes"),
        Problem("f.yaml", 4, 1, "keys must be strings, not a list"),
        Problem("f.yaml", 5, 3, "keys must be strings, not a mapping"),
    ]


def test_only_the_tags_of_json_like_data_are_allowed(tmp_path: Path) -> None:
    target = tmp_path / "created-by-yaml"
    text = f"""\
a: !!python/object/apply:os.makedirs ["{target}"]
b: !!binary aGk=
c: !custom x
d: !!set {{x}}
e: !!omap [x: 1]
f: !!str [not, a, string]
""".encode()
    rest = (
        " is not allowed; the desired state holds only strings, numbers, booleans, null, "
        "lists and mappings: remove the tag"
    )
    assert problems_of(text) == [
        Problem("f.yaml", 1, 4, "tag !!python/object/apply:os.makedirs" + rest),
        Problem("f.yaml", 2, 4, "tag !!binary" + rest),
        Problem("f.yaml", 3, 4, "tag !custom" + rest),
        Problem("f.yaml", 4, 4, "tag !!set" + rest),
        Problem("f.yaml", 5, 4, "tag !!omap" + rest),
        Problem("f.yaml", 6, 4, "tag !!str" + rest),
    ]
    assert not target.exists()


def test_standard_tags_must_fit_their_value_and_json() -> None:
    assert problems_of(b"a: !!bool maybe\nb: !!int ten\nc: .inf\nd: !!float .nan\n") == [
        Problem("f.yaml", 1, 4, "'maybe' is not a valid !!bool; fix or remove the tag"),
        Problem("f.yaml", 2, 4, "'ten' is not a valid !!int; fix or remove the tag"),
        Problem("f.yaml", 3, 4, "'.inf' is not a number JSON can hold; quote it if it is text"),
        Problem("f.yaml", 4, 4, "'.nan' is not a number JSON can hold; quote it if it is text"),
    ]
    assert load_yaml_text(b"a: !!str 12\nb: !!int '12'\n", "f.yaml").data == {"a": "12", "b": 12}


def test_merge_takes_only_mappings() -> None:
    problem = only_problem(b"a: &a [1]\nb: {<<: *a}\n")
    assert (problem.line, problem.column) == (1, 4)  # the aliased node is where it is written
    assert problem.message == "'<<' merges a mapping or a list of mappings, such as '<<: *defaults'"


# --- aliases -----------------------------------------------------------------------


def billion_laughs() -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


def test_a_billion_laughs_is_refused_at_once_at_the_alias_that_spends_the_budget(
    parser: str,
) -> None:
    started = time.perf_counter()
    problem = only_problem(billion_laughs())
    assert time.perf_counter() - started < 1.0  # 10**9 values would take minutes and GBs
    # 28 values written, so 2,800 may be added: b adds 90, c 819, d 820 per '*c'.
    assert (problem.line, problem.column) == (4, 16)  # the third '*c' of d
    assert problem.message == (
        "expanding the aliases up to this '*c' adds more than 2,800 values to a file that "
        "writes 28 (the limit is 100 times the values written, at most 1,000,000); this "
        "looks like an alias bomb: use fewer or smaller aliases"
    )


def test_the_alias_budget_is_capped_at_a_million_values() -> None:
    written = "\n".join(f"k{i}: &k{i} [{', '.join(['x'] * 99)}]" for i in range(100))
    aliases = "\n".join(f"u{i}: [*k0, *k1, *k2, *k3, *k4]" for i in range(1, 2100))
    problem = only_problem(f"{written}\n{aliases}\n".encode())
    assert "adds more than 1,000,000 values" in problem.message


def test_a_merge_key_bomb_is_refused() -> None:
    lines = ["a: &a {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} {{<<: [{', '.join([f'*{previous}'] * 10)}]}}")
    started = time.perf_counter()
    problem = only_problem(("\n".join(lines) + "\n").encode())
    assert time.perf_counter() - started < 1.0
    assert "this looks like an alias bomb" in problem.message


def test_a_recursive_alias_is_refused(parser: str) -> None:
    assert only_problem(b"a: &a [x, *a]\n") == Problem(
        "f.yaml",
        1,
        11,
        "alias '*a' is inside the list it refers to; desired state cannot be recursive",
    )
    problem = only_problem(b"a: &a\n  b: {c: *a}\n")
    assert (problem.line, problem.column) == (2, 10)
    assert "inside the mapping it refers to" in problem.message


def test_aliases_within_budget_are_expanded_as_copies() -> None:
    users = "\n".join(f"  - {{<<: *d, userName: u{i}}}" for i in range(500))
    doc = load_yaml_text(f"d: &d {{active: true, title: T}}\nusers:\n{users}\n".encode(), "f.yaml")
    assert len(doc.data["users"]) == 500
    assert doc.data["users"][499] == {"active": True, "title": "T", "userName": "u499"}
    assert doc.data["users"][0] is not doc.data["users"][1]


# --- load_many -----------------------------------------------------------------------


def write(directory: Path, name: str, text: bytes) -> Path:
    path = directory / name
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_load_many_keeps_order_and_gathers_problems(tmp_path: Path, jobs: int) -> None:
    paths = [
        write(tmp_path, "a.yaml", b"users: [{userName: a}]\n"),
        write(tmp_path, "b.yaml", b"x: 1\nx: 2\n1: y\n"),
        tmp_path / "missing.yaml",
        write(tmp_path, "c.yaml", USERS),
        write(tmp_path, "d.yaml", b"a: [\n"),
        write(tmp_path, "e.yaml", b""),
    ]
    results = load_many(paths, [f"shown/{p.name}" for p in paths], jobs=jobs)
    assert [r.path if isinstance(r, YamlDocument) else None for r in results] == [
        "shown/a.yaml",
        "shown/b.yaml",  # readable: its data goes on to the other checks, with its problems
        None,
        "shown/c.yaml",
        None,
        "shown/e.yaml",
    ]
    first, bad, missing, users, broken, empty = results
    assert isinstance(first, YamlDocument) and first.data == {"users": [{"userName": "a"}]}
    assert not first.problems
    assert isinstance(users, YamlDocument)
    assert users.key_mark(("users", 0, "name", "givenName")) == Mark(5, 7)
    assert isinstance(empty, YamlDocument) and empty.data is None
    assert isinstance(bad, YamlDocument) and bad.data == {"x": 2}  # the last value is kept
    assert bad.problems.kept == [  # sorted by place
        Problem("shown/b.yaml", 2, 1, "duplicate key 'x' (first at line 1); keep one"),
        Problem(
            "shown/b.yaml", 3, 1, "keys must be strings; 1 is read as an integer: put it in quotes"
        ),
    ]
    assert isinstance(missing, ProblemLog) and "cannot read the file" in missing.kept[0].message
    assert isinstance(broken, ProblemLog) and broken.kept[0].file == "shown/d.yaml"


def test_load_many_names_files_by_path_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", b"a: [\n")
    (problems,) = load_many([path])
    assert isinstance(problems, ProblemLog)
    assert [problem.file for problem in problems.kept] == [str(path)]


def test_load_many_needs_a_display_name_per_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one display name per path"):
        load_many([tmp_path / "a.yaml"], [])


def test_load_many_stays_in_process_for_little_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("no process pool for a few small files")

    monkeypatch.setattr(yamlfile, "ProcessPoolExecutor", no_pool)
    paths = [write(tmp_path, f"{i}.yaml", b"a: 1\n") for i in range(3)]
    assert [r.data for r in load_many(paths) if isinstance(r, YamlDocument)] == [{"a": 1}] * 3


def test_load_many_uses_a_pool_for_big_input(tmp_path: Path) -> None:
    one_mib = b"users:\n" + b"  - {userName: someone-with-a-long-name@example.com}\n" * 20_000
    paths = [write(tmp_path, f"{i}.yaml", one_mib) for i in range(5)]
    assert sum(os.path.getsize(p) for p in paths) >= yamlfile.PARALLEL_MIN_BYTES
    assert yamlfile._workers(paths, None) == min(len(os.sched_getaffinity(0)), 5)
    results = load_many(paths)
    assert all(isinstance(r, YamlDocument) and len(r.data["users"]) == 20_000 for r in results)
