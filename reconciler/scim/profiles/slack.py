"""Slack, as its SCIM API documentation describes it.

Index paging (``startIndex`` / ``count``, at most 1,000 a page); members come with
the group. ``DELETE /Users/<id>`` only deactivates the user (so ``on_remove: delete``
is refused: it could never converge), while ``DELETE /Groups/<id>`` is permanent.
Rate limits apply to all SCIM apps of the organisation together: 1,000 reads and
600 writes a minute, and 180 a minute per write endpoint (create, update, delete of
users and of groups); a 429 carries Retry-After, which the client honours.
"""

from reconciler.scim.profiles.base import Profile

PROFILE = Profile(
    name="slack",
    description="Slack: index paging up to 1,000, DELETE deactivates users, org-wide rate limits.",
    paging="index",
    page_size=1000,
    membership_read="inline",
    members_per_patch=100,
    delete="deactivates",
    # Budgets are shared with every SCIM app of the organisation: take a share of them.
    default_rate=10.0,  # 600 a minute, below the 1,000 reads a minute
    default_write_rate=2.5,  # 150 a minute, below 180 per endpoint and 600 for all writes
    default_concurrency=2,
)
