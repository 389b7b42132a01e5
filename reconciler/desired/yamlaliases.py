"""Refuse alias bombs ("billion laughs") and recursive aliases before building data.

Anchors and aliases are allowed, but a few lines of aliases to aliases can stand
for billions of values. The composed node graph holds each anchored node once, so
counting what the aliases *would* produce costs one pass over the distinct nodes
and expands nothing. A file is refused when its aliases would add more than
``min(EXPANSION_FACTOR × its own nodes, EXPANSION_CAP)`` nodes: a hundredfold is far
beyond ``<<: *defaults`` on every user, and the cap keeps the worst accepted file
to about a million values.

Only when a file is refused is it parsed again, as events, to find the alias to
blame: the first one, in reading order, past which the budget is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.desired.yamlparse import line_column, new_loader
from reconciler.errors import Problem, ValidationFailed

EXPANSION_FACTOR = 100
EXPANSION_CAP = 1_000_000


class _Recursive(Exception):
    """An alias inside the very node it refers to."""


def may_have_aliases(source: bytes) -> bool:
    """False when ``source`` surely has no alias: one needs both '&name' and '*name'."""
    return b"&" in source and b"*" in source


def expansion_limit(nodes: int) -> int:
    """How many nodes aliases may add to a file of ``nodes`` nodes."""
    return min(EXPANSION_FACTOR * nodes, EXPANSION_CAP)


def check_aliases(root: Node, source: bytes, display: str) -> None:
    """Raise ``ValidationFailed`` if the aliases of ``root`` recurse or expand too far."""
    try:
        nodes, expanded = count_nodes(root)
    except _Recursive:
        raise ValidationFailed([blame_alias(source, display, None)]) from None
    if expanded - nodes > expansion_limit(nodes):
        raise ValidationFailed([blame_alias(source, display, nodes)])


def count_nodes(root: Node) -> tuple[int, int]:
    """(nodes written in the file, nodes once every alias is expanded).

    An alias to a collection adds the collection's expanded size and writes no node;
    an alias to a scalar counts as a written scalar (it cannot multiply anything).
    """
    sizes: dict[int, int] = {}  # id(collection) -> expanded size; -1 while inside it
    written = 0

    def size(node: Node) -> int:
        nonlocal written
        if node.__class__ is ScalarNode:
            written += 1
            return 1
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise _Recursive
            return known
        written += 1
        sizes[id(node)] = -1
        if node.__class__ is MappingNode:
            total = 1 + sum(size(key) + size(value) for key, value in node.value)
        else:
            total = 1 + sum(size(item) for item in node.value)
        sizes[id(node)] = total
        return total

    expanded = size(root)
    return written, expanded


@dataclass(slots=True)
class _Open:
    """A collection whose end event has not come yet."""

    anchor: str | None
    kind: str
    size: int = 1


def blame_alias(source: bytes, display: str, nodes: int | None) -> Problem:
    """The problem at the alias that recurses (``nodes`` is None) or spends the budget."""
    limit = None if nodes is None else expansion_limit(nodes)
    loader = new_loader(source)
    sizes: dict[str, int] = {}  # anchor -> expanded size, once its node is complete
    collections: set[str] = set()
    open_nodes = [_Open(None, "document", 0)]
    added = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, AliasEvent):
            anchor = str(event.anchor)
            line, column = line_column(event.start_mark)
            if anchor not in sizes:  # defined (the file composed), so still open
                kind = next(node.kind for node in open_nodes if node.anchor == anchor)
                message = f"alias '*{anchor}' is inside the {kind} it refers to; "
                return Problem(display, line, column, message + "desired state cannot be recursive")
            if anchor in collections:
                added += sizes[anchor]
            if limit is not None and nodes is not None and added > limit:
                return Problem(display, line, column, _bomb_message(anchor, limit, nodes))
            open_nodes[-1].size += sizes[anchor]
        elif isinstance(event, ScalarEvent):
            open_nodes[-1].size += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            kind = "list" if isinstance(event, SequenceStartEvent) else "mapping"
            open_nodes.append(_Open(event.anchor, kind))
        elif isinstance(event, CollectionEndEvent):
            done = open_nodes.pop()
            open_nodes[-1].size += done.size
            if done.anchor is not None:
                sizes[done.anchor] = done.size
                collections.add(done.anchor)
    return Problem(display, 1, 1, "the aliases of this file expand too far; use fewer aliases")


def _bomb_message(anchor: str, limit: int, nodes: int) -> str:
    return (
        f"expanding the aliases up to this '*{anchor}' adds more than {limit:,} values to a "
        f"file that writes {nodes:,} (the limit is {EXPANSION_FACTOR} times the values written, "
        f"at most {EXPANSION_CAP:,}); this looks like an alias bomb: use fewer or smaller aliases"
    )
