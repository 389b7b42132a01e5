"""Slack, as its SCIM API documentation describes it.

Index paging (``startIndex`` / ``count``, at most 1,000 a page); members come with
the group. ``DELETE /Users/<id>`` only deactivates the user (so ``on_remove: delete``
is refused: it could never converge), while ``DELETE /Groups/<id>`` is permanent.
Rate limits apply to all SCIM apps of the organisation together: 1,000 reads and
600 writes a minute, and 180 a minute per write endpoint (create, update, delete of
users and of groups); a 429 carries Retry-After, which the client honours. A user
needs an email; its userName is at most 21 characters of letters, digits, periods,
underscores and hyphens (Slack rewrites anything else, so plans would never settle),
its nickName at most 21 characters, its displayName at most 80: validation says so
offline.
docs/providers/slack.md quotes each statement of Slack's pages beside what the
reconciler does.
"""

from reconciler.scim.profiles.base import Profile

PROFILE = Profile(
    name="slack",
    description="Slack: index paging up to 1,000, DELETE deactivates users, org-wide rate limits.",
    paging="index",
    page_size=1000,
    membership_read="inline",
    members_per_patch=100,
    # Group attributes: "members … Required": a group's POST carries its first members
    # (the rest go by PATCH, 100 at a time).
    members_on_create=100,
    group_members_required=True,
    delete="deactivates",
    # "userName ... Required Max of 21 characters. Support periods ., underscores _, and
    # hyphens -. All other special characters are converted to underscores."
    required=("userName", "emails"),
    patterns={
        "userName": (
            r"[A-Za-z0-9._-]{1,21}",
            "at most 21 letters, digits, periods, underscores and hyphens "
            "(Slack rewrites anything else, so every plan would rename the user again)",
        ),
        "nickName": (r".{0,21}", "at most 21 characters"),
        "displayName": (r".{1,80}", "at most 80 characters"),
    },
    # Budgets are shared with every SCIM app of the organisation: take a share of them.
    default_rate=10.0,  # 600 a minute, below the 1,000 reads a minute
    default_write_rate=2.5,  # 150 a minute, below 180 per endpoint and 600 for all writes
    default_concurrency=2,
)
