"""The review's four renderings: hostile names escaped in each, each sealed by a digest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator

import pytest

from reconciler.access_review.model import (
    Approval,
    Commit,
    Flag,
    Grant,
    GroupReview,
    Membership,
    PullRequest,
    Review,
)
from reconciler.render.access_review import FORMATS, cell, rendered
from reconciler.scim.redaction import forget_output_tokens, keep_out_of_output

TOKEN = "tQ7vR2xK9mWp4ZsL8nYb"
EVIL_GROUP = "admins\x1b[31m\n::error::forged\u202e"
EVIL_TITLE = "Fix | <script>alert(1)</script> @everyone `x` [y](javascript:alert(1))\n::warning::"
COMMIT = Commit(
    "f" * 40, "=cmd|' /C calc'!A0", "m@example.com", "2026-01-01T00:00:00Z", "line\r\nbreak"
)
PULL = PullRequest(
    9,
    "javascript:alert(1)",
    EVIL_TITLE + TOKEN,
    "mallory",
    "2026-01-02T00:00:00Z",
    (Approval("mallory", "2026-01-02T00:00:00Z"),),
)


def review() -> Review:
    members = (
        Membership(
            '=HYPERLINK("https://evil")',
            True,
            Grant("g.yaml", 4, COMMIT, pull=PULL),
            flags=(Flag.SELF_APPROVED,),
        ),
        Membership("@evil", True, None, flags=(Flag.OUT_OF_BAND,)),
        Membership("-2+3", True, Grant("g.yaml", 5, COMMIT), until="2027-01-31"),
        Membership("+1\tx", True, None, flags=(Flag.OUT_OF_BAND,)),
    )
    pending = (Membership("ok@example.com", False, Grant("g.yaml", 6, None), reason="why\n::x"),)
    group = GroupReview(EVIL_GROUP, True, True, True, members, pending)
    return Review(
        "t\x1b",
        "https://scim.example/v2",
        "a" * 40,
        "desired-state/",
        "2026-03-01T00:00:00Z",
        "example/identity",
        (group,),
        ("note\nforged",),
    )


@pytest.fixture(autouse=True)
def token() -> Iterator[None]:
    keep_out_of_output(TOKEN)
    yield
    forget_output_tokens()


def test_text_escapes_every_name_and_title() -> None:
    text = rendered(review(), "text")
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    assert not any(line.startswith("::") for line in text.splitlines())
    assert "admins\\u001b[31m\\n::error::forged\\u202e (privileged)" in text
    assert '"line\\r\\nbreak"' in text
    assert TOKEN not in text and "[redacted]" in text


def test_markdown_renders_names_and_titles_as_written_and_mentions_no_one() -> None:
    markdown = rendered(review(), "markdown")
    assert "<script>" not in markdown and "&#60;script&#62;" in markdown
    assert "](javascript" not in markdown
    assert "@everyone" not in markdown and "@\u2060everyone" in markdown
    assert "&#124;" in markdown  # the title's | splits no cell
    assert "\x1b" not in markdown and "\n::" not in markdown
    assert "#9 Fix" in markdown  # an URL that is not https is no link
    assert TOKEN not in markdown


def test_csv_cells_are_never_formulas() -> None:
    rows = list(csv.reader(io.StringIO(rendered(review(), "csv"))))
    header, *body = rows
    table = [dict(zip(header, row, strict=False)) for row in body if len(row) == len(header)]
    assert [r["member"] for r in table] == [
        '\'=HYPERLINK("https://evil")',
        "'@evil",
        "'-2+3",
        "'+1\\tx",
        "ok@example.com",
    ]
    assert table[0]["author"] == "'=cmd|' /C calc'!A0"
    assert table[0]["summary"] == "line\\r\\nbreak"
    assert table[0]["group"] == "admins\\u001b[31m\\n::error::forged\\u202e"
    assert table[4]["not_on_server_because"] == "why\\n::x"
    assert all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row)
    assert cell(None) == "" and cell(12) == "12" and cell("-") == "'-"


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])
def test_each_rendering_ends_with_the_digest_of_what_is_above(fmt: str) -> None:
    text = rendered(review(), fmt)
    body, _, seal = text.rstrip("\n").rpartition("\n")
    digest = hashlib.sha256((body + "\n").encode()).hexdigest()
    assert seal == f"digest: sha256:{digest} (the SHA-256 of every line above this one)"
    assert TOKEN not in text


def test_json_keeps_values_as_read_and_carries_its_digest() -> None:
    data = json.loads(rendered(review(), "json"))
    digest = data.pop("digest")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert digest == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    (group,) = data["groups"]
    assert group["group"] == EVIL_GROUP
    assert group["members"][0]["grant"]["pull_request"]["title"] == EVIL_TITLE + "[redacted]"
    assert data["flagged"] == {"out-of-band": 2, "self-approved": 1}
