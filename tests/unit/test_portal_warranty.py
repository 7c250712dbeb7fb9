"""Warranty coverage: in warranty until DATE / expired on DATE / not covered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.projects.warranty import EXPIRED, IN_WARRANTY, NOT_COVERED, add_months, coverage

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),   # leap-year February
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day, a year on
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 8, 31), 6, date(2025, 2, 28)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),  # year boundary
    (date(2024, 5, 10), 24, date(2026, 5, 10)),
])
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_in_warranty_through_the_last_day_then_expired() -> None:
    accepted = date(2024, 1, 31)
    assert coverage(accepted, 1, date(2024, 2, 29)).status == IN_WARRANTY
    assert coverage(accepted, 1, date(2024, 2, 29)).until == date(2024, 2, 29)
    after = coverage(accepted, 1, date(2024, 3, 1))
    assert after.status == EXPIRED and after.until == date(2024, 2, 29)


def test_acceptance_day_itself_is_covered() -> None:
    assert coverage(date(2025, 6, 1), 24, date(2025, 6, 1)).status == IN_WARRANTY


@pytest.mark.parametrize(("accepted", "months"), [(None, 24), (date(2025, 1, 1), 0),
                                                 (date(2025, 1, 1), None)])
def test_not_covered_without_acceptance_or_terms(accepted: date | None,
                                                 months: int | None) -> None:
    result = coverage(accepted, months, date(2025, 6, 1))
    assert result.status == NOT_COVERED and result.until is None


def test_acceptance_in_the_future_is_not_covered_yet() -> None:
    assert coverage(date(2026, 1, 1), 24, date(2025, 12, 31)).status == NOT_COVERED


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=1, max_value=120), st.integers(min_value=0, max_value=5000))
def test_status_agrees_with_until(accepted: date, months: int, offset: int) -> None:
    today = accepted + timedelta(days=offset)
    result = coverage(accepted, months, today)
    assert result.until is not None and result.until > accepted
    assert result.status == (IN_WARRANTY if today <= result.until else EXPIRED)
    # never more than the month count, never less than a month short of it
    assert (result.until.year - accepted.year) * 12 + result.until.month - accepted.month == months
