"""KPI formulas as pure functions: the definitions in ``docs/metrics.md``, in code.

Dashboards count rows in SQL and hand the counts (or sorted durations) to these functions,
so one tested definition serves the page, the drill-down and the DuckDB reference in
``bench/``. Rates are fractions in [0, 1] (None when the denominator is 0: "no data" is not
0 %); the web layer formats them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from backend.tickets.calendar_data import BusinessCalendar

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CSAT_SATISFIED_MIN = 4  # CSAT is asked on 1..5; "satisfied" is 4 or 5
CES_EASY_MAX = 2  # CES is asked on 1..7 (1 = very easy); "easy" is 1 or 2


def rate(part: int | float, whole: int | float) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return None if not whole else part / whole


def per_100(count: int, base: int) -> float | None:
    """Events per 100 units of ``base`` (e.g. tickets per 100 delivered projects)."""
    return None if not base else 100.0 * count / base


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters minus % detractors, -100..100; None without responses."""
        n = self.responses
        return None if not n else 100.0 * (self.promoters - self.detractors) / n


def nps_bucket(score: int) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= PROMOTER_MIN:
        return "promoter"
    return "detractor" if score <= DETRACTOR_MAX else "passive"


def nps(scores: Sequence[int]) -> Nps:
    buckets = [nps_bucket(s) for s in scores]
    return Nps(buckets.count("promoter"), buckets.count("passive"), buckets.count("detractor"))


def mean(total: int | float, count: int) -> float | None:
    return None if not count else total / count


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list: the smallest value with at least
    ``p`` % of the values at or below it. Exact (always one of the values), so SQL, DuckDB
    and Python agree; None for an empty list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def median(sorted_values: Sequence[float]) -> float | None:
    """The nearest-rank 50th percentile (the lower middle value for an even count)."""
    return percentile(sorted_values, 50)


def change(current: float | None, previous: float | None) -> float | None:
    """Difference to the previous period (None when either side has no value)."""
    if current is None or previous is None:
        return None
    return current - previous


READY_WITHIN = timedelta(days=180)
STALE_AFTER = timedelta(days=365)


def segment(*, latest_nps: int | None, last_touch: datetime | None, now: datetime) -> str:
    """A customer's segment from their latest NPS answer and last meaningful touch.

    referral_ready: a promoter (9-10) touched within 180 days; at_risk: a detractor (0-6),
    or a passive (7-8) not touched for over 365 days; unknown: never answered NPS;
    otherwise neutral.
    """
    if latest_nps is None:
        return "unknown"
    if latest_nps >= PROMOTER_MIN and last_touch is not None and last_touch >= now - READY_WITHIN:
        return "referral_ready"
    if latest_nps <= DETRACTOR_MAX:
        return "at_risk"
    if latest_nps < PROMOTER_MIN and (last_touch is None or last_touch < now - STALE_AFTER):
        return "at_risk"
    return "neutral"


class BusinessClock:
    """Business seconds between instants for many tickets, fast and equal to
    :func:`backend.tickets.sla.business_seconds_between`.

    The calendar's working periods in [first, last] are laid out once as UTC epoch
    intervals with the working seconds before each; B(t) is then one binary search, and a
    duration is B(end) - B(start). Instants outside the range are clamped (callers build the
    clock over the span of their data).
    """

    def __init__(self, cal: BusinessCalendar, first: date, last: date) -> None:
        zone = cal.zone
        self._first = first - timedelta(days=1)
        self._origin = int(datetime.combine(self._first, time(0), tzinfo=zone).timestamp())
        starts: list[int] = []
        ends: list[int] = []
        cumulative: list[int] = []
        day_periods: list[tuple[tuple[int, int], ...]] = []
        day_cum: list[int] = []
        fixed_days = True  # every local day 86,400 s long (no DST): index days by division
        total = 0
        day = self._first
        while day <= last + timedelta(days=1):
            midnight = int(datetime.combine(day, time(0), tzinfo=zone).timestamp())
            fixed_days = fixed_days and midnight == self._origin + 86400 * len(day_cum)
            day_cum.append(total)
            todays = []
            _kind, periods = cal.classify(day)
            for begin, end in periods:
                end_day = day + timedelta(days=1) if end == time(0) else day
                a = int(datetime.combine(day, begin, tzinfo=zone).timestamp())
                b = int(datetime.combine(end_day, end, tzinfo=zone).timestamp())
                if b <= a:
                    continue
                starts.append(a)
                ends.append(b)
                cumulative.append(total)
                todays.append((a, b))
                total += b - a
            day_periods.append(tuple(todays))
            day += timedelta(days=1)
        self._starts, self._ends, self._cum = starts, ends, cumulative
        self._day_periods, self._day_cum, self._total = day_periods, day_cum, total
        self._fixed = fixed_days

    def at(self, moment: datetime) -> int:
        """Working seconds from the clock's origin to ``moment``."""
        t = int(moment.timestamp())
        if self._fixed:
            d = (t - self._origin) // 86400
            if d < 0:
                return 0
            if d >= len(self._day_cum):
                return self._total
            c = self._day_cum[d]
            for a, b in self._day_periods[d]:
                if t <= a:
                    break
                c += (t if t < b else b) - a
            return c
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(t, self._ends[i]) - self._starts[i]

    def between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end); 0 for an empty or reversed span."""
        return max(0, self.at(end) - self.at(start))


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
