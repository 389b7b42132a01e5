"""The Markdown plan and apply report: golden files, the size cap, and escaping.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/render`` and review the diff.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from markdown_it import MarkdownIt

from reconciler.apply.executor import Executor
from reconciler.apply.report import Outcome, Report, Result
from reconciler.model import Group, Org, User
from reconciler.plan.diff import diff
from reconciler.plan.model import Action, AttrChange, Change, Kind, Member, Plan, Status
from reconciler.plan.safety import check
from reconciler.policy import Limits, Policy
from reconciler.render.markdown import (
    LIMIT,
    MARKER,
    attention_kind,
    code,
    fence,
    marker,
    plan_markdown,
    report_markdown,
)
from reconciler.render.text import summary_line
from reconciler.scim.client import ScimClient
from reconciler.scim.discovery import discover
from reconciler.scim.profiles import get_profile
from reconciler.scim.reader import read_live
from tests.profiles.scimfake import BASE, TOKEN, FakeScim

GOLDEN = Path(__file__).parent / "golden"
GITHUB_LIMIT = 65_536
HOSTILE = "mal|lory`<script>alert(1)</script>\n**bold** @org/admins ```x"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 updates)"


def html(markdown: str) -> str:
    """Rendered as GitHub does: CommonMark with tables, raw HTML allowed."""
    return MarkdownIt("commonmark").enable("table").render(markdown)


def user(name: str, action: Action = Action.CREATE, **rest: object) -> Change:
    return Change(Kind.USER, action, name, name.casefold(), **rest)  # type: ignore[arg-type]


def group(name: str, action: Action, *members: str, **rest: object) -> Change:
    people = tuple(Member(m, m, f"id-{m}") for m in members)
    return Change(Kind.GROUP, action, name, name, members=people, **rest)  # type: ignore[arg-type]


def small_plan() -> Plan:
    return Plan.build(
        "aws",
        [
            user(
                "frances.allen@example.com",
                attributes=(
                    AttrChange("userName", None, "frances.allen@example.com"),
                    AttrChange("title", None, "Compiler Lead"),
                ),
                external_id="scimctl:frances.allen@example.com",
            ),
            user(
                "alan.turing@example.com",
                Action.UPDATE,
                id="u-2",
                attributes=(AttrChange("title", "Staff Engineer", "Distinguished Engineer"),),
            ),
            group("engineering", Action.ADD_MEMBERS, "frances.allen@example.com", id="g-1"),
            group("finance", Action.REMOVE_MEMBERS, "john.nash@example.com", id="g-2"),
        ],
        unmanaged={"users": 2, "groups": 1},
    )


def attention_plan() -> Plan:
    return Plan.build(
        "aws",
        [
            user(
                "john.nash@example.com",
                Action.DEACTIVATE,
                id="u-1",
                attributes=(AttrChange("active", True, False),),
            ),
            user(HOSTILE, Action.DELETE, id="u-2"),
            user("ceo@example.com", Action.DELETE, id="u-3").with_status(
                Status.REFUSED, "user is protected by policy: never deleted"
            ),
            user("root@example.com", Action.CONFLICT, id="u-4").with_status(
                Status.CONFLICT, "userName is held by an unmanaged user; adopt it with --adopt"
            ),
            user("temp@example.com", Action.DEACTIVATE, id="u-5").with_status(
                Status.SKIPPED, "operation 'deactivate' is switched off for this target"
            ),
            user(
                "eve@example.com",
                Action.UPDATE,
                id="u-6",
                attributes=(AttrChange("title", "a|b", "<b>c</b>\nd"),),
            ),
            group("aws-admins", Action.ADD_MEMBERS, "mallory@example.com", id="g-1").with_status(
                Status.REFUSED,
                "privileged group: needs an approving review of the pull request's current head "
                "by one of: alice-gh, @acme/security",
            ),
            group("security", Action.REMOVE_MEMBERS, "a@example.com", "b@example.com", id="g-2"),
        ],
        violations=("2 deletes are 40.0% of 5 managed, over the limit of 25%",),
        warnings=("the server returned 3 users without a userName; they were ignored",),
    )


def large_plan(count: int = 20_000) -> Plan:
    changes = [
        user(
            f"user{n:05}@example.com",
            attributes=(
                AttrChange("userName", None, f"user{n:05}@example.com"),
                AttrChange("displayName", None, f"User {n}"),
            ),
            external_id=f"scimctl:user{n:05}@example.com",
        )
        for n in range(count)
    ]
    return Plan.build("aws", changes)


def applied() -> tuple[Plan, Report, FakeScim]:
    """A real apply, on a scripted server: read, plan, the safety check, the executor.

    The server refuses one user's update (a 409 whose detail holds a ``|``) and the new
    group's create, so the membership of that group is skipped; the policy protects one
    user the desired state drops (refused: never in the report) and makes one group
    privileged (refused without approval). Only the seconds are fixed, for the golden."""
    fake = FakeScim()
    for name in ("john.nash@example.com", HOSTILE, "ceo@example.com", "eve@example.com"):
        fake.add_user(name)
    people = {name: fake.add_user(name) for name in ("a@example.com", "b@example.com")}
    fake.add_group("security", list(people.values()))
    fake.add_group("aws-admins", [people["a@example.com"]])
    eve = next(uid for uid, u in fake.users.items() if u["userName"] == "eve@example.com")

    def server(request: httpx.Request) -> httpx.Response:
        refused = (request.method, request.url.path.rsplit("/", 1)[-1]) in {
            ("PATCH", eve),
            ("POST", "Groups"),
        }
        if refused:
            return httpx.Response(409, json={"status": "409", "detail": "taken | x"})
        return fake(request)

    want = Org(
        users=(
            User("eve@example.com", "eve@example.com", {"title": "<b>c</b>"}),
            User("a@example.com", "a@example.com"),
            User("b@example.com", "b@example.com"),
        ),
        groups=(
            Group("security", "security", frozenset({"a@example.com"})),
            Group("aws-admins", "aws-admins", frozenset({"a@example.com", "b@example.com"})),
            Group("new-team", "new-team", frozenset({"a@example.com"})),
        ),
    )
    policy = Policy(
        protected_users=frozenset({"ceo@example.com"}),
        privileged_groups=frozenset({"aws-admins"}),
        limits=Limits(min_managed=100),
    )
    profile = get_profile("generic")
    with ScimClient(BASE, TOKEN, transport=httpx.MockTransport(server)) as client:
        live = read_live(client, discover(client, profile), profile, "scimctl:")
        plan = replace(check(diff(want, live.org, policy), policy), target="aws")
        report = Executor(client, profile, live.org, concurrency=1).run(plan)
    return plan, replace(report, seconds=1.25), fake


def report() -> Report:
    return applied()[1]


# --- golden files ---------------------------------------------------------------------------


def test_empty_plan() -> None:
    text = plan_markdown(Plan("aws"), "desired-state/")
    check_golden("empty.md", text)
    assert "**No changes.**" in text
    assert "<details>" not in text


def test_small_plan() -> None:
    text = plan_markdown(small_plan())
    check_golden("small.md", text)
    assert "Nothing needs special attention" in text
    assert "conflicts" not in text  # the columns of held changes only when there are some
    assert '~     title: "Staff Engineer" → "Distinguished Engineer"' in text
    assert "+     member frances.allen@example.com" in text
    assert "-     member john.nash@example.com" in text
    assert "Unmanaged on the server, never touched: 1 group, 2 users." in text


def test_attention_plan() -> None:
    text = plan_markdown(attention_plan())
    check_golden("attention.md", text)


def test_large_plan() -> None:
    text = plan_markdown(large_plan())
    check_golden("large.md", text)


def test_report() -> None:
    """The golden is of a real apply; beside it, what any report must say, so that
    regenerating the golden cannot bless a report of an impossible apply."""
    plan, report, fake = applied()
    text = report_markdown(report)
    check_golden("report.md", text)
    ran = {(o.change.kind, o.change.action, o.change.name): o.result for o in report.outcomes}
    for change in plan.changes:  # a refused (or skipped, or conflicting) row is never done
        if change.status is not Status.PLANNED:
            assert (change.kind, change.action, change.name) not in ran, change
    assert {c.status for c in plan.changes} >= {Status.REFUSED, Status.PLANNED}
    assert all(o.change.status is Status.PLANNED for o in report.outcomes)
    ceo = next(u for u in fake.users.values() if u["userName"] == "ceo@example.com")
    assert ceo["active"] is True  # the protected user is untouched on the server
    counts = report.counts()
    assert sum(counts.values()) == len(report.outcomes)
    assert 0 not in (counts["ok"], counts["failed"], counts["skipped"])  # each happened
    head = f"**Apply: {counts['ok']} done, {counts['failed']} failed, {counts['skipped']} skipped"
    assert head in text
    attention, detail = text.split("<details>")
    rows = [line for line in detail.splitlines() if line.startswith("| ") and "|---" not in line]
    assert len(rows) == 1 + len(report.outcomes)  # the header, then one row per outcome
    assert f"<summary>All {len(report.outcomes)} changes</summary>" in detail
    for result, label in ((Result.OK, "✅ done"), (Result.FAILED, "❌ failed")):
        shown = sum(1 for row in rows if row.startswith(f"| {label} |"))
        assert shown == sum(1 for o in report.outcomes if o.result is result)
    assert attention.count("| ✅ done |") == 0


# --- structure ------------------------------------------------------------------------------


def test_plan_starts_with_the_targets_marker() -> None:
    text = plan_markdown(small_plan())
    assert text.splitlines()[0] == "<!-- scim-reconciler:plan target=aws -->"
    assert marker("aws") != marker("aws-eu")
    assert MARKER.removesuffix(" -->") in marker("aws")


def test_marker_cannot_end_the_comment_early() -> None:
    made = marker("a-->b <x>")
    assert made.count("-->") == 1
    assert made.endswith(" -->")
    assert "<x>" not in made


def test_counts_table_adds_up_to_the_summary() -> None:
    plan = attention_plan()
    rows = [line for line in plan_markdown(plan).splitlines() if line.startswith("| **")]
    numbers = [[int(cell) for cell in row.strip("|").split("|")[1:]] for row in rows]
    totals = [sum(column) for column in zip(*numbers, strict=True)]
    s = plan.summary()
    assert totals[:4] == [s.create, s.update, s.deactivate, s.delete]
    assert totals[4] + totals[5] == s.memberships
    assert totals[6:] == [s.conflicts, s.skipped, s.refused]


def test_every_attention_kind_is_listed_most_severe_first() -> None:
    text = plan_markdown(attention_plan())
    labels = re.findall(r"^\| \S+ \*\*(\w+)\*\*", text, flags=re.MULTILINE)
    assert labels == ["conflict", "privileged", "refused", "delete", "deactivate", "skipped"]
    assert "- **Unsafe:** 2 deletes are 40.0% of 5 managed" in text
    assert "- **Warning:** the server returned 3 users" in text
    assert "⛔ **Unsafe: apply will refuse this plan**" in text
    assert "−2 members" not in text  # membership removals are detail, not attention


def test_attention_comes_before_the_detail() -> None:
    text = plan_markdown(attention_plan())
    assert text.index("#### Needs attention") < text.index("<details>")


def test_attention_kind_of_plain_changes_is_none() -> None:
    assert attention_kind(user("a@x")) is None
    assert attention_kind(group("g", Action.REMOVE_MEMBERS, "a")) is None


def test_renders_as_valid_github_markdown() -> None:
    rendered = html(plan_markdown(attention_plan()))
    assert rendered.count("<table>") == 2
    assert rendered.count("<details>") == rendered.count("</details>") == 2
    assert rendered.count("<pre><code") == 2  # the detail inside <details> is rendered
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, flags=re.DOTALL)
    assert {row.count("<td") for row in rows if "<td" in row} == {4, 10}


# --- escaping -------------------------------------------------------------------------------


def test_hostile_names_cannot_break_tables_or_html() -> None:
    rendered = html(plan_markdown(attention_plan()))
    assert "<script>" not in rendered
    assert "<strong>bold</strong>" not in rendered
    attention_table = rendered.split("<table>")[2].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", attention_table, flags=re.DOTALL)[1:]
    assert len(rows) == 6
    assert all(row.count("<td") == 4 for row in rows)
    hostile = HOSTILE.replace("\n", "\\n").replace("&", "&amp;")
    hostile = hostile.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<code>{hostile}</code>" in attention_table


def test_code_shows_the_text_exactly() -> None:
    rendered = html(f"| a |\n|---|\n| {code(HOSTILE)} |\n")
    assert rendered.count("<td") == 1
    expected = HOSTILE.replace("\n", "\\n")
    expected = expected.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"<code>{expected}</code>" in rendered


def test_newlines_in_names_stay_on_one_line_of_the_detail() -> None:
    text = plan_markdown(attention_plan())
    assert "- delete user mal|lory`<script>alert(1)</script>\\n**bold**" in text
    assert '~     title: "a|b" → "<b>c</b>\\nd"' in text


def test_a_name_with_backticks_cannot_close_the_fence() -> None:
    assert fence("a ``` b") == "````"
    assert fence("plain") == "```"
    text = plan_markdown(attention_plan())
    assert "````diff" in text
    rendered = html(text)
    assert "alert(1)" in rendered.split("<pre>")[1]  # still inside the code block


def test_mentions_in_prose_do_not_notify() -> None:
    plan = Plan.build("aws", [], warnings=("ask @org/admins",))
    assert "@\u2060org/admins" in plan_markdown(plan)


# --- the size cap ---------------------------------------------------------------------------


def test_large_plan_stays_under_githubs_limit_with_the_summary_intact() -> None:
    plan = large_plan()
    text = plan_markdown(plan)
    assert len(text) <= LIMIT < GITHUB_LIMIT
    assert summary_line(plan).plain.strip() in text
    assert "| **Users** | 20000 | 0 |" in text
    assert re.search(r"\*\*\d+ of 20000 users not shown\*\*", text)
    assert "uploaded as an artifact of this workflow run" in text
    assert text.count("<details>") == text.count("</details>") == 1
    assert html(text).count("<pre><code") == 1  # the cut block is still closed


def test_huge_attention_list_is_capped_too() -> None:
    changes = [user(f"u{n:05}@example.com", Action.DELETE, id=f"i{n}") for n in range(20_000)]
    plan = Plan.build("aws", changes, violations=("20000 deletes exceed the limit of 10",))
    text = plan_markdown(plan)
    assert len(text) <= LIMIT
    assert "- **Unsafe:** 20000 deletes exceed the limit of 10" in text
    assert re.search(r"_…and \d+ more not shown here", text)
    assert "| **Users** | 0 | 0 | 0 | 20000 |" in text


@pytest.mark.parametrize("limit", [5_000, 20_000, LIMIT])
def test_every_limit_is_respected(limit: int) -> None:
    for plan in (large_plan(2_000), attention_plan()):
        assert len(plan_markdown(plan, limit=limit)) <= limit


# --- the apply report -----------------------------------------------------------------------


def test_report_lists_failures_first_and_every_outcome_in_the_detail() -> None:
    report = applied()[1]
    text = report_markdown(report)
    assert text.splitlines()[0] == f"<!-- scim-reconciler:apply target={report.target} -->"
    failed = sum(1 for o in report.outcomes if o.result is Result.FAILED)
    attention, detail = text.split("<details>")
    assert attention.count("| ❌ failed |") == failed == 2
    assert "| ✅ done |" not in attention
    assert detail.count("\n| ") == 1 + len(report.outcomes)  # header and one row per outcome
    assert "taken &#124; x" in text


def test_large_report_stays_under_the_limit() -> None:
    outcomes = tuple(
        Outcome(c, Result.FAILED, "HTTP 500: server error") for c in large_plan().changes
    )
    text = report_markdown(Report("aws", outcomes))
    assert len(text) <= LIMIT
    assert "**Apply: 0 done, 20000 failed, 0 skipped" in text
    assert re.search(r"\*\*\d+ of 20000 rows not shown\*\*", text)


def test_empty_report() -> None:
    text = report_markdown(Report("aws", ()))
    assert "**Apply: 0 done, 0 failed, 0 skipped" in text
    assert "<details>" not in text


# --- notes beside rows (a likely rename; what a deletion takes with it) ---------------------

ASSIGNMENTS = "its account assignments go with it (a test's note)"
RENAME = "looks like a rename to 'platform-eng': set `externalId: platform` on the new entry"


def renamed_plan() -> Plan:
    return Plan.build(
        "aws",
        [
            user("gone@example.com", Action.DELETE, id="u-9"),
            group("platform", Action.DELETE, "ada@x.com", id="g-1", notes=(RENAME, ASSIGNMENTS)),
            group("platform-eng", Action.CREATE, notes=("looks like a rename of 'platform'",)),
            group("platform-eng", Action.ADD_MEMBERS, "ada@x.com"),
        ],
    )


def _attention_rows(text: str) -> list[str]:
    attention = text.split("#### Needs attention")[1].split("<details>")[0]
    return [line for line in attention.splitlines() if line.startswith("| ") and "**" in line]


def test_a_group_deletions_notes_are_in_its_attention_row() -> None:
    text = plan_markdown(renamed_plan())
    (row,) = [r for r in _attention_rows(text) if "<code>platform</code>" in r]
    assert row.startswith("| 🗑️ **delete** | delete | group <code>platform</code> |")
    assert "its account assignments go with it" in row
    assert "looks like a rename to 'platform-eng'" in row
    assert "set &#96;externalId: platform&#96; on the new entry" in row
    assert row.index("account assignments") < row.index("1 member loses access")


def test_rows_with_notes_come_first_among_their_kind() -> None:
    rows = _attention_rows(plan_markdown(renamed_plan()))
    assert [r.split(" | ")[2] for r in rows] == [
        "group <code>platform</code>",
        "user <code>gone@example.com</code>",
    ]


def test_notes_are_in_the_detail_next_to_their_rows() -> None:
    detail = plan_markdown(renamed_plan()).split("<b>Groups</b>")[1]
    lines = detail.splitlines()
    head = lines.index("- delete group platform")
    assert lines[head + 1] == f"#     {RENAME}"
    assert lines[head + 2] == f"#     {ASSIGNMENTS}"
    head = lines.index("+ create group platform-eng")
    assert lines[head + 1] == "#     looks like a rename of 'platform'"
    assert lines[head + 2] == "+     member ada@x.com"


def test_a_plan_without_notes_renders_as_before() -> None:
    assert attention_kind(group("g", Action.DELETE, "a")) == "delete"
    text = plan_markdown(Plan.build("aws", [group("old", Action.DELETE, "a@x.com", id="g")]))
    (row,) = _attention_rows(text)
    assert row.endswith("| 1 member loses access: <code>a@x.com</code>; not in the desired state |")


def test_hostile_notes_cannot_break_the_table_or_ping_anyone() -> None:
    plan = Plan.build("aws", [group("g", Action.DELETE, id="g", notes=(HOSTILE,))])
    rendered = html(plan_markdown(plan))
    assert "<script>" not in rendered
    attention_table = rendered.split("<table>")[2].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", attention_table, flags=re.DOTALL)[1:]
    assert [row.count("<td") for row in rows] == [4]
    assert "@\u2060org/admins" in attention_table
