"""Temporary access: when a membership written with ``until`` ends.

A member may carry an end: ``{user: bob@example.com, until: 2027-01-31}``. A date means
the end of that day in UTC (the membership holds all of the 31st); a date-time must
carry its offset (``2027-01-31T18:00:00+01:00``), since a time without one means a
different moment on each runner. A membership has expired once ``now`` is at or past
its end: the plan removes it, without an approval and outside the limits meant for
mistakes (``plan.safety``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_end(text: str) -> datetime:
    """The moment ``text`` (an ISO date, or a date-time with an offset) ends, in UTC.

    Raises ``ValueError`` saying what is wrong."""
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"{text!r} is no date: {error}") from None
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is no date: write an ISO date (2027-01-31, meaning the end of that day "
            "in UTC) or a date-time with its offset (2027-01-31T18:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(
            f"{text!r} has no offset: a time without one is another moment on each runner; "
            "add one (Z for UTC, or +01:00), or write the date alone"
        )
    return moment.astimezone(UTC)


def end_text(text: str) -> str:
    """How an end is shown: as written when it is a date, else in UTC to the minute."""
    if _DATE.fullmatch(text):
        return text
    return parse_end(text).strftime("%Y-%m-%d %H:%M UTC")


def expired(end: datetime, now: datetime) -> bool:
    """Whether a membership ending at ``end`` is over at ``now``."""
    return now >= end


def parse_moment(text: str) -> datetime:
    """The moment ``plan --at`` names: a date is the start of that day in UTC (so
    ``--at 2027-02-01`` shows the memberships that ended by 2027-01-31); a date-time must
    carry its offset."""
    if _DATE.fullmatch(text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        except ValueError as error:
            raise ValueError(f"{text!r} is no date: {error}") from None
    return parse_end(text)
