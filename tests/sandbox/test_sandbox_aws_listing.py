"""AWS profile: listing non-paginated without ``cursor`` and by cursor with it (as the
ListUsers and ListGroups pages say), the legacy 50 cap, and eq-only filters."""

from __future__ import annotations

import pytest


def _pages(tenant, path, **params):
    """Every page of a cursor listing: an empty cursor first, then each nextCursor."""
    pages = [tenant.http.get(path, params={**params, "cursor": ""}).json()]
    while "nextCursor" in pages[-1]:
        pages.append(
            tenant.http.get(path, params={**params, "cursor": pages[-1]["nextCursor"]}).json()
        )
    return pages


def test_cursor_paging_over_120_users_by_50(aws):
    created = {user["id"] for user in aws.create_users(120)}

    pages = _pages(aws, "/Users", count=50)

    assert [page["itemsPerPage"] for page in pages] == [50, 50, 20]
    assert [len(page["Resources"]) for page in pages] == [50, 50, 20]
    assert all("totalResults" not in page for page in pages)
    assert all("startIndex" not in page for page in pages)
    assert "nextCursor" not in pages[-1]
    listed = [user["id"] for page in pages for user in page["Resources"]]
    assert len(listed) == len(set(listed)) == 120
    assert set(listed) == created


def test_count_defaults_to_100(aws):
    aws.create_users(101)

    first = aws.http.get("/Users", params={"cursor": ""}).json()

    assert first["itemsPerPage"] == 100
    assert "nextCursor" in first


@pytest.mark.parametrize("path", ["/Users", "/Groups"])
def test_without_cursor_the_answer_is_one_non_paginated_page(aws, path):
    """ "Including the cursor parameter changes the default response format from
    non-paginated (with totalResults, startIndex, and itemsPerPage fields) to cursor-based
    paginated results (with itemsPerPage and nextCursor fields)" (ListUsers, ListGroups)."""
    if path == "/Users":
        aws.create_users(130)
    else:
        for n in range(130):
            aws.create_group(f"group{n:03d}")

    plain = aws.http.get(path).json()
    fewer = aws.http.get(path, params={"count": 7}).json()
    paged = aws.http.get(path, params={"cursor": ""}).json()

    assert len(plain["Resources"]) == 100
    assert (plain["totalResults"], plain["startIndex"], plain["itemsPerPage"]) == (100, 1, 100)
    assert "nextCursor" not in plain
    assert (len(fewer["Resources"]), fewer["totalResults"], "nextCursor" in fewer) == (7, 7, False)
    assert "totalResults" not in paged and "startIndex" not in paged
    assert paged["itemsPerPage"] == 100 and paged["nextCursor"]
    assert [r["id"] for r in paged["Resources"]] == [r["id"] for r in plain["Resources"]]


def test_a_membership_query_without_cursor_is_not_paginated_either(aws):
    users = aws.create_users(105)
    group = aws.create_group("everyone", [u["id"] for u in users[:100]])
    aws.patch(
        f"/Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": u["id"]} for u in users[100:]]},
    )
    query = f'groups.value eq "{group["id"]}"'

    plain = aws.http.get("/Users", params={"filter": query}).json()
    pages = _pages(aws, "/Users", filter=query)

    assert (len(plain["Resources"]), plain["totalResults"], "nextCursor" in plain) == (
        100,
        100,
        False,
    )
    assert [len(page["Resources"]) for page in pages] == [100, 5]
    assert {u["id"] for page in pages for u in page["Resources"]} == {u["id"] for u in users}


def test_a_page_follows_writes_made_between_requests(aws):
    """The creation order is kept between requests: a user created or deleted after the
    first page shows on (or leaves) the next one; an update keeps its place."""
    first_two = aws.create_users(3)
    page = aws.http.get("/Users", params={"count": 2, "cursor": ""}).json()
    aws.create_user("late")
    assert aws.http.delete(f"/Users/{first_two[2]['id']}").status_code == 204
    renamed = aws.patch(
        f"/Users/{first_two[0]['id']}", {"op": "replace", "path": "title", "value": "Boss"}
    )
    assert renamed.status_code in (200, 204), renamed.text

    rest = aws.http.get("/Users", params={"count": 2, "cursor": page["nextCursor"]}).json()
    again = _pages(aws, "/Users", count=2)

    assert [u["userName"] for u in rest["Resources"]] == ["late"]
    assert [u["userName"] for p in again for u in p["Resources"]] == ["user000", "user001", "late"]


