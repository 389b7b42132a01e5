"""Issue 17: identifiers are compared in one place. A ``casefold()`` or ``lower()`` call
anywhere else in ``reconciler/`` fails this test, unless it is listed here with why it
compares no identifier of a user or a group (the sandbox servers aside: they play the
server, whose comparisons are its own)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "reconciler"
FOLDERS_EXEMPT = ("sandbox/",)
ALLOWED = {
    ("identity.py", "fold"): "the rule itself",
    ("identity.py", "_fold_char"): "the rule itself",
    ("identity.py", "loose"): "the rule itself",
    ("checkup.py", "_paging_refused"): "an error message's wording",
    ("scim/listing.py", "_index_page"): "an error message's wording",
    ("scim/client.py", "resource_path"): "a resource type's name in a message",
    ("scim/httperrors.py", "excerpt"): "a Content-Type header",
    ("scim/jsonbody.py", "_lone_escape"): "a hex digit",
    ("cli/output.py", "tolerate_narrow_encodings"): "an encoding's name",
    ("desired/schema.py", "looks_secret"): "a YAML key's name against secret words",
    ("plan/safety.py", "approve"): "GitHub logins (ASCII, case-insensitive by GitHub)",
    ("github/reviews.py", "read_approvals"): "GitHub logins",
    ("github/reviews.py", "approvers_at"): "GitHub logins",
    ("github/reviews.py", "_who"): "GitHub logins",
}


def _calls() -> list[tuple[str, str, int]]:
    """(file, enclosing function or ``<module>``, line) of every ``.casefold``/``.lower``
    called or passed as a value (``key=str.casefold``), at any depth of any module."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(FOLDERS_EXEMPT):
            continue
        found += _folds(ast.parse(path.read_text(encoding="utf-8")), relative, "<module>")
    return found


def _folds(node: ast.AST, relative: str, function: str) -> list[tuple[str, str, int]]:
    found = []
    for child in ast.iter_child_nodes(node):
        inside = function
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            inside = child.name
        if isinstance(child, ast.Attribute) and child.attr in ("casefold", "lower"):
            found.append((relative, inside, child.lineno))
        found += _folds(child, relative, inside)
    return found


def test_no_identifier_is_folded_outside_the_identity_module() -> None:
    stray = [f"{f}:{line} in {name}()" for f, name, line in _calls() if (f, name) not in ALLOWED]
    assert not stray, (
        "compare identifiers with reconciler.identity (fold, same), not casefold()/lower(): "
        + ", ".join(stray)
    )


def test_every_allowance_is_still_used() -> None:
    used = {(f, name) for f, name, _ in _calls()}
    assert set(ALLOWED) <= used, sorted(set(ALLOWED) - used)
