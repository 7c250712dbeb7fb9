"""SLA clocks: business time between instants, deadlines, pauses, and an explanation.

Pure functions over a :class:`BusinessCalendar` snapshot and a ticket's recorded history.
Changing a policy or a calendar never rewrites history: the caller stores the target and the
calendar's :meth:`~BusinessCalendar.to_dict` with the ticket when the clock starts and passes
that snapshot back here, so a ticket's deadline only moves because of its own events.

Rules, chosen so they compose (see the property tests):

* Time is counted in whole seconds; sub-second parts of inputs are dropped.
* Working periods are local wall-clock times in the calendar's zone, turned into instants day
  by day, so a DST change shortens or lengthens the night, never a counted hour. A period
  boundary inside a DST gap maps forward; inside a repeated hour, to its first occurrence.
* A deadline that lands exactly on a period's end stays there (18:00), it does not roll to the
  next morning; a clock that starts outside working time starts at the next working period.
* Work is done per day and per period, never per minute; a search gives up after
  :data:`MAX_SEARCH_DAYS` so a calendar without working time raises instead of looping.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from backend.tickets.calendar_data import BusinessCalendar, DayKind

__all__ = [
    "MAX_SEARCH_DAYS",
    "BusinessCalendar",
    "DeadlineResult",
    "ExplainStep",
    "SlaState",
    "add_business_time",
    "business_seconds_between",
    "compute_deadline",
    "sla_state",
]

MAX_SEARCH_DAYS = 3 * 366
SlaState = Literal["on_track", "breaching_soon", "breached", "paused", "met"]


@dataclass(frozen=True)
class ExplainStep:
    """One line of "why is the deadline this": a code for the web layer to translate.

    ``kind`` and the fields it fills: ``start`` (start; ``seconds`` is the target),
    ``counted`` (start, end, seconds of one working period or part of it), ``paused`` and
    ``resumed`` (start), ``holiday``/``weekend``/``makeup_workday`` (date, and for holidays
    and make-up days the calendar's name for it), ``deadline`` (start). Steps are in time
    order; ``counted`` steps after ``as_of`` are the projection that fixes a running deadline.
    Instants are in the calendar's zone.
    """

    kind: str
    start: datetime | None = None
    end: datetime | None = None
    seconds: int | None = None
    date: date | None = None
    name: str | None = None


@dataclass(frozen=True)
class DeadlineResult:
    """A ticket clock as of ``as_of``.

    While paused, ``deadline`` is None (it depends on when the pause ends) and
    ``remaining_seconds`` is frozen; but once a target was missed the deadline stays the past
    instant it was missed, paused or not. ``remaining_seconds`` goes negative when overdue.
    """

    deadline: datetime | None
    target_seconds: int
    elapsed_business_seconds: int
    remaining_seconds: int
    paused: bool
    as_of: datetime
    explain: tuple[ExplainStep, ...]


@dataclass(frozen=True, slots=True)
class _Day:
    day: date
    kind: DayKind
    begin: datetime  # local midnight, in UTC
    periods: tuple[tuple[datetime, datetime], ...]  # UTC instants, non-empty ones only


class _Log:
    """Collects explain steps, announcing each skipped or make-up day once."""

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self.steps: list[ExplainStep] = []
        self._announced: set[date] = set()

    def add(
        self,
        kind: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        seconds: int | None = None,
    ) -> None:
        zone = self.cal.zone
        self.steps.append(
            ExplainStep(
                kind,
                start=start.astimezone(zone) if start else None,
                end=end.astimezone(zone) if end else None,
                seconds=seconds,
            )
        )

    def day(self, day: _Day) -> None:
        if day.kind == "workday" or day.day in self._announced:
            return
        self._announced.add(day.day)
        self.steps.append(ExplainStep(day.kind, date=day.day, name=self.cal.names.get(day.day)))


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).replace(microsecond=0)


def _days(cal: BusinessCalendar, start: datetime, limit: int | None) -> Iterator[_Day]:
    """The calendar's days from the local day containing ``start``, as UTC periods."""
    zone = cal.zone
    day = start.astimezone(zone).date()
    for index in itertools.count():
        if limit is not None and index >= limit:
            return
        kind, periods = cal.classify(day)
        instants = []
        for begin, end in periods:
            end_day = day + timedelta(days=1) if end.hour == end.minute == end.second == 0 else day
            first = datetime.combine(day, begin, tzinfo=zone).astimezone(UTC)
            last = datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)
            if last > first:
                instants.append((first, last))
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        yield _Day(day, kind, midnight, tuple(instants))
        day += timedelta(days=1)


def _count(cal: BusinessCalendar, start: datetime, end: datetime, log: _Log | None) -> int:
    total = 0
    if end <= start:
        return 0
    for day in _days(cal, start, None):
        if day.begin >= end:
            break
        if log is not None:
            log.day(day)
        for first, last in day.periods:
            lo, hi = max(first, start), min(last, end)
            if hi > lo:
                seconds = int((hi - lo).total_seconds())
                total += seconds
                if log is not None:
                    log.add("counted", start=lo, end=hi, seconds=seconds)
    return total


