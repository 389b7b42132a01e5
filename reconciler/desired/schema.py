"""JSON Schema validation of YAML documents, with every error placed at file:line:column."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from reconciler.desired.yamlfile import YamlDocument
from reconciler.errors import Problem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

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
def validator(name: str) -> Validator:
    """The schema for ``jsonschema``, whose errors explain an invalid document (imported
    here: a run whose documents are all valid never needs it)."""
    from jsonschema.validators import validator_for

    schema = load_schema(name)
    cls = validator_for(schema)
    return cls(schema)


@cache
def fast_validator(name: str) -> jsonschema_rs.Validator:
    """The same schema compiled by jsonschema-rs: about 200 times faster to say "valid"."""
    return jsonschema_rs.validator_for(load_schema(name))


def schema_problems(doc: YamlDocument, name: str) -> list[Problem]:
    """Every way ``doc`` breaks schema ``name``, each at its place in the file.

    A valid document (the common case) is recognised by jsonschema-rs alone; only
    an invalid one goes through ``jsonschema``'s ``iter_errors``, whose errors carry
    what the messages need.
    """
    if fast_validator(name).is_valid(doc.data):
        return []
    errors = validator(name).iter_errors(doc.data)
    return [problem for error in errors for problem in _problems_of(doc, error)]


def _problems_of(doc: YamlDocument, error: ValidationError) -> Iterable[Problem]:
    path = tuple(error.absolute_path)
    if "propertyNames" in error.schema_path:  # the instance is a key of the mapping at path
        key = str(error.instance)
        mark = doc.key_mark((*path, key))
        yield Problem(doc.path, mark.line, mark.column, _key_message(path, key))
        return
    if error.validator == "additionalProperties":
        for key in _unexpected_keys(error):
            mark = doc.key_mark((*path, key))
            yield Problem(doc.path, mark.line, mark.column, _unexpected_message(path, key))
        return
    mark = doc.mark(path)
    yield Problem(doc.path, mark.line, mark.column, f"{_where(path)}{_message(error)}")


def _unexpected_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = set(schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    return sorted(str(key) for key in instance if key not in allowed)


def _unexpected_message(path: tuple[Any, ...], key: str) -> str:
    if looks_secret(key):
        return (
            f"{_where(path)}'{key}' is not allowed: the desired state is kept in git and "
            "scim-reconciler never manages passwords, tokens or other secrets"
        )
    return f"{_where(path)}unknown attribute '{key}'"


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


def _message(error: ValidationError) -> str:
    if error.validator == "pattern":
        if str(error.validator_value).startswith(CONTROL_PATTERN):
            return f"{_clip(error.instance)!r} holds a control character or a text-direction mark"
        return f"{_clip(error.instance)!r} does not have the expected form: {_form(error)}"
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return (
            f"{_clip(error.instance)!r} is {len(error.instance):,} characters long; "
            f"at most {error.validator_value} are allowed"
        )
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "type":
        return f"expected {_type_names(error.validator_value)}, got {_json_type(error.instance)}"
    if error.validator == "enum":
        choices = error.validator_value if isinstance(error.validator_value, list) else []
        options = ", ".join(repr(v) for v in choices)
        return f"{error.instance!r} is not one of {options}"
    return error.message


def _form(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    description = schema.get("description")
    return str(description) if description else f"it must match {error.validator_value}"


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
