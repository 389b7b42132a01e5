"""targets.yaml: which SCIM servers, with which profile and policy (never secrets).

The connection of a run comes from, in order: ``SCIM_URL`` / ``SCIM_TOKEN`` in the
environment (they win), else the chosen target's ``url`` and the variable its
``token_env`` names. ``SCIM_URL`` is only ever paired with ``SCIM_TOKEN``: a target's
token never goes to an address the environment names. With no targets.yaml at all,
the environment must say it all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from reconciler.desired.schema import schema_problems
from reconciler.desired.yamlfile import YamlDocument, load_yaml
from reconciler.errors import InputError, Problem, ValidationFailed
from reconciler.identity import fold
from reconciler.mapping import AttributeMapping, mapping_problems
from reconciler.policy import Policy
from reconciler.scim.listing import DEFAULT_MAX_RESOURCES

ENV_TARGET = "default"
"""The name of the target that ``SCIM_URL`` / ``SCIM_TOKEN`` make when no file names one:
the one name plan, apply, drift, check and the saved plan give it, and the name ``import``
writes it under in targets.yaml (so ``--target default`` then reads the same server)."""
DEFAULT_PROFILE = "generic"
AWS_PROFILE = "aws-identity-center"
_AWS_HOST = re.compile(r"scim\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com")
"""AWS IAM Identity Center's SCIM host, ``scim.<region>.amazonaws.com``."""


class Secret(str):
    """A string that never shows itself in a repr, a log line or a message."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Target:
    """One SCIM server and how to treat it."""

    name: str
    url: str | None = None
    token_env: str = "SCIM_TOKEN"
    profile: str | None = None
    """The profile targets.yaml names; None: chosen from the URL (see ``choose_profile``)."""
    ca_bundle: str | None = None
    """Absolute: a relative ``ca_bundle`` is read from the directory of its targets.yaml."""
    timeout: float = 30.0
    concurrency: int | None = None
    rate: float | None = None
    write_rate: float | None = None
    max_resources: int = DEFAULT_MAX_RESOURCES
    """The most resources one listing may hold: past it the read fails (a server that
    keeps inventing pages is not followed forever)."""
    policy: Policy = field(default_factory=Policy)
    mapping: AttributeMapping = field(default_factory=lambda: AttributeMapping({}))
    scope: frozenset[str] | None = None
    """Folded names of the groups that go to this target (None: everything)."""
    digest: str = ""
    """sha256 of the target's whole block in targets.yaml (url, token_env, profile, policy,
    mapping …) as written; "" for a target the environment makes. A saved plan records it."""

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Target:
        values = {k: v for k, v in data.items() if k not in ("policy", "mapping", "scope")}
        scope = data.get("scope")
        return cls(
            name=name,
            policy=Policy.from_dict(data.get("policy") or {}),
            mapping=AttributeMapping(dict(data.get("mapping") or {})),
            scope=frozenset(fold(g) for g in scope.get("groups", ())) if scope else None,
            **values,
        )


@dataclass(frozen=True)
class ProfileChoice:
    """The profile a run uses, and where that choice came from (``check`` says both)."""

    name: str
    source: str


@dataclass(frozen=True)
class Connection:
    """Where to send requests, resolved from a target and the environment."""

    target: Target
    url: str
    token: Secret = field(repr=False)
    profile: str
    profile_source: str = "default"

    def binding(self) -> dict[str, str]:
        """What a saved plan records of where it was made, and ``apply PLANFILE`` checks:
        the server's URL (without any user or password in it), the profile, and the digest
        of the target's block in targets.yaml, policy included."""
        return {"url": _bare(self.url), "profile": self.profile, "target": self.target.digest}


