"""Resolve the article's time expressions against its publication date.

Each rule is a small pure function. The seed file names the rule for each event, keeps the
original expression, and may state the expected ``value``; the loader checks they agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from graph.model import EventDate
from graph.ontology import Granularity

__all__ = ["DATE_RULES", "DateResolutionError", "resolve_date", "resolve_relative"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_OF_MONTH = re.compile(r"\b([0-9]{1,2})(?:st|nd|rd|th)\b")


class DateResolutionError(ValueError):
    """The expression does not fit the rule (e.g. no weekday in 'weekday_near_publication')."""


def _publication_day(expression: str | None, published: dt.date) -> EventDate:
    return _day(expression, published, "publication_day")


def _weekday_near_publication(expression: str | None, published: dt.date) -> EventDate:
    words = re.findall(r"[a-z]+", (expression or "").lower())
    named = [w for w in words if w in _WEEKDAYS]
    if len(named) != 1:
        raise DateResolutionError(f"expected exactly one weekday name in {expression!r}")
    delta = (_WEEKDAYS.index(named[0]) - published.weekday() + 3) % 7 - 3
    return _day(expression, published + dt.timedelta(days=delta), "weekday_near_publication")


def _named_weekday(expression: str | None) -> int:
    words = re.findall(r"[a-z]+", (expression or "").lower())
    named = [w for w in words if w in _WEEKDAYS]
    if len(named) != 1:
        raise DateResolutionError(f"expected exactly one weekday name in {expression!r}")
    return _WEEKDAYS.index(named[0])


def _last_weekday(expression: str | None, published: dt.date) -> EventDate:
    """AP style, past tense: the weekday named is the last one before publication (the
    publication day itself when it is that weekday)."""
    delta = (published.weekday() - _named_weekday(expression)) % 7
    return _day(expression, published - dt.timedelta(days=delta), "last_weekday")


def _next_weekday(expression: str | None, published: dt.date) -> EventDate:
    """AP style, future tense: the weekday named is the next one after publication (the
    publication day itself when it is that weekday)."""
    delta = (_named_weekday(expression) - published.weekday()) % 7
    return _day(expression, published + dt.timedelta(days=delta), "next_weekday")


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_DAY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+([0-9]{1,2})\b"
)


def _month_day(expression: str | None, published: dt.date) -> EventDate:
    """'Feb. 14', 'February 14': that day in the publication's year, or the year before when
    it would fall more than half a year after publication (a January article about
    December)."""
    found = _MONTH_DAY.search((expression or "").lower())
    if found is None:
        raise DateResolutionError(f"expected a month and a day like 'Feb. 14' in {expression!r}")
    month, day = _MONTHS.index(found.group(1)) + 1, int(found.group(2))
    try:
        value = dt.date(published.year, month, day)
        if value > published + dt.timedelta(days=183):
            value = dt.date(published.year - 1, month, day)
    except ValueError as exc:
        raise DateResolutionError(f"{expression!r}: {exc}") from None
    return _day(expression, value, "month_day")


def _day_before_publication(expression: str | None, published: dt.date) -> EventDate:
    """'yesterday': the day before publication."""
    return _day(expression, published - dt.timedelta(days=1), "day_before_publication")


def _week_before_publication(expression: str | None, published: dt.date) -> EventDate:
    """'last week': the week (Monday to Sunday) before the publication's week."""
    return _week(
        expression,
        published - dt.timedelta(days=published.weekday() + 7),
        "week_before_publication",
    )


def _days_of_month(expression: str | None, published: dt.date) -> EventDate:
    days = sorted({int(d) for d in _DAY_OF_MONTH.findall(expression or "")})
    if not days:
        raise DateResolutionError(f"expected a day of the month like '16th' in {expression!r}")
    try:
        first, last = published.replace(day=days[0]), published.replace(day=days[-1])
    except ValueError as exc:
        raise DateResolutionError(f"{expression!r}: {exc}") from None
    if first == last:
        return _day(expression, first, "days_of_month")
    return EventDate(
        expression=expression,
        value=first,
        start=first,
        end=last,
        granularity=Granularity.PERIOD,
        rule="days_of_month",
        note="one of several days the article names",
    )


def _publication_week(expression: str | None, published: dt.date) -> EventDate:
    return _week(expression, published - dt.timedelta(days=published.weekday()), "publication_week")


