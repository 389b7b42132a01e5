"""Any RFC 7643/7644 server: capabilities come from its /ServiceProviderConfig."""

from reconciler.scim.profiles.base import Profile

PROFILE = Profile(
    name="generic",
    description="Any RFC 7643/7644 server; paging, ETags and Bulk as /ServiceProviderConfig says.",
)