def _bare(url: str) -> str:
    """``url`` as scheme, host, port and path: never a user name or password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        default = {"https": 443, "http": 80}.get(parts.scheme)
        port = f":{parts.port}" if parts.port and parts.port != default else ""
    except ValueError:
        return "(not a valid URL)"
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path.rstrip("/"), parts.query, ""))


def load_targets(directory: Path) -> dict[str, Target]:
    """The targets of ``directory/targets.yaml``, or none when the file is absent."""
    path = directory / "targets.yaml"
    if not path.is_file():
        return {}
    doc = load_yaml(path, str(path))
    problems = schema_problems(doc, "targets") or list(_mapping_problems(doc))
    if problems:
        raise ValidationFailed(problems)
    targets = doc.data["targets"]
    return {
        name: replace(
            Target.from_dict(name, _paths_from(path.parent, data or {})), digest=block_digest(data)
        )
        for name, data in targets.items()
    }


def block_digest(block: Any) -> str:
    """sha256 of one target's block as written (keys sorted; dates as text)."""
    text = json.dumps(block or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _paths_from(home: Path, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with each path it names made absolute against ``home``, the directory of
    the targets.yaml that names it (never the working directory: a pull request's plan
    runs among the pull request's files, and must not read its CA bundle)."""
    bundle = data.get("ca_bundle")
    if not isinstance(bundle, str) or Path(bundle).is_absolute():
        return data
    return {**data, "ca_bundle": str(home.absolute() / bundle)}


def _mapping_problems(doc: YamlDocument) -> Iterator[Problem]:
    for name, data in doc.data["targets"].items():
        for attribute, message in mapping_problems((data or {}).get("mapping") or {}):
            mark = doc.key_mark(("targets", name, "mapping", attribute))
            yield Problem(doc.path, mark.line, mark.column, message)


def select_target(targets: Mapping[str, Target], name: str | None) -> Target:
    """The target named ``name``, or the only one, or an environment-only target."""
    if name is not None:
        if name not in targets:
            known = ", ".join(sorted(targets)) or "none: there is no targets.yaml"
            raise InputError(f"no target named {name!r} (targets: {known})")
        return targets[name]
    if len(targets) == 1:
        return next(iter(targets.values()))
    if not targets:
        return Target(name=ENV_TARGET)
    raise InputError(
        f"targets.yaml has {len(targets)} targets ({', '.join(sorted(targets))}); "
        "choose one with --target NAME"
    )


def resolve_connection(
    target: Target, env: Mapping[str, str], profile: str | None = None
) -> Connection:
    """The URL, token and profile for ``target``; ``SCIM_URL``/``SCIM_TOKEN`` win."""
    url = env.get("SCIM_URL") or target.url
    if not url:
        raise InputError(
            "no SCIM server given: set SCIM_URL and SCIM_TOKEN, or add a target to targets.yaml"
        )
    if env.get("SCIM_URL") and not env.get("SCIM_TOKEN"):
        # A leftover `export SCIM_URL=<sandbox>` must never receive a target's real token.
        raise InputError(
            "SCIM_URL is set but SCIM_TOKEN is not: the token for SCIM_URL comes from "
            f"SCIM_TOKEN only, never from target {target.name!r}'s {target.token_env}. Set "
            "SCIM_TOKEN, or unset SCIM_URL to use the target's url"
        )
    token_var = "SCIM_TOKEN" if env.get("SCIM_TOKEN") else target.token_env
    token = env.get(token_var)
    if not token:
        raise InputError(
            f"no token: set the environment variable {token_var} "
            f"(target {target.name!r} reads its token from it)"
        )
    chosen = choose_profile(target, env, profile)
    return Connection(
        target=target,
        url=url.rstrip("/"),
        token=Secret(token),
        profile=chosen.name,
        profile_source=chosen.source,
    )


def profile_name(target: Target, env: Mapping[str, str], override: str | None = None) -> str:
    """The name of the profile ``choose_profile`` picks."""
    return choose_profile(target, env, override).name


def choose_profile(
    target: Target, env: Mapping[str, str], override: str | None = None
) -> ProfileChoice:
    """--profile, else SCIM_PROFILE (when SCIM_URL names the server), else the target's
    ``profile``; with none given, the one the server's URL names (an AWS IAM Identity
    Center host), else generic. A profile given is never second-guessed."""
    if override:
        return ProfileChoice(override, "--profile")
    from_env = env.get("SCIM_PROFILE") if env.get("SCIM_URL") else None
    if from_env:
        return ProfileChoice(from_env, "SCIM_PROFILE")
    if target.profile:
        return ProfileChoice(target.profile, f"target {target.name!r} in targets.yaml")
    url = env.get("SCIM_URL") or target.url or ""
    if is_aws_identity_center(url):
        return ProfileChoice(AWS_PROFILE, "the URL's host (scim.<region>.amazonaws.com)")
    return ProfileChoice(DEFAULT_PROFILE, "default (no profile given)")


def is_aws_identity_center(url: str) -> bool:
    """Whether ``url``'s host is AWS IAM Identity Center's SCIM endpoint,
    ``scim.<region>.amazonaws.com``."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return _AWS_HOST.fullmatch(host) is not None
