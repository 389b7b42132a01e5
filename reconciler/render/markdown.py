"""The plan as GitHub-flavoured Markdown, for a pull-request comment or a step summary."""

from __future__ import annotations

from reconciler.plan.model import Plan
from reconciler.render.text import plan_text

MARKER = "<!-- scim-reconciler:plan -->"


def plan_markdown(plan: Plan, source: str = "desired-state/") -> str:
    """A compact Markdown plan: the marker, the summary, then the text plan in a block."""
    summary = plan_text(plan, source).plain.rstrip().splitlines()[-1]
    body = plan_text(plan, source).plain.rstrip()
    return "\n".join(
        [
            MARKER,
            f"### scim-reconciler plan for `{plan.target}`",
            "",
            f"**{summary}**",
            "",
            "<details><summary>Details</summary>",
            "",
            "```diff",
            body,
            "```",
            "",
            "</details>",
        ]
    )
