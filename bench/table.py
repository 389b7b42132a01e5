"""The benchmark's figures as rows of one Markdown table: ratios and counts first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    part: str
    figure: str
    result: str
    target: str = ""
    met: bool | None = None
    reference: str = ""
    """Absolute numbers, for reference."""

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "**no**", None: ""}[self.met]


HEADER = ("", "figure", "result", "target", "met", "absolute, for reference")


def markdown(rows: list[Row]) -> str:
    lines = [_line(HEADER), _line(tuple("---" for _ in HEADER))]
    lines += [_line((r.part, r.figure, r.result, r.target, r.verdict, r.reference)) for r in rows]
    return "\n".join(lines) + "\n"


def _line(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def count(value: int) -> str:
    return f"{value:,}"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"
