"""One access review: the desired state, its git history, the live server, the pull requests.

``make_review`` puts the pieces together; the CLI (``scimctl access-review``) reads the
server and renders what it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.access_review.gather import review_groups, selected_keys
from reconciler.access_review.history import History
from reconciler.access_review.model import Grant, Review
from reconciler.access_review.places import written_members
from reconciler.access_review.pulls import pull_requests
from reconciler.config import Target
from reconciler.desired import DesiredState
from reconciler.github.api import GitHubRepo
from reconciler.identity import fold
from reconciler.scim.reader import LiveState
from reconciler.session import desired_for


@dataclass(frozen=True)
class Sources:
    """What one review reads."""

    directory: Path
    desired: DesiredState
    target: Target
    url: str
    live: LiveState
    history: History
    github: GitHubRepo | None
    """Where the pull requests are read; None: git alone."""
    no_github: str = ""
    """Why there is no GitHub to read (the variables not set), said in the review."""


def make_review(sources: Sources, *, now: datetime, only: Sequence[str] = ()) -> Review:
    """The access review of ``sources`` at ``now`` (of the groups ``only`` names, if any)."""
    wanted = desired_for(sources.target, sources.desired)
    keys = selected_keys(wanted, sources.live.org, only)
    grants = _grants(sources, keys)
    groups = review_groups(
        wanted,
        sources.live.org,
        sources.target.policy,
        grants,
        now=now,
        pulls_read=sources.github is not None,
        only=only,
    )
    history = sources.history
    return Review(
        target=sources.target.name,
        url=sources.url,
        commit=history.head,
        directory=history.relative(sources.directory) + "/",
        made_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        github=sources.github.repository if sources.github else "",
        groups=groups,
        notes=tuple(_notes(sources)),
    )


def _grants(sources: Sources, keys: set[str]) -> dict[tuple[str, str], Grant]:
    """Where git grants each membership of the groups keyed ``keys``, and by which commit
    and pull request."""
    user_keys = {fold(u.user_name): u.key or "" for u in sources.desired.org.users}
    written = written_members(sources.directory, sources.history.root, user_keys)
    written = {k: w for k, w in written.items() if k[0] in keys}
    origins = sources.history.origins(written.values())
    shas = {o.commit.sha for o in origins.values() if o.commit is not None}
    pulls = pull_requests(sources.github, shas) if sources.github else {}
    grants = {}
    for key, where in written.items():
        origin = origins[where]
        pull = pulls.get(origin.commit.sha) if origin.commit is not None else None
        grants[key] = Grant(where.file, where.line, origin.commit, origin.changed, pull)
    return grants


def _notes(sources: Sources) -> list[str]:
    notes = []
    if sources.github is None:
        notes.append(
            f"GitHub was not read ({sources.no_github or 'GITHUB_TOKEN'} not set): this review "
            "is of git alone, with no pull request, requester, reason or approval"
        )
    if sources.history.uncommitted(sources.directory):
        notes.append(
            f"the desired-state directory has changes not committed at "
            f"{sources.history.head[:12]}: memberships only they hold are flagged uncommitted"
        )
    notes += [f"the server's listing may be incomplete: {why}" for why in sources.live.partial]
    return notes
