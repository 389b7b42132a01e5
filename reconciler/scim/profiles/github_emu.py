"""GitHub Enterprise Managed Users, as GitHub's SCIM REST documentation describes it.

``https://api.github.com/scim/v2/enterprises/<enterprise>``. Index paging
(``startIndex`` / ``count``); one filter expression per request (the reconciler
never sends more than one ``eq``); members come with the group. ``DELETE`` of a
user is irreversible, while ``active: false`` soft-deprovisions and can be undone:
removal stays ``deactivate`` unless the policy acknowledges irreversible deletes.
Every request must carry a User-Agent. GitHub asks for at most 1,000 users assigned
per hour, users provisioned before groups (the apply order) and a single writer:
writes are paced below that and sent one at a time. A user POST requires userName,
displayName, both name parts and emails, each email with type and primary: validation
says so offline. docs/providers/github-emu.md quotes each statement of GitHub's pages
beside what the reconciler does.
"""

from reconciler import __version__
from reconciler.scim.profiles.base import Profile

USERS_PER_HOUR = 1000

PROFILE = Profile(
    name="github-emu",
    description="GitHub Enterprise Managed Users: index paging, irreversible DELETE, paced writes.",
    paging="index",
    page_size=100,
    membership_read="inline",
    members_per_patch=100,
    # "Complex SCIM path selectors that include filters are not supported ... will be
    # ineffective": members are removed by value list, never by members[value eq ...].
    member_removal="value",
    delete="irreversible",
    # "Provision a SCIM enterprise user": userName, name.familyName, name.givenName,
    # displayName and emails (value, type, primary) are "(required)".
    required=("userName", "displayName", "name.givenName", "name.familyName", "emails"),
    item_required={"emails": ("type", "primary")},
    # "Setting active: false will suspend a user. As a result, their handle and primary
    # email address will be obfuscated."
    hidden_while_inactive=frozenset({"userName", "emails"}),
    default_rate=1.0,
    default_write_rate=0.9 * USERS_PER_HOUR / 3600,  # 900 an hour: a margin below 1,000
    default_concurrency=1,
    user_agent=f"scim-reconciler/{__version__}",
)