@pytest.mark.parametrize("count", ["0", "101", "ten"])
def test_count_outside_1_to_100_is_refused(aws, count):
    response = aws.http.get("/Users", params={"count": count})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "parameter",
    [
        {"startIndex": "1"},
        {"attributes": "userName"},
        {"excludedAttributes": "emails"},
        {"sortBy": "userName"},
    ],
)
def test_unsupported_list_parameters_are_refused(aws, parameter):
    response = aws.http.get("/Users", params=parameter)

    assert response.status_code == 400
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_a_cursor_from_another_query_is_refused(aws):
    aws.create_users(3)
    cursor = aws.http.get("/Users", params={"count": 1, "cursor": ""}).json()["nextCursor"]

    other = aws.http.get("/Groups", params={"count": 1, "cursor": cursor})
    forged = aws.http.get("/Users", params={"count": 1, "cursor": "not-a-cursor"})

    assert other.status_code == 400
    assert forged.status_code == 400
    assert forged.json()["scimType"] == "invalidCursor"


def test_legacy_paging_caps_at_50_and_hides_the_rest(aws_legacy):
    aws_legacy.create_users(60)

    first = aws_legacy.http.get("/Users").json()
    again = aws_legacy.http.get("/Users", params={"cursor": "ignored"}).json()

    assert len(first["Resources"]) == 50
    assert first["totalResults"] == 50  # not 60: a client cannot tell there were more
    assert "nextCursor" not in first
    assert [u["id"] for u in again["Resources"]] == [u["id"] for u in first["Resources"]]


def test_legacy_paging_honours_a_lower_count(aws_legacy):
    aws_legacy.create_users(5)

    listed = aws_legacy.http.get("/Users", params={"count": 2}).json()

    assert (len(listed["Resources"]), listed["totalResults"]) == (2, 2)


def test_id_and_manager_filter(aws):
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    boss = aws.create_user("boss")
    report = aws.create_user(
        "report",
        schemas=["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
        **{enterprise: {"manager": {"value": boss["id"]}}},
    )

    def probe(manager_id):
        query = f'id eq "{report["id"]}" and manager eq "{manager_id}"'
        return aws.http.get("/Users", params={"filter": query}).json()["Resources"]

    assert [u["id"] for u in probe(boss["id"])] == [report["id"]]
    assert probe(report["id"]) == []


def test_groups_value_filter_returns_the_members(aws):
    alice, bob, carol = (aws.create_user(name) for name in ("alice", "bob", "carol"))
    group = aws.create_group("admins", [alice["id"], carol["id"]])
    aws.create_group("others", [bob["id"]])

    pages = _pages(aws, "/Users", filter=f'groups.value eq "{group["id"]}"', count=1)

    listed = {user["id"] for page in pages for user in page["Resources"]}
    assert listed == {alice["id"], carol["id"]}
    assert len(pages) == 2  # paged by cursor like any listing


def test_groups_value_of_an_unknown_group_lists_nobody(aws):
    aws.create_user("alice")

    assert aws.member_ids("no-such-group") == set()


def test_user_name_filter_ignores_case(aws):
    alice = aws.create_user("alice")
    aws.create_user("bob")

    found = aws.http.get("/Users", params={"filter": 'userName eq "ALICE"'}).json()

    assert [user["id"] for user in found["Resources"]] == [alice["id"]]


def test_id_and_members_filter_tests_membership(aws):
    alice, bob = aws.create_user("alice"), aws.create_user("bob")
    group = aws.create_group("admins", [alice["id"]])

    def probe(user):
        query = f'id eq "{group["id"]}" and members eq "{user["id"]}"'
        return aws.http.get("/Groups", params={"filter": query}).json()["Resources"]

    assert [g["id"] for g in probe(alice)] == [group["id"]]
    assert probe(alice)[0]["members"] == []
    assert probe(bob) == []


def test_external_id_filter_on_groups(aws):
    aws.create_group("admins")
    created = aws.create_group("ops", externalId="ext-ops")

    found = aws.http.get("/Groups", params={"filter": 'externalId eq "ext-ops"'}).json()

    assert [g["id"] for g in found["Resources"]] == [created["id"]]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/Users", 'userName co "ali"'),
        ("/Users", 'userName sw "ali"'),
        ("/Users", 'userName eq "a" or userName eq "b"'),
        ("/Users", 'displayName eq "Alice"'),
        ("/Users", 'userName eq "a" and externalId eq "b"'),
        ("/Users", 'not (userName eq "a")'),
        ("/Users", "active eq true"),
        ("/Users", 'emails[value eq "a@example.org"]'),
        ("/Groups", 'id eq "g"'),
        ("/Groups", 'displayName ne "admins"'),
    ],
)
def test_filters_other_than_the_documented_eq_are_refused(aws, path, query):
    response = aws.http.get(path, params={"filter": query})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"
