"""How a pull request's ``targets.yaml`` differs from the base branch's.

On a pull request the base branch's ``targets.yaml`` (servers, tokens' variables, policy)
judges the plan: a pull request cannot switch off the rule that would flag it, nor point
the token at another server. What the pull request changes in it is shown to the reviewer
as the first thing that needs attention, and takes effect once merged.

The pull request's file is untrusted data: it is read by the hardened YAML loader, and a
file that does not load is itself the change reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.desired import CONFIG_FILE
from reconciler.desired.yamlfile import load_yaml
from reconciler.errors import ReconcileError
from reconciler.render.values import show

MAX_LINES = 50
ABSENT = object()


def policy_change(base: Path, proposed: Path, target: str) -> tuple[str, ...]:
    """One line per setting of ``target`` that ``proposed/targets.yaml`` changes."""
    before = _target(base / CONFIG_FILE, target)
    try:
        after = _target(proposed / CONFIG_FILE, target)
    except ReconcileError:
        return (
            f"{CONFIG_FILE} of the pull request does not load (see validate); the base "
            "branch's is used",
        )
    lines = [_line(path, old, new) for path, old, new in _differences(before, after, ())]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"…and {len(lines) - MAX_LINES} more changed settings"]
    if not lines:
        return ()
    head = (
        f"this pull request changes target {target!r} in {CONFIG_FILE}; the base branch's "
        "settings judge this plan, the new ones take effect after the merge"
    )
    return (head, *lines)


def _target(path: Path, name: str) -> Any:
    if not path.is_file():
        return ABSENT
    data = load_yaml(path, CONFIG_FILE).data
    targets = data.get("targets") if isinstance(data, dict) else None
    return targets.get(name, ABSENT) if isinstance(targets, dict) else ABSENT


def _differences(
    before: Any, after: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted({*before, *after}, key=str):
            yield from _differences(
                before.get(key, ABSENT), after.get(key, ABSENT), (*path, str(key))
            )
    elif before != after:
        yield path, before, after


def _line(path: tuple[str, ...], before: Any, after: Any) -> str:
    name = ".".join(path) or "the target"
    return f"{name}: {_value(before)} → {_value(after)}"


def _value(value: Any) -> str:
    return "(not set)" if value is ABSENT else show(value)
