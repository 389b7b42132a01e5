"""JSON Schema validation of YAML documents, with every error placed at file:line:column.

jsonschema-rs checks and lists the errors (in Rust: a million invalid entries take
seconds, not the minutes Python's ``jsonschema`` took); this module turns each into a
message a person can act on, at its place in the file.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem

CONTROL_PATTERN = "^[^\\u0000-"
"""How the schemas' patterns that refuse control and text-direction characters begin."""

SECRET_WORDS = ("password", "secret", "token", "apikey", "api_key", "privatekey", "credential")
"""Keys that look like secrets: the desired state lives in git and must never hold one."""


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``schemas/<name>.schema.json`` shipped with the package."""
    text = resources.files("reconciler").joinpath("schemas", f"{name}.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def fast_validator(name: str) -> jsonschema_rs.Validator:
    """The schema compiled by jsonschema-rs: it says "valid" and lists errors, fast."""
    return jsonschema_rs.validator_for(load_schema(name))


@cache
def item_validators(
    name: str,
) -> tuple[jsonschema_rs.Validator, dict[str, jsonschema_rs.Validator]]:
    """The schema split in two: the document without the items of its top-level lists,
    and one validator per list (``users``, ``groups``) for its items.

    Checking item by item keeps the errors of a huge file from being listed all at
    once (jsonschema-rs gathers every error of a call before it yields the first).
    """
    schema = load_schema(name)
    top = copy.deepcopy(schema)
    items: dict[str, jsonschema_rs.Validator] = {}
    for key, sub in top.get("properties", {}).items():
        if isinstance(sub, dict) and isinstance(sub.get("items"), dict):
            item = {**sub.pop("items"), "$defs": schema.get("$defs", {})}
            if "$schema" in schema:
                item["$schema"] = schema["$schema"]
            items[key] = jsonschema_rs.validator_for(item)
    return jsonschema_rs.validator_for(top), items


def item_is_valid(name: str, kind: str, item: Any) -> bool:
    """Whether one entry of the top-level list ``kind`` is valid on its own."""
    validators = item_validators(name)[1]
    return kind in validators and validators[kind].is_valid(item)


def schema_problems(doc: YamlDocument, name: str) -> list[Problem]:
    """Every way ``doc`` breaks schema ``name``, each at its place in the file."""
    return list(iter_schema_problems(doc, name))


def iter_schema_problems(doc: YamlDocument, name: str) -> Iterator[Problem]:
    """``schema_problems`` one at a time, top-level list items one after the other.

    A place that reading the YAML already blamed (a refused tag read as null) is not
    blamed again.
    """
    if fast_validator(name).is_valid(doc.data):
        return
    top, items = item_validators(name)
    found = _errors(top, doc.data, ())
    if isinstance(doc.data, dict):
        found = itertools.chain(found, _item_errors(items, doc.data))
    for path, error in found:
        for problem in _problems_of(doc, name, path, error):
            if (problem.line, problem.column) not in doc.blamed:
                yield problem


def _item_errors(
    items: dict[str, jsonschema_rs.Validator], data: dict[str, Any]
) -> Iterator[tuple[tuple[Any, ...], jsonschema_rs.ValidationError]]:
    for key, check in items.items():
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not check.is_valid(entry):
                yield from _errors(check, entry, (key, index))


def _errors(
    check: jsonschema_rs.Validator, instance: Any, prefix: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], jsonschema_rs.ValidationError]]:
    for error in check.iter_errors(instance):
        yield (*prefix, *error.instance_path), error


def _problems_of(
    doc: YamlDocument, schema: str, path: tuple[Any, ...], error: jsonschema_rs.ValidationError
) -> Iterator[Problem]:
    kind = error.kind
    if kind.name == "propertyNames":  # the instance is a key of the mapping at path
        inner = kind.as_dict()["error"]
        key = str(inner.instance)
        mark = doc.key_mark((*path, key))
        yield Problem(doc.path, mark.line, mark.column, _key_message(path, key))
        return
    if kind.name == "additionalProperties":
        known = _known_keys(schema, tuple(error.schema_path)[:-1])
        for key in sorted(str(k) for k in kind.as_dict()["unexpected"]):
            mark = doc.key_mark((*path, key))
            message = _unexpected_message(path, key, known)
            yield Problem(doc.path, mark.line, mark.column, message)
        return
    mark = doc.mark(path)
    yield Problem(doc.path, mark.line, mark.column, f"{_where(path)}{_message(schema, error)}")


def _unexpected_message(path: tuple[Any, ...], key: str, known: tuple[str, ...] = ()) -> str:
    if looks_secret(key):
        return (
            f"{_where(path)}'{key}' is not allowed: the desired state is kept in git and "
            "scim-reconciler never manages passwords, tokens or other secrets"
        )
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{_where(path)}unknown attribute '{key}'{hint}"


@cache
def _known_keys(schema: str, where: tuple[Any, ...]) -> tuple[str, ...]:
    """The property names of the object schema at ``where`` (an error's schema path, in
    the root schema: jsonschema-rs gives it past any ``$ref``), for a "did you mean"."""
    node: Any = load_schema(schema)
    for step in where:
        node = node.get(step) if isinstance(node, dict) else None
    properties = node.get("properties") if isinstance(node, dict) else None
    return tuple(sorted(properties)) if isinstance(properties, dict) else ()


def _key_message(path: tuple[Any, ...], key: str) -> str:
    if looks_secret(key):
        return _unexpected_message(path, key)
    return (
        f"{_where(path)}{_clip(key)!r} is not a valid name here: use letters, digits and "
        "'_', starting with a letter"
    )


def looks_secret(key: str) -> bool:
    folded = key.casefold().replace("-", "_")
    return any(word in folded for word in SECRET_WORDS)


def _where(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") + ": "


def _message(schema: str, error: jsonschema_rs.ValidationError) -> str:
    kind = error.kind
    name = kind.name
    detail = kind.as_dict()
    instance = error.instance
    if name == "pattern":
        if str(detail["pattern"]).startswith(CONTROL_PATTERN):
            return _control_message(instance)
        return f"{_clip(instance)!r} does not have the expected form: {_form(schema, error)}"
    if name == "maxLength" and isinstance(instance, str):
        limit = detail["limit"]
        return (
            f"{_clip(instance)!r} is {len(instance):,} characters long; at most {limit} are allowed"
        )
    if name == "minLength" and detail.get("limit") == 1:
        return f"{instance!r} should be non-empty"
    if name == "required":
        return f"{detail['property']!r} is required"
    if name == "type":
        return f"expected {_type_names(detail['types'])}, got {_json_type(instance)}"
    if name == "enum":
        options = ", ".join(repr(v) for v in detail["options"])
        return f"{_clip(instance)!r} is not one of {options}"
    return str(error.message)


def _control_message(instance: Any) -> str:
    text = str(instance)
    if text.endswith("\n") and "\n" not in text[:-1]:
        return (
            f"{_clip(text)!r} ends with a line break, which a '|' or '>' block scalar keeps: "
            "write the value on the key's line, or use '|-'"
        )
    return f"{_clip(text)!r} holds a control character or a text-direction mark"


def _form(name: str, error: jsonschema_rs.ValidationError) -> str:
    """The description next to the pattern in the schema, else the pattern itself."""
    node: Any = load_schema(name)
    for step in list(error.schema_path)[:-1]:
        node = _child(node, step)
    if isinstance(node, dict) and node.get("description"):
        return str(node["description"])
    return f"it must match {error.kind.as_dict()['pattern']}"


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _clip(value: Any, limit: int = 60) -> Any:
    """Long text shortened for a message (a 5,000-character name says nothing more)."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _type_names(value: Any) -> str:
    names = list(value) if isinstance(value, list) else [str(value)]
    articles = {"object": "a mapping", "array": "a list", "string": "a string"}
    return " or ".join(articles.get(name, f"a {name}") for name in names)


def _json_type(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "a boolean"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, int | float):
        return f"a number ({instance})"
    return f"a string ({instance!r})"
