"""git's output read as data: a log's commits, their patches and hunks, quoted paths."""

from __future__ import annotations

import pytest

from reconciler.access_review.gitparse import Hunk, names_member, read_log, unquoted

SHA = "1" * 40
PARENT = "2" * 40
HEADER = f"\x00{SHA}\x00{PARENT} {'3' * 40}\x00Ann \x1b[31mAdmin\x00ann@example.com"
LOG = f"""\
{HEADER}\x001767225600\x00Ann joins | admins
diff --git a/desired-state/old.yaml b/desired-state/new.yaml
similarity index 90%
rename from desired-state/old.yaml
rename to desired-state/new.yaml
--- a/desired-state/old.yaml
+++ b/desired-state/new.yaml
@@ -3 +3,2 @@ groups:
-      - ann@example.com
+      - user: ann@example.com
+        until: 2027-01-31
@@ -9,0 +11 @@ groups:
+      - --- ben@example.com
\\ No newline at end of file
diff --git "a/desired-state/caf\\303\\251.yaml" "b/desired-state/caf\\303\\251.yaml"
new file mode 100644
--- /dev/null
+++ "b/desired-state/caf\\303\\251.yaml"
@@ -0,0 +1 @@
+groups: []
diff --git a/desired-state/gone.yaml b/desired-state/gone.yaml
deleted file mode 100644
--- a/desired-state/gone.yaml
+++ /dev/null
@@ -1 +0,0 @@
-groups: []
\x00{PARENT}\x00\x00Root\x00root@example.com\x00not a time\x00first
"""


def test_a_log_reads_as_commits_with_their_patches() -> None:
    first, root = read_log(LOG.splitlines(keepends=True))
    assert first.commit.sha == SHA and first.parent == PARENT
    assert first.commit.author == "Ann \x1b[31mAdmin"  # kept as read: escaped where shown
    assert first.commit.date == "2026-01-01T00:00:00Z"
    assert first.commit.summary == "Ann joins | admins"
    renamed, created, deleted = first.patches
    assert (renamed.old, renamed.new) == ("desired-state/old.yaml", "desired-state/new.yaml")
    assert renamed.hunks == (
        Hunk(
            3,
            1,
            3,
            ("      - ann@example.com",),
            ("      - user: ann@example.com", "        until: 2027-01-31"),
        ),
        Hunk(9, 0, 11, (), ("      - --- ben@example.com",)),
    )
    assert [h.index for h in renamed.hunks] == [2, 9]
    assert (created.old, created.new) == (None, "desired-state/café.yaml")
    assert (deleted.old, deleted.new) == ("desired-state/gone.yaml", None)
    assert root.parent == "" and root.patches == ()
    assert root.commit.date == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("quoted", "path"),
    [
        ('"a/caf\\303\\251.yaml"', "a/café.yaml"),
        ('"a/tab\\there \\"q\\" \\\\"', 'a/tab\there "q" \\'),
        ("a/plain.yaml", "a/plain.yaml"),
    ],
)
def test_paths_git_quoted_are_unquoted(quoted: str, path: str) -> None:
    assert unquoted(quoted) == path


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("      - ann@example.com", True),
        ("      - ANN@Example.com  # Ann, since March", True),
        ('      - "ann@example.com"', True),
        ("      - {user: ann@example.com, until: 2027-01-31}", True),
        ("    members: [ben@example.com, ann@example.com]", True),
        ("      - joann@example.com", False),
        ("      - ann@example.com.au", False),
        ("      # - ann@example.com", False),
    ],
)
def test_a_line_names_a_member_as_one_of_its_scalars(line: str, named: bool) -> None:
    assert names_member(line, "ann@example.com") is named
