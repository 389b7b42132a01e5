"""jsonschema-rs must call valid exactly what the reference ``jsonschema`` calls valid,
and the schema split per list item (how problems are listed) must agree with the whole
schema: a document wrongly accepted would skip every problem it has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from reconciler.desired.schema import fast_validator, item_validators, load_schema
from reconciler.desired.yamlfile import load_yaml_text
from reconciler.errors import ValidationFailed

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "cases"
EXAMPLE = Path(__file__).resolve().parents[2] / "desired-state"


def _documents() -> list[Any]:
    docs: list[Any] = []
    for path in sorted([*CORPUS.glob("*.yaml"), *EXAMPLE.rglob("*.yaml")]):
        if path.name == "targets.yaml":
            continue
        try:
            data = load_yaml_text(path.read_bytes(), path.name).data
        except ValidationFailed:
            continue  # the loader refuses it before any schema sees it
        docs.append(data)
    user = {"userName": "a@x.com"}
    docs += [
        {"users": [{**user, "title": "tab\tand newline\nare text"}]},
        {"users": [{**user, "title": "bidi \u202e mark"}]},
        {"users": [{**user, "title": "C1 \u009b control"}]},
        {"users": [{"userName": "new\nline"}]},
        {"users": [{"userName": "zero\u200bwidth"}]},
        {"users": [{**user, "attributes": {"apiKey": "x"}}]},
        {"users": [{**user, "attributes": {"costCenter": "CC-1", "level": 3}}]},
        {"users": [{**user, "emails": [{"value": "a@x.com", "primary": "yes"}]}]},
        {"groups": [{"displayName": "g", "membership": "sometimes"}]},
        {"groups": [{"displayName": "g", "members": ["a@x.com"], "membership": "additive"}]},
        {"users": [{**user, "active": "true"}]},
        {"users": [{**user, "enterprise": {"manager": ""}}]},
        {"users": "not a list"},
        None,
        [],
    ]
    return docs


@pytest.mark.parametrize("document", _documents())
def test_fast_and_full_validators_agree(document: Any) -> None:
    if "\\n'" in repr(document) or '\\n"' in repr(document):
        # Python's re lets '$' match before a final line break, so the reference calls
        # 'admins\n' valid against '^[^\\u0000-…]*$'; jsonschema-rs (ECMA-262) does not,
        # and it is right: a name ending in a line break is refused.
        assert fast_validator("desired-state").is_valid(document) is False
        return
    schema = load_schema("desired-state")
    full = not any(validator_for(schema)(schema).iter_errors(document))
    assert fast_validator("desired-state").is_valid(document) is full


@pytest.mark.parametrize("document", _documents())
def test_the_split_schema_agrees_with_the_whole(document: Any) -> None:
    top, items = item_validators("desired-state")
    split = top.is_valid(document) and all(
        check.is_valid(item)
        for key, check in items.items()
        for item in (document.get(key) if isinstance(document, dict) else None) or []
        if isinstance(document.get(key), list)
    )
    assert fast_validator("desired-state").is_valid(document) is split
