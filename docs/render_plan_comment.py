"""Make docs/plan-comment.png: a real plan of the example org, as GitHub shows the PR comment.

    python docs/render_plan_comment.py     # writes docs/plan-comment.png and plan-comment.md

It starts the sandbox SCIM server on 127.0.0.1, applies the example org (desired-state/),
edits a copy the way a pull request would (a promotion, a leaver, a new hire, a change to
a privileged group), runs ``scimctl plan --format markdown`` on it, renders the Markdown as
GitHub does (CommonMark + tables, raw HTML kept; markdown-it-py, which the package already
depends on through rich) with GitHub-like CSS, and screenshots it with headless Chromium
(``apt-get install chromium``). Nothing here is a dependency of the package.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from reconciler.sandbox.server import make_app, running

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TOKEN = "docs-screenshot-token"
FOOTER = (  # what .github/workflows/plan.yml appends to the comment
    "\n\n---\n<sub>Plan of 4f1c2d9 · [workflow run](#) · full JSON plan: artifact "
    "`scim-plan-sandbox`</sub>\n"
)

CSS = """
body { margin: 0; padding: 24px; background: #ffffff; color: #1f2328;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
  sans-serif, "Noto Color Emoji"; }
.comment { max-width: 860px; border: 1px solid #d1d9e0; border-radius: 6px; }
.header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  border-radius: 6px 6px 0 0; color: #59636e; }
.header b { color: #1f2328; }
.badge { border: 1px solid #d1d9e0; border-radius: 2em; padding: 0 7px; font-size: 12px;
  margin-left: 4px; }
.body { padding: 16px; }
h3 { font-size: 1.25em; font-weight: 600; margin: 0 0 16px; }
h4 { font-size: 1em; font-weight: 600; margin: 24px 0 16px; }
p, table, pre, details, ul { margin: 0 0 16px; }
ul { padding-left: 2em; }
code { font: 85% ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
  monospace; background: rgba(129, 139, 152, 0.12); border-radius: 6px; padding: .2em .4em; }
table { border-spacing: 0; border-collapse: collapse; display: block; width: max-content;
  max-width: 100%; overflow: auto; }
th, td { padding: 6px 13px; border: 1px solid #d1d9e0; }
th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto;
  font-size: 85%; line-height: 1.45; }
pre code { background: none; padding: 0; font-size: 100%; }
.d-add { color: #116329; background: #dafbe1; display: inline-block; width: 100%; }
.d-del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
.d-chg { color: #953800; }
summary { cursor: pointer; }
hr { border: 0; border-top: 1px solid #d1d9e0; margin: 16px 0; }
sub { color: #59636e; }
"""


def plan_of_a_pull_request(workdir: Path) -> str:
    """Apply the example org to a fresh sandbox, edit it as a PR would, and plan it."""
    org = workdir / "desired-state"
    shutil.copytree(ROOT / "desired-state", org)
    with running(make_app(TOKEN, "generic", tenants=True)) as base:
        env = {**os.environ, "SCIM_URL": f"{base}/docs/v2", "SCIM_TOKEN": TOKEN}
        scimctl(env, "apply", "--dir", str(org), "--auto-approve")
        edit_like_a_pull_request(org)
        return scimctl(env, "plan", "--dir", str(org), "--format", "markdown", ok=(0, 3))


def scimctl(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in ok:
        raise SystemExit(f"scimctl {args[0]} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def edit_like_a_pull_request(org: Path) -> None:
    targets = org / "targets.yaml"
    config = yaml.safe_load(targets.read_text())
    config["targets"]["sandbox"]["policy"]["privileged_groups"] = {
        "aws-admins": {"approvers": ["alice-gh", "@acme/security"]}
    }
    targets.write_text(yaml.safe_dump(config, sort_keys=False))
    eng = org / "users" / "engineering.yaml"
    eng.write_text(
        eng.read_text().replace("title: Staff Engineer", "title: Distinguished Engineer")
        + "  - userName: edsger.dijkstra@example.com\n"
        "    name: {givenName: Edsger, familyName: Dijkstra}\n"
        "    emails: [{value: edsger.dijkstra@example.com, type: work, primary: true}]\n"
        "    title: Research Engineer\n"
        "    enterprise: {department: Engineering, manager: ada.lovelace@example.com}\n"
    )
    biz = org / "users" / "business.yaml"
    text = biz.read_text()
    start = text.index("  - userName: john.nash@example.com")
    biz.write_text(text[:start] + text[text.index("  - userName: hedy.lamarr@example.com") :])
    groups = org / "groups" / "groups.yaml"
    text = groups.read_text().replace("      - john.nash@example.com\n", "")
    text = text.replace(
        "      - frances.allen@example.com\n",
        "      - frances.allen@example.com\n      - edsger.dijkstra@example.com\n",
        1,
    )
    text = text.replace(
        "      - barbara.liskov@example.com\n  - displayName: finance",
        "      - barbara.liskov@example.com\n      - alan.turing@example.com\n"
        "  - displayName: finance",
    )
    groups.write_text(text)


def to_html(markdown: str) -> str:
    """The comment as GitHub renders it, in a comment frame; the first <details> opened."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.add_render_rule("fence", _fence)
    body = md.render(markdown).replace("<details>", "<details open>", 1)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head><body>"
        "<div class='comment'><div class='header'><b>github-actions</b> "
        "<span class='badge'>bot</span> commented</div>"
        f"<div class='body'>{body}</div></div></body></html>"
    )


def _fence(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    """A ```diff block coloured line by line, as GitHub colours it."""
    token = tokens[idx]
    lines = []
    for line in token.content.rstrip("\n").split("\n"):
        kind = {"+": "d-add", "-": "d-del", "!": "d-chg"}.get(line[:1], "")
        text = html.escape(line)
        lines.append(f"<span class='{kind}'>{text}</span>" if kind else text)
    return "<pre><code>" + "\n".join(lines) + "</code></pre>\n"


def screenshot(page: Path, image: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={image}",
                f"--window-size={width},{height}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS / "plan-comment.png")
    parser.add_argument("--width", type=int, default=920)
    parser.add_argument("--height", type=int, default=960)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        markdown = plan_of_a_pull_request(Path(scratch))
    args.out.with_suffix(".md").write_text(markdown)
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "comment.html"
        page.write_text(to_html(markdown.rstrip() + FOOTER))
        screenshot(page, args.out, args.width, args.height)
    print(f"wrote {args.out} ({len(markdown)} characters of Markdown)")


if __name__ == "__main__":
    main()
