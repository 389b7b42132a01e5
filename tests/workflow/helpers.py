"""Small helpers for the workflow tests: edit the org copy, apply it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def set_policy(org: Path, **policy: Any) -> None:
    """Rewrite the org's targets.yaml with this policy for its one target."""
    targets = {"targets": {"sandbox": {"url": "http://127.0.0.1:9/v2", "policy": policy}}}
    (org / "targets.yaml").write_text(yaml.safe_dump(targets))


def remove_user(org: Path, user_name: str) -> None:
    """Drop a user from the YAML (and from every group's members)."""
    for path in (org / "users").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        data["users"] = [u for u in data["users"] if u["userName"] != user_name]
        path.write_text(yaml.safe_dump(data))
    groups_file = org / "groups" / "groups.yaml"
    data = yaml.safe_load(groups_file.read_text())
    for group in data["groups"]:
        group["members"] = [m for m in group.get("members", []) if m != user_name]
    groups_file.write_text(yaml.safe_dump(data))


def edit_user(org: Path, user_name: str, **attributes: Any) -> None:
    for path in (org / "users").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for user in data["users"]:
            if user["userName"] == user_name:
                user.update(attributes)
        path.write_text(yaml.safe_dump(data))


def edit_group(org: Path, name: str, **attributes: Any) -> None:
    groups_file = org / "groups" / "groups.yaml"
    data = yaml.safe_load(groups_file.read_text())
    for group in data["groups"]:
        if group["displayName"] == name:
            group.update(attributes)
    groups_file.write_text(yaml.safe_dump(data))


def members(org: Path, name: str) -> list[str]:
    data = yaml.safe_load((org / "groups" / "groups.yaml").read_text())
    (group,) = [g for g in data["groups"] if g["displayName"] == name]
    return list(group.get("members", []))
