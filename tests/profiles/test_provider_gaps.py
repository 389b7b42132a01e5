"""Issue 19 item 5, two gaps the provider notes left open:

- GitHub EMU obfuscates a suspended user's handle and primary email: a user the YAML keeps
  with `active: false` reads back under made-up values, and the plan must not rename it
  on every run (the profile's `hidden_while_inactive`, a hook of the diff);
- Slack requires `members` on a group's POST: the executor sends the first members in it
  (`members_on_create`), the rest by PATCH; validation refuses a Slack group without any.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
from scimfake import MARKER, FakeScim, _error, converge, desired, read

from reconciler.model import Org, User, canonical_multi, user_key
from reconciler.plan.diff import diff
from reconciler.policy import Policy
from reconciler.scim.profiles.github_emu import PROFILE as GITHUB
from reconciler.scim.profiles.slack import PROFILE as SLACK

NAMES = [f"user{i:03d}" for i in range(150)]


def _emails(address: str) -> Any:
    return canonical_multi([{"value": address, "type": "work", "primary": True}])


def test_a_user_kept_suspended_on_github_is_not_renamed_every_plan() -> None:
    fake = FakeScim()
    uid = fake.add_user("ada", marker=None)
    fake.users[uid].update(
        {
            "userName": "ada-obf-4f2a",  # what GitHub shows of a suspended user
            "externalId": MARKER + "ada",
            "active": False,
            "emails": [
                {"value": "obf-4f2a@users.noreply.example", "type": "work", "primary": True}
            ],
        }
    )
    want = Org((User("ada", user_key("ada"), {"active": False, "emails": _emails("ada@x.com")}),))
    live = read(fake, GITHUB)

    kept = diff(want, live.org, Policy(), hidden_while_inactive=GITHUB.hidden_while_inactive)
    naive = diff(want, live.org, Policy())

    assert kept.changes == ()
    assert {a.path for c in naive.changes for a in c.attributes} == {"userName", "emails"}
    back = Org((User("ada", user_key("ada"), {"active": True, "emails": _emails("ada@x.com")}),))
    woken = diff(back, live.org, Policy(), hidden_while_inactive=GITHUB.hidden_while_inactive)
    # Reactivated in the YAML: renamed back, its email set, as any update would.
    assert {a.path for c in woken.changes for a in c.attributes} == {"userName", "emails", "active"}


class SlackLike(FakeScim):
    """Answers a group's POST without members 400, as Slack's "members … Required" says;
    ``posted`` keeps how many members each group's POST carried."""

    posted: dict[str, int]
    one_at_a_time = threading.Lock()  # the fake's store is not for two threads at once

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.one_at_a_time:
            if request.method == "POST" and request.url.path.endswith("/Groups"):
                body = json.loads(request.content)
                if not body.get("members"):
                    return _error(400, "invalidValue")
                posted = getattr(self, "posted", {})
                self.posted = {**posted, body["displayName"]: len(body["members"])}
            return super().__call__(request)


def test_slack_groups_are_created_with_their_first_members_in_the_post() -> None:
    fake = SlackLike()
    report = converge(fake, SLACK, desired(NAMES, {"everyone": NAMES, "two": NAMES[:2]}))

    assert not report.failed, [o.message for o in report.outcomes if o.result.value != "ok"]
    assert fake.posted == {"everyone": 100, "two": 2}
    (everyone,) = [g for g in fake.groups.values() if g["displayName"] == "everyone"]
    patches = fake.requests("PATCH", f"/Groups/{everyone['id']}")
    assert [len(p.body["Operations"][0]["value"]) for p in patches] == [50]  # the rest
    assert len(fake.member_ids(everyone["id"])) == 150
    (two,) = [g for g in fake.groups.values() if g["displayName"] == "two"]
    assert not fake.requests("PATCH", f"/Groups/{two['id']}")  # all in its POST
    again = converge(fake, SLACK, desired(NAMES, {"everyone": NAMES, "two": NAMES[:2]}))
    assert again.outcomes == ()


def test_validate_refuses_a_slack_group_without_members(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "desired"
    directory.mkdir()
    (directory / "org.yaml").write_text(
        "users:\n  - {userName: ada, emails: [{value: ada@x.com, primary: true}]}\n"
        "groups:\n  - displayName: empty\n  - {displayName: ok, members: [ada]}\n"
    )
    result = cli("validate", "--dir", directory, "--profile", "slack")
    assert result.code == 1
    assert result.err.splitlines()[:-1] == [
        f"{directory}/org.yaml:4:5: slack requires at least one member in a group: it refuses "
        "to create one without"
    ]
