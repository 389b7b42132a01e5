"""AWS IAM Identity Center, as its SCIM documentation describes it.

Cursor paging at most 100 a page (the older, unpaged listing stops at 50: such a
listing is treated as possibly cut short); GET /Groups never returns members (they
are read with ``GET /Users?filter=groups.value eq "<id>"``); at most 100 membership
changes per PATCH and 100 members in a group POST; one email (primary, unique
across users), phone number and address per user; displayName and both name parts
required; a userName of letters, accents, symbols, numbers and punctuation (no
spaces); addresses on one line; no roles (PATCH refuses them, so a change could never
be applied); no ETags, no Bulk; 429 without a published rate or Retry-After. Deleting a
group deletes its account assignments: every group deletion in a plan says so.
docs/providers/aws.md maps every statement of AWS's SCIM pages to what the sandbox
and the reconciler do, and the test that shows it.
"""

from reconciler.scim.profiles.base import Profile

PROFILE = Profile(
    name="aws-identity-center",
    description="AWS IAM Identity Center: cursor paging, members read per group, 100 per PATCH.",
    paging="cursor",
    page_size=100,
    membership_read="per-group",
    members_per_patch=100,
    # CreateGroup takes at most 100 members, but AWS does not require any: groups are
    # created empty and filled by PATCHes of 100 (members_on_create unset), the one way
    # docs/providers/aws.md describes and its tests prove.
    etags=False,
    bulk=False,
    required=("userName", "displayName", "name.givenName", "name.familyName"),
    max_values={"emails": 1, "phoneNumbers": 1, "addresses": 1, "roles": 1},
    primary_required=frozenset({"emails"}),
    unique_primary=frozenset({"emails"}),
    plain_text=frozenset({"userName"}),  # CreateUser: no space in the list
    one_line=frozenset({"addresses"}),
    not_patchable=frozenset({"roles"}),  # PatchUser: not among the modifiable attributes
    unsupported=frozenset(
        {"password", "ims", "photos", "entitlements", "x509Certificates", "groups"}
    ),
    default_concurrency=4,
    legacy_cap=50,
    # "When identities are deleted in the IAM Identity Center identity store, corresponding
    # assignments also get deleted" (docs/providers/aws.md, D3).
    group_delete_note=(
        "on IAM Identity Center its account assignments go with it: the permission sets it "
        "gives its members on AWS accounts are removed, and a group created again, even "
        "under the same name, does not get them back"
    ),
)