def _week(expression: str | None, monday: dt.date, rule: str) -> EventDate:
    return EventDate(
        expression=expression,
        value=monday,
        start=monday,
        end=monday + dt.timedelta(days=6),
        granularity=Granularity.WEEK,
        rule=rule,
    )


def _before_publication(expression: str | None, published: dt.date) -> EventDate:
    return EventDate(
        expression=expression,
        value=None,
        start=None,
        end=published,
        granularity=Granularity.PERIOD,
        rule="before_publication",
        note="a period ending on the publication date; the article gives no start",
    )


def _undated(expression: str | None, published: dt.date) -> EventDate:
    return EventDate(
        expression=expression,
        value=None,
        start=None,
        end=None,
        granularity=None,
        rule="undated",
        note="the article does not date this event",
    )


def _day(expression: str | None, day: dt.date, rule: str) -> EventDate:
    return EventDate(
        expression=expression,
        value=day,
        start=day,
        end=day,
        granularity=Granularity.DAY,
        rule=rule,
    )


DATE_RULES: dict[str, Callable[[str | None, dt.date], EventDate]] = {
    "publication_day": _publication_day,
    "weekday_near_publication": _weekday_near_publication,
    "last_weekday": _last_weekday,
    "next_weekday": _next_weekday,
    "month_day": _month_day,
    "day_before_publication": _day_before_publication,
    "week_before_publication": _week_before_publication,
    "days_of_month": _days_of_month,
    "publication_week": _publication_week,
    "before_publication": _before_publication,
    "undated": _undated,
}
"""Rules that need only the expression and the publication date (``relative_to_event`` also
needs its anchor, see :func:`resolve_relative`)."""


def resolve_date(rule: str, expression: str | None, published: dt.date) -> EventDate:
    """Resolve ``expression`` by ``rule`` against the publication date.

    Examples
    --------
    >>> tuesday = dt.date(2022, 2, 15)
    >>> resolve_date("weekday_near_publication", "Monday evening", tuesday).value
    datetime.date(2022, 2, 14)
    >>> resolve_date("weekday_near_publication", "Wednesday", tuesday).value
    datetime.date(2022, 2, 16)
    >>> d = resolve_date("days_of_month", "(Feb.) 16th or the 17th", tuesday)
    >>> (d.start, d.end, d.granularity.value)
    (datetime.date(2022, 2, 16), datetime.date(2022, 2, 17), 'period')
    >>> resolve_date("undated", None, tuesday).value is None
    True

    AP style resolves a weekday by tense: the last one for the past, the next for the future.

    >>> resolve_date("last_weekday", "Thursday", tuesday).value
    datetime.date(2022, 2, 10)
    >>> resolve_date("next_weekday", "Monday", tuesday).value
    datetime.date(2022, 2, 21)
    """
    try:
        resolver = DATE_RULES[rule]
    except KeyError:
        raise DateResolutionError(
            f"unknown date rule {rule!r}; known: {', '.join([*DATE_RULES, 'relative_to_event'])}"
        ) from None
    try:
        return resolver(expression, published)
    except OverflowError:
        raise DateResolutionError(
            f"{expression!r} by {rule} from {published} falls outside the calendar"
        ) from None


def resolve_relative(
    expression: str | None, anchor_id: str, anchor: EventDate, offset_days: int
) -> EventDate:
    """Resolve 'a day after X' style expressions from the anchor event's date.

    Examples
    --------
    >>> tue = resolve_date("publication_day", "Tuesday", dt.date(2022, 2, 15))
    >>> resolve_relative("a day after", "announcement", tue, -1).value
    datetime.date(2022, 2, 14)
    >>> undated = resolve_date("undated", None, dt.date(2022, 2, 15))
    >>> resolve_relative("a day after", "meeting", undated, -1).value is None
    True
    """
    if anchor.value is None or anchor.granularity != Granularity.DAY:
        return EventDate(
            expression=expression,
            value=None,
            start=None,
            end=None,
            granularity=None,
            rule="relative_to_event",
            note=f"relative to {anchor_id}, which the article does not date to a day",
        )
    try:
        day = anchor.value + dt.timedelta(days=offset_days)
    except OverflowError:
        raise DateResolutionError(
            f"{offset_days:+d} day(s) from {anchor.value} falls outside the calendar"
        ) from None
    return EventDate(
        expression=expression,
        value=day,
        start=day,
        end=day,
        granularity=Granularity.DAY,
        rule="relative_to_event",
        note=f"{offset_days:+d} day(s) from {anchor_id}",
    )
