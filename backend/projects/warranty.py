"""Warranty coverage: a pure rule from the acceptance date and the product line's terms.

Coverage starts on the acceptance date and runs for ``warranty_months`` calendar months. The
last covered day is the same day of the month ``warranty_months`` later; when that month is
shorter (accepted on 31 January, one month), the last covered day is that month's last day
(28 or 29 February). Without an acceptance date (work still under way) or without warranty
terms, a repair is "not covered" by the warranty: the team handles it as part of the project
or quotes it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

IN_WARRANTY = "in_warranty"
EXPIRED = "expired"
NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class Coverage:
    """``status`` is one of in_warranty / expired / not_covered; ``until`` is the last
    covered day (None when not covered)."""

    status: str
    until: date | None = None


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar months, clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def coverage(accepted_on: date | None, warranty_months: int | None, today: date) -> Coverage:
    """Warranty coverage on ``today`` for work accepted on ``accepted_on``."""
    if accepted_on is None or not warranty_months or warranty_months <= 0:
        return Coverage(NOT_COVERED)
    until = add_months(accepted_on, warranty_months)
    if today < accepted_on:
        # Accepted in the future (data entered ahead): not yet under warranty.
        return Coverage(NOT_COVERED)
    return Coverage(IN_WARRANTY if today <= until else EXPIRED, until)
