"""Issue 13, item 2: one function puts an id into a path, and it makes it one segment.

``resource_path`` percent-encodes every character of an id but the unreserved ones, or
refuses an id that cannot be a segment; the AST check below fails if any other code in
``reconciler/`` (the sandbox server aside: it routes, it does not request) builds a
path out of pieces.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from httpfakes import BASE, Script, answer

from reconciler.errors import ProtocolError
from reconciler.scim.client import ScimClient, resource_path

MakeClient = Callable[..., ScimClient]
ROOT = Path(__file__).resolve().parents[2] / "reconciler"
BUILDER = ("scim/client.py", "resource_path")
NOT_PATHS = {
    ("scim/client.py", "_url"): "joins SCIM_URL and a path, then checks it stays under it",
    ("session.py", "open_session"): 'the User-Agent, "scim-reconciler/<version>"',
    ("cli/progress.py", "show"): 'a count, "done/total"',
    ("cli/progress.py", "_plain"): 'a count, "done/total"',
}
"""Functions whose text ending in "/" before a value is not a request path, and why."""


@pytest.mark.parametrize(
    ("resource_id", "segment"),
    [
        ("../Groups/gadmin", "..%2FGroups%2Fgadmin"),
        ("x/../../Users/u-ceo", "x%2F..%2F..%2FUsers%2Fu-ceo"),
        ("%2e%2e%2f", "%252e%252e%252f"),
        ("a?b#c;d", "a%3Fb%23c%3Bd"),
        ("ok-Id_1.2~3", "ok-Id_1.2~3"),
        ("ünï cödé", "%C3%BCn%C3%AF%20c%C3%B6d%C3%A9"),
    ],
)
def test_an_id_becomes_exactly_one_segment(
    make_client: MakeClient, resource_id: str, segment: str
) -> None:
    assert resource_path("Users", resource_id) == f"/Users/{segment}"
    script = Script(answer(200, json={"id": "x"}))
    make_client(script).get(resource_path("Groups", resource_id))
    raw = script.requests[0].url.raw_path.decode()
    prefix = httpx.URL(BASE).raw_path.decode() + "/Groups/"
    assert raw == prefix + segment


@pytest.mark.parametrize(
    "resource_id",
    ["", ".", "..", "a\x00b", "a\nb", "\u202eu1", "u\ud800", "x" * 5000],
)
def test_an_id_that_cannot_be_a_segment_is_refused(resource_id: str) -> None:
    with pytest.raises(ProtocolError, match="cannot name one resource"):
        resource_path("Users", resource_id)


def test_only_users_and_groups_are_collections() -> None:
    with pytest.raises(ValueError):
        resource_path("Users/../Groups", "g1")


# --- nothing else builds a path -------------------------------------------------------


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith("sandbox/"):
            yield relative, ast.parse(path.read_text(), filename=relative)


def _pieces(node: ast.AST) -> list[ast.AST] | None:
    """The parts of an f-string, a ``+`` chain or a ``%`` format, in order."""
    if isinstance(node, ast.JoinedStr):
        return list(node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _pieces(node.left) or [node.left]
        right = _pieces(node.right) or [node.right]
        return left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return [node.left, node.right]
    return None


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _builds_a_path(pieces: list[ast.AST]) -> bool:
    """Text ending in ``/`` (``"/Users/"``, ``f"{endpoint}/"``) followed by a value, or a
    ``%s`` after ``/Users/``."""
    for here, after in itertools.pairwise(pieces):
        text = _text(here)
        if text is not None and text.endswith("/") and _text(after) is None:
            return True
        if text is not None and ("/Users/%" in text or "/Groups/%" in text):
            return True
    return False


def _path_builders() -> list[str]:
    found = []
    for relative, tree in _sources():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if (relative, function.name) == BUILDER or (relative, function.name) in NOT_PATHS:
                continue
            for node in ast.walk(function):
                pieces = _pieces(node)
                if pieces is not None and _builds_a_path(pieces):
                    found.append(f"{relative}:{node.lineno} in {function.name}")
        for node in ast.walk(tree):  # ".format" on a path template
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and any(c in (_text(node.func.value) or "") for c in ("/Users/", "/Groups/"))
            ):
                found.append(f"{relative}:{node.lineno} .format")
    return sorted(set(found))


def test_no_code_but_resource_path_puts_a_value_into_a_path() -> None:
    assert _path_builders() == []


def test_the_path_check_finds_what_it_must() -> None:
    """Not vacuous: the forms issue 13 found, and their cousins, are caught."""
    samples = {
        'def f(change):\n    return f"/Users/{change.id}"\n': True,
        'def f(endpoint, change):\n    return f"{endpoint}/{change.id}"\n': True,
        'def f(i):\n    return "/Groups/" + i\n': True,
        'def f(i):\n    return "/Groups/%s" % i\n': True,
        'def f(i):\n    return "/Users"\n': False,
        'def f(n):\n    return f"user {n} failed"\n': False,
    }
    for source, expected in samples.items():
        tree = ast.parse(source)
        hits = [n for n in ast.walk(tree) if (p := _pieces(n)) is not None and _builds_a_path(p)]
        assert bool(hits) is expected, source


@pytest.mark.parametrize("path", ["/Users/../Groups/gadmin", "/Users/a/b", "/Groups//x", "/"])
def test_the_client_refuses_a_path_that_is_not_an_endpoint_and_one_id(
    make_client: MakeClient, path: str
) -> None:
    """A second line of defence: a path built without resource_path, with an id holding
    ``/``, is refused before anything is sent."""
    script = Script(answer(200, json={"id": "x"}))
    with pytest.raises(ProtocolError, match="at most one id"):
        make_client(script).patch(path, {"Operations": []})
    assert script.requests == []
