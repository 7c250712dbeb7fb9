"""KPI formulas with known answers."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.projects.warranty import add_months
from backend.reports import formulas as fx
from backend.reports.measures import accepted_between
from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.sla import business_seconds_between

pytestmark = pytest.mark.unit


def test_nps_known_answer() -> None:
    result = fx.nps([10, 9, 9, 8, 7, 6, 0, 10, 3, 5])
    assert (result.promoters, result.passives, result.detractors) == (4, 2, 4)
    assert result.score == 0.0
    assert fx.nps([10, 10, 9, 8]).score == 75.0
    assert fx.nps([]).score is None


def test_rates_means_and_per_100() -> None:
    assert fx.rate(3, 4) == 0.75
    assert fx.rate(1, 0) is None
    assert fx.per_100(7, 350) == 2.0
    assert fx.per_100(1, 0) is None
    assert fx.mean(13, 3) == pytest.approx(4.3333, abs=1e-4)
    assert fx.change(0.8, 0.5) == pytest.approx(0.3)
    assert fx.change(None, 0.5) is None


def test_nearest_rank_percentiles() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert fx.median(values) == 5
    assert fx.percentile(values, 90) == 9
    assert fx.percentile(values, 100) == 10
    assert fx.percentile([42], 90) == 42
    assert fx.median([]) is None


def test_segments() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    assert fx.segment(latest_nps=None, last_touch=now, now=now) == "unknown"
    assert fx.segment(latest_nps=10, last_touch=now - timedelta(days=180), now=now) == \
        "referral_ready"
    assert fx.segment(latest_nps=10, last_touch=now - timedelta(days=181), now=now) == "neutral"
    assert fx.segment(latest_nps=6, last_touch=now, now=now) == "at_risk"
    assert fx.segment(latest_nps=8, last_touch=now - timedelta(days=400), now=now) == "at_risk"
    assert fx.segment(latest_nps=8, last_touch=now, now=now) == "neutral"


def test_business_clock_equals_the_sla_clock() -> None:
    cal = BusinessCalendar.china_default((2026, 2027))
    clock = fx.BusinessClock(cal, date(2025, 12, 1), date(2027, 12, 31))
    rng = random.Random(3)
    for _ in range(500):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 30_000_000))
        end = start + timedelta(seconds=rng.randint(-3600, 2_000_000))
        assert clock.between(start, end) == business_seconds_between(cal, start, end)
    # Friday 17:00 to Monday 10:00 Shanghai office hours: 1 h + 1 h
    fri = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 17:00 local
    mon = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 local
    assert clock.between(fri, mon) == business_seconds_between(cal, fri, mon)


def test_warranty_ending_window_inverts_add_months() -> None:
    first, last = date(2026, 11, 25), date(2027, 2, 22)
    for months in (1, 12, 24, 36):
        lo, hi = accepted_between(months, first, last)
        day = lo - timedelta(days=40)
        while day < hi + timedelta(days=40):
            inside = first <= add_months(day, months) <= last
            assert inside == (lo <= day <= hi), (months, day)
            day += timedelta(days=1)


def test_business_clock_across_daylight_saving_changes() -> None:
    from datetime import time

    hours = {d: [(time(9), time(12)), (time(13), time(0))] for d in range(6)}
    cal = BusinessCalendar(tz="Europe/Berlin", hours=hours)
    clock = fx.BusinessClock(cal, date(2026, 3, 1), date(2026, 11, 30))
    rng = random.Random(5)
    for _ in range(300):
        start = datetime(2026, 3, 10, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 20_000_000))
        end = start + timedelta(seconds=rng.randint(0, 3_000_000))
        assert clock.between(start, end) == business_seconds_between(cal, start, end)