def _consume(cal: BusinessCalendar, start: datetime, seconds: int, log: _Log | None) -> datetime:
    if seconds < 0:
        raise ValueError(f"business time to add must not be negative, got {seconds}")
    if not cal.has_working_time():
        raise ValueError("the calendar has no working time")
    remaining = seconds
    for day in _days(cal, start, MAX_SEARCH_DAYS):
        if log is not None:
            log.day(day)
        for first, last in day.periods:
            if last <= start:
                continue
            lo = max(first, start)
            available = int((last - lo).total_seconds())
            if remaining <= available:
                deadline = lo + timedelta(seconds=remaining)
                if log is not None and remaining:
                    log.add("counted", start=lo, end=deadline, seconds=remaining)
                return deadline
            remaining -= available
            if log is not None:
                log.add("counted", start=lo, end=last, seconds=available)
    raise ValueError(
        f"no deadline within {MAX_SEARCH_DAYS} days: the calendar has too little working time"
    )


def business_seconds_between(cal: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Working seconds in [start, end) under ``cal``; an empty or reversed span counts 0.

    Inputs may be in any zone; days and hours are always those of the calendar's zone.
    """
    return _count(cal, _utc(start, "start"), _utc(end, "end"), None)


def add_business_time(cal: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """The instant ``seconds`` of working time after ``start``, in the calendar's zone.

    Raises ValueError for negative seconds, or when the calendar has no working time within
    :data:`MAX_SEARCH_DAYS` days.
    """
    return _consume(cal, _utc(start, "start"), seconds, None).astimezone(cal.zone)


def compute_deadline(
    cal: BusinessCalendar,
    *,
    started_at: datetime,
    target_seconds: int,
    status_changes: Sequence[tuple[datetime, bool]] = (),
    now: datetime,
) -> DeadlineResult:
    """Replay a ticket clock from its recorded pause/resume events up to ``now``.

    ``status_changes`` are (at, paused) events in any order; repeats of the current state are
    ignored, events before the start count from the start, events after ``now`` are not
    history yet. A target is missed when the clock was running after its deadline. Raises
    ValueError like :func:`add_business_time` when no deadline exists within the search cap.
    """
    if target_seconds < 0:
        raise ValueError(f"target_seconds must not be negative, got {target_seconds}")
    start, as_of = _utc(started_at, "started_at"), _utc(now, "now")
    as_of = max(as_of, start)
    events = sorted(
        ((max(_utc(at, "status change"), start), paused) for at, paused in status_changes),
        key=lambda event: event[0],
    )
    log = _Log(cal)
    log.add("start", start=start, seconds=target_seconds)
    elapsed, paused, run_start = 0, False, start
    missed_at: datetime | None = None

    def run(until: datetime, *, final: bool = False) -> datetime | None:
        """Count the running span [run_start, until); return the deadline once it is known."""
        nonlocal elapsed, missed_at
        due = None if missed_at else _consume(cal, run_start, target_seconds - elapsed, None)
        if due is not None and due < until:  # the clock ran past its deadline: missed
            elapsed += _count(cal, run_start, due, log)
            missed_at = due
            log.add("deadline", start=due)
            elapsed += _count(cal, due, until, log)
        elif due is not None and final:  # still running: explain up to the projected deadline
            _count(cal, run_start, due, log)
            log.add("deadline", start=due)
            elapsed += _count(cal, run_start, until, None)
            return due
        else:
            elapsed += _count(cal, run_start, until, log)
        return missed_at

    for at, pause in events:
        if at > as_of or pause == paused:
            continue
        if pause:
            run(at)
            log.add("paused", start=at)
        else:
            run_start = at
            log.add("resumed", start=at)
        paused = pause
    deadline = missed_at if paused else run(as_of, final=True)
    zone = cal.zone
    return DeadlineResult(
        deadline=deadline.astimezone(zone) if deadline else None,
        target_seconds=target_seconds,
        elapsed_business_seconds=elapsed,
        remaining_seconds=target_seconds - elapsed,
        paused=paused,
        as_of=as_of.astimezone(zone),
        explain=tuple(log.steps),
    )


def sla_state(
    result: DeadlineResult,
    now: datetime,
    *,
    soon_fraction: float = 0.2,
    soon_seconds: int | None = None,
    stopped_at: datetime | None = None,
) -> SlaState:
    """Classify a clock for the desk's queue.

    With ``stopped_at`` (responded or resolved) the answer is final: met, or breached if the
    clock stopped after its deadline; compute ``result`` with ``now=stopped_at``. Otherwise a
    missed deadline wins over a pause, and "breaching soon" means at most ``soon_seconds``
    (default ``soon_fraction`` of the target) business seconds remain as of ``result.as_of``.
    """
    deadline = result.deadline.astimezone(UTC) if result.deadline else None
    if stopped_at is not None:
        missed = deadline is not None and _utc(stopped_at, "stopped_at") > deadline
        return "breached" if missed else "met"
    if deadline is not None and _utc(now, "now") > deadline:
        return "breached"
    if result.paused:
        return "paused"
    threshold = (
        soon_seconds
        if soon_seconds is not None
        else math.ceil(soon_fraction * result.target_seconds)
    )
    return "breaching_soon" if result.remaining_seconds <= threshold else "on_track"
