"""A composed YAML node graph to plain JSON-like data, with every problem in it.

Scalars keep PyYAML's ``SafeLoader`` meaning (YAML 1.1: ``yes``/``no``/``on``/``off``
are booleans, ``0123`` is octal), except that dates and timestamps stay the text
that was written: the desired state is JSON-like. Mapping keys must be strings,
duplicate keys are reported (all of them), and only the standard tags of strings,
numbers, booleans, null, lists and mappings are allowed. Merge keys (``<<: *x``)
follow yaml.org/type/merge.html: the mapping's own keys win, then the merged mappings
in the order listed (as PyYAML up to 6.0.3; 6.0.4 lets the last win, yaml/pyyaml#953).

The walk is the hot path of loading: the common case (a string key, a string
value) costs one tag comparison; everything else goes to a slower method. Keys are
interned: a third less memory for a large org, and smaller pickles between processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from sys import intern
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.desired.yamlparse import line_column
from reconciler.errors import Problem, ProblemLog

_YAML = "tag:yaml.org,2002:"
STR = _YAML + "str"
MAP = _YAML + "map"
SEQ = _YAML + "seq"
MERGE = _YAML + "merge"
_INT, _FLOAT, _BOOL, _NULL = (_YAML + name for name in ("int", "float", "bool", "null"))
_TIMESTAMP = _YAML + "timestamp"
_VALUE = _YAML + "value"  # the YAML 1.1 '=' key, a plain string to PyYAML too
_TEXT_KEYS = frozenset({STR, _TIMESTAMP, _VALUE})
_KINDS = {
    _INT: "an integer",
    _FLOAT: "a number",
    _BOOL: "a boolean",
    _NULL: "null",
}
_SAFE = SafeConstructor()
_CONVERT: dict[str, Callable[[Any], Any]] = {
    _INT: _SAFE.construct_yaml_int,
    _FLOAT: _SAFE.construct_yaml_float,
    _BOOL: _SAFE.construct_yaml_bool,
    _NULL: _SAFE.construct_yaml_null,
}


def build(root: Node | None, display: str) -> Any:
    """The plain data of ``root``; raise ``ValidationFailed`` with every problem found."""
    built = build_partial(root, display)
    built.problems.raise_if_any()
    return built.data


@dataclass(frozen=True, slots=True)
class Built:
    """The data of a document and what was wrong with it, so later checks can go on.

    A duplicate key keeps its last value; a value with a refused tag or that is no valid
    number becomes null (or an empty list or mapping), and its place is in ``blamed``:
    a later check does not blame the same place again for the null.
    """

    data: Any
    problems: ProblemLog
    blamed: frozenset[tuple[int, int]]


def build_partial(root: Node | None, display: str) -> Built:
    """The plain data of ``root`` and every problem found in it."""
    builder = _Builder(display)
    data = None if root is None else builder.value(root)
    return Built(data, builder.problems, frozenset(builder.blamed))


def key_text(node: Node) -> str | None:
    """The string a key node stands for (``'<<'`` for a merge key), else ``None``."""
    if node.__class__ is not ScalarNode:
        return None
    if node.tag in _TEXT_KEYS:
        return str(node.value)
    return "<<" if node.tag == MERGE else None


def find_pair(node: Node, element: str | int) -> tuple[Node | None, Node] | None:
    """The (key node, value node) that ``element`` selects in ``node``, as ``build`` does.

    A sequence gives no key node. A mapping gives its last pair with that key (the one
    whose value the data holds), else the pair the first merged mapping that has it.
    """
    if node.__class__ is SequenceNode and type(element) is int:
        items = node.value
        return (None, items[element]) if 0 <= element < len(items) else None
    if node.__class__ is not MappingNode or not isinstance(element, str):
        return None
    for key_node, value_node in reversed(node.value):
        if key_node.tag != MERGE and key_text(key_node) == element:
            return key_node, value_node
    for source in _merge_sources(node):
        pair = find_pair(source, element)
        if pair is not None:
            return pair
    return None


def _merge_sources(node: MappingNode) -> list[Node]:
    sources: list[Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE:
            is_list = value_node.__class__ is SequenceNode
            sources.extend(value_node.value if is_list else [value_node])
    return sources


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


class _Builder:
    """One walk over one document's nodes, gathering problems as it goes."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems = ProblemLog()
        self.blamed: set[tuple[int, int]] = set()

    def problem(self, node: Node, message: str) -> None:
        self.problems.add(Problem(self.display, *line_column(node.start_mark), message))

    def bad_value(self, node: Node, message: str) -> None:
        """A value replaced by null: its place is blamed once, here."""
        self.blamed.add(line_column(node.start_mark))
        self.problem(node, message)

    def value(self, node: Node) -> Any:
        kind = node.__class__
        if kind is ScalarNode:
            return node.value if node.tag == STR else self.scalar(node)
        if kind is MappingNode:
            return self.mapping(node)
        return self.sequence(node)

    def mapping(self, node: Node) -> dict[str, Any]:
        if node.tag != MAP:
            self.unsupported_tag(node)
            return {}
        result: dict[str, Any] = {}
        merges: list[Node] = []
        key: str | None
        for key_node, value_node in node.value:
            if key_node.tag == STR and key_node.__class__ is ScalarNode:
                key = intern(key_node.value)  # 100,000 users share ten key strings
            elif key_node.tag == MERGE:
                merges.append(value_node)
                continue
            else:
                key = self.odd_key(key_node)
                if key is None:
                    continue
            kind = value_node.__class__
            if kind is ScalarNode:
                tag = value_node.tag
                result[key] = value_node.value if tag == STR else self.scalar(value_node)
            elif kind is MappingNode:
                result[key] = self.mapping(value_node)
            else:
                result[key] = self.sequence(value_node)
        if len(result) != len(node.value):  # some keys were merges, not strings, or twice
            self.duplicates(node)
        return self.merged(merges, result) if merges else result

    def sequence(self, node: Node) -> list[Any]:
        if node.tag != SEQ:
            self.unsupported_tag(node)
            return []
        value = self.value
        return [value(item) for item in node.value]

    def scalar(self, node: Node) -> Any:
        tag = node.tag
        if tag == _TIMESTAMP:
            return node.value  # the text as written: the desired state is JSON-like
        convert = _CONVERT.get(tag)
        if convert is None:
            self.unsupported_tag(node)
            return None
        try:
            value = convert(node)
        except (ValueError, KeyError, IndexError):
            message = f"'{node.value}' is not a valid {_short(tag)}; fix or remove the tag"
            self.bad_value(node, message)
            return None
        if tag == _FLOAT and not math.isfinite(value):
            message = f"'{node.value}' is not a number JSON can hold; quote it if it is text"
            self.bad_value(node, message)
            return None
        return value

    def odd_key(self, node: Node) -> str | None:
        text = key_text(node)
        if text is not None:
            return text
        if node.__class__ is ScalarNode and node.tag in _KINDS:
            message = f"keys must be strings; {node.value or 'an empty key'} is read as "
            self.problem(node, message + f"{_KINDS[node.tag]}: put it in quotes")
        elif node.__class__ is ScalarNode:
            self.unsupported_tag(node)
        else:
            kind = "a list" if node.__class__ is SequenceNode else "a mapping"
            self.problem(node, f"keys must be strings, not {kind}")
        return None

    def duplicates(self, node: Node) -> None:
        first: dict[str, Node] = {}
        for key_node, _ in node.value:
            key = key_text(key_node)
            if key is None:
                continue
            if key in first:
                line, _ = line_column(first[key].start_mark)
                self.problem(key_node, f"duplicate key '{key}' (first at line {line}); keep one")
            else:
                first[key] = key_node

    def merged(self, merges: list[Node], own: dict[str, Any]) -> dict[str, Any]:
        sources: list[dict[str, Any]] = []
        for node in merges:
            items = node.value if node.__class__ is SequenceNode else [node]
            if all(item.__class__ is MappingNode for item in items):
                sources.extend(self.mapping(item) for item in items)
            else:
                message = "'<<' merges a mapping or a list of mappings, such as '<<: *defaults'"
                self.problem(node, message)
        result: dict[str, Any] = {}
        for source in reversed(sources):  # the first merged mapping wins over the later ones
            result.update(source)
        result.update(own)
        return result

    def unsupported_tag(self, node: Node) -> None:
        message = (
            f"tag {_short(node.tag)} is not allowed; the desired state holds only strings, "
            "numbers, booleans, null, lists and mappings: remove the tag"
        )
        self.bad_value(node, message)
