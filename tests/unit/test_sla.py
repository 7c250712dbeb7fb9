"""SLA clocks over business calendars: China's 2026 arrangement, pauses, zones and DST."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The repo root is not on sys.path under the plain `pytest` entry point (no root conftest or
# `pythonpath` setting yet); drop this once pyproject sets `pythonpath = ["."]`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from backend.tickets.calendar_data import CN_ARRANGEMENTS  # noqa: E402
from backend.tickets.sla import (  # noqa: E402
    BusinessCalendar,
    add_business_time,
    business_seconds_between,
    compute_deadline,
    sla_state,
)

pytestmark = pytest.mark.unit

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
HOUR = 3600
DAY = int(7.5 * HOUR)  # CN office day: 09:00-12:00 and 13:30-18:00
CN = BusinessCalendar.china_default()
NY_OFFICE = BusinessCalendar(
    tz="America/New_York", hours={wd: [(time(9), time(17))] for wd in range(5)}
)
NY_24X7 = BusinessCalendar(
    tz="America/New_York", hours={wd: [(time(0), time(0))] for wd in range(7)}
)
MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
SWAPPED_OFF_2026 = [
    "2026-01-02",
    "2026-02-20",
    "2026-02-23",
    "2026-05-05",
    "2026-10-06",
    "2026-10-07",
]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)


# --- hours, weekends, holidays, make-up days -------------------------------------------


def test_counts_only_working_periods_of_a_day() -> None:
    assert business_seconds_between(CN, sh(2026, 3, 2, 0), sh(2026, 3, 3, 0)) == DAY
    assert business_seconds_between(CN, sh(2026, 3, 2, 11), sh(2026, 3, 2, 14)) == 1.5 * HOUR


def test_weekend_is_skipped() -> None:
    # Friday 17:00 to Monday 10:00: one hour each side of an ordinary weekend.
    assert business_seconds_between(CN, sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)) == 2 * HOUR
    assert add_business_time(CN, sh(2026, 3, 6, 17), 2 * HOUR) == sh(2026, 3, 9, 10)


def test_start_outside_hours_starts_at_the_next_period() -> None:
    assert add_business_time(CN, sh(2026, 3, 7, 10), HOUR) == sh(2026, 3, 9, 10)  # Saturday
    assert add_business_time(CN, sh(2026, 3, 2, 12, 15), HOUR) == sh(2026, 3, 2, 14, 30)  # lunch
    assert add_business_time(CN, sh(2026, 3, 2, 7), 0) == sh(2026, 3, 2, 9)


def test_deadline_on_a_period_end_does_not_roll_to_the_next_morning() -> None:
    assert add_business_time(CN, sh(2026, 3, 2, 17), HOUR) == sh(2026, 3, 2, 18)


def test_national_day_golden_week_2026() -> None:
    assert add_business_time(CN, sh(2026, 9, 30, 17), 2 * HOUR) == sh(2026, 10, 8, 10)
    assert business_seconds_between(CN, sh(2026, 10, 1, 0), sh(2026, 10, 8, 0)) == 0
    result = compute_deadline(
        CN, started_at=sh(2026, 9, 30, 17), target_seconds=2 * HOUR, now=sh(2026, 9, 30, 17)
    )
    skipped = [(s.date, s.name) for s in result.explain if s.kind == "holiday"]
    assert skipped == [(date(2026, 10, d), "National Day") for d in range(1, 8)]


@pytest.mark.parametrize("iso", MAKEUP_2026)
def test_2026_makeup_weekend_days_work_a_full_day(iso: str) -> None:
    day = date.fromisoformat(iso)
    assert day.weekday() >= 5
    start = datetime.combine(day, time(0), tzinfo=SH)
    assert business_seconds_between(CN, start, start + timedelta(days=1)) == DAY


@pytest.mark.parametrize("iso", SWAPPED_OFF_2026)
def test_2026_weekdays_swapped_off_do_not_work(iso: str) -> None:
    day = date.fromisoformat(iso)
    assert day.weekday() < 5
    start = datetime.combine(day, time(0), tzinfo=SH)
    assert business_seconds_between(CN, start, start + timedelta(days=1)) == 0


def test_makeup_saturday_before_spring_festival_is_used() -> None:
    # Friday 2026-02-13 17:00 + 4 h: 1 h Friday, 3 h on make-up Saturday 02-14.
    assert add_business_time(CN, sh(2026, 2, 13, 17), 4 * HOUR) == sh(2026, 2, 14, 12)
    result = compute_deadline(
        CN, started_at=sh(2026, 2, 13, 17), target_seconds=4 * HOUR, now=sh(2026, 2, 13, 17)
    )
    assert [s.kind for s in result.explain] == [
        "start", "counted", "makeup_workday", "counted", "deadline",
    ]  # fmt: skip
    assert result.explain[2].date == date(2026, 2, 14)
    assert result.explain[2].name == "Chinese New Year (Spring Festival)"
    assert result.explain[3].seconds == 3 * HOUR


def test_makeup_sunday_before_national_day() -> None:
    assert add_business_time(CN, sh(2026, 9, 19, 10), HOUR) == sh(2026, 9, 20, 10)


def test_2026_has_248_working_days() -> None:
    # 261 weekdays - 19 weekdays off + 6 make-up weekend days.
    seconds = business_seconds_between(CN, sh(2026, 1, 1, 0), sh(2027, 1, 1, 0))
    assert seconds == 248 * DAY


# --- the data ------------------------------------------------------------------------


def test_2026_data_matches_the_holidays_package() -> None:
    """The hard-coded lists agree with what `holidays` derives from the published notice."""
    official = holidays_lib.China(years=2026)
    substituted = {
        datetime.strptime(m.group(1), "%m/%d/%Y").date()
        for name in official.values()
        if (m := re.search(r"substituted from (\d\d/\d\d/\d{4})", name))
    }
    assert substituted == set(CN.makeup_workdays) == {date.fromisoformat(d) for d in MAKEUP_2026}
    assert set(official) <= CN.holidays
    ours_2026 = {d for d in CN.holidays if d.year == 2026 and d.weekday() < 5}
    assert ours_2026 == {d for d in official if d.weekday() < 5}


def test_2027_has_only_statutory_days_and_is_flagged_unpublished() -> None:
    computed = holidays_lib.China(years=2027)
    statutory = {d for d, name in computed.items() if "observed" not in name}
    assert {d for d in CN.holidays if d.year == 2027} == statutory
    assert len(statutory) == 13
    assert not CN_ARRANGEMENTS[2027]["makeup_workdays"]
    assert CN.arrangement_status(2026) == "published"
    assert CN.arrangement_status(2027) == "unpublished"
    assert CN.arrangement_status(2028) == "missing"
    assert CN.to_dict()["years"] == {"2026": {"published": True}, "2027": {"published": False}}
    with pytest.raises(ValueError, match="2028"):
        BusinessCalendar.china_default([2028])


def test_calendar_round_trips_through_json() -> None:
    for cal in (CN, NY_OFFICE, NY_24X7):
        stored = json.loads(json.dumps(cal.to_dict()))
        assert BusinessCalendar.from_dict(stored) == cal
    assert NY_24X7.to_dict()["hours"]["sun"] == [["00:00", "24:00"]]
    assert CN.to_dict()["makeup_workdays"][0] == {
        "date": "2026-01-04", "name": "New Year's Day", "hours_of": "mon",
    }  # fmt: skip


def test_admin_edits_accept_weekday_names_and_numbers() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "tz": "Asia/Shanghai",
            "hours": {"Saturday": [["10:00", "14:00"]], "0": [["09:00", "17:30:30"]]},
            "makeup_workdays": [{"date": "2026-03-08", "hours_of": "sat"}],
        }
    )
    assert cal.hours == {5: ((time(10), time(14)),), 0: ((time(9), time(17, 30, 30)),)}
    assert cal.classify(date(2026, 3, 8)) == ("makeup_workday", ((time(10), time(14)),))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus"}, "time zone"),
        ({"hours": {0: [(time(9), time(12)), (time(11), time(13))]}}, "overlap"),
        ({"hours": {0: [(time(12), time(9))]}}, "ends before"),
        ({"hours": {7: [(time(9), time(12))]}}, "weekday"),
        ({"holidays": frozenset({date(2026, 1, 4)}), "makeup_workdays": {date(2026, 1, 4): 0}},
         "both"),
    ],
)  # fmt: skip
def test_invalid_calendars_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_calendar_without_working_time_raises_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(BusinessCalendar(), sh(2026, 1, 5, 9), HOUR)
    only_holidays = BusinessCalendar(
        hours={0: [(time(9), time(10))]},
        holidays=frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(200)),
    )
    with pytest.raises(ValueError, match="no deadline within"):
        add_business_time(only_holidays, sh(2026, 1, 5, 0), HOUR)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_seconds_between(CN, datetime(2026, 3, 2, 9), sh(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(CN, sh(2026, 3, 2, 9), -1)
    assert business_seconds_between(CN, sh(2026, 3, 2, 12), sh(2026, 3, 2, 10)) == 0


# --- pauses and history -------------------------------------------------------------


def test_pause_spanning_golden_week() -> None:
    # Tue 09-29 09:00, 12 h target: 7.5 h Tue + 1 h Wed, paused over National Day, resumed
    # Thu 10-08 14:00 with 3.5 h left.
    changes = [(sh(2026, 9, 30, 10), True), (sh(2026, 10, 8, 14), False)]
    result = compute_deadline(
        CN,
        started_at=sh(2026, 9, 29, 9),
        target_seconds=12 * HOUR,
        status_changes=changes,
        now=sh(2026, 10, 8, 15),
    )
    assert result.deadline == sh(2026, 10, 8, 17, 30)
    assert result.elapsed_business_seconds == 9.5 * HOUR
    assert result.remaining_seconds == 2.5 * HOUR
    assert not result.paused
    kinds = [s.kind for s in result.explain]
    assert kinds == ["start", "counted", "counted", "counted", "paused", "resumed", "counted",
                     "deadline"]  # fmt: skip
    assert "holiday" not in kinds  # the clock was stopped anyway
    unpaused = compute_deadline(
        CN, started_at=sh(2026, 9, 29, 9), target_seconds=12 * HOUR, now=sh(2026, 9, 29, 9)
    )
    assert unpaused.deadline == sh(2026, 9, 30, 15)


def test_while_paused_the_deadline_is_unknown_and_remaining_is_frozen() -> None:
    common = {"started_at": sh(2026, 3, 2, 9), "target_seconds": 8 * HOUR}
    changes = [(sh(2026, 3, 2, 11), True)]
    first = compute_deadline(CN, **common, status_changes=changes, now=sh(2026, 3, 2, 15))
    later = compute_deadline(CN, **common, status_changes=changes, now=sh(2026, 3, 9, 15))
    assert first.paused
    assert first.deadline is None
    assert first.remaining_seconds == later.remaining_seconds == 6 * HOUR
    assert sla_state(later, sh(2026, 3, 9, 15)) == "paused"
    resumed = compute_deadline(
        CN, **common, status_changes=[*changes, (sh(2026, 3, 9, 9), False)], now=sh(2026, 3, 9, 9)
    )
    assert resumed.deadline == sh(2026, 3, 9, 16, 30)


def test_event_order_repeats_and_future_events() -> None:
    common = {"started_at": sh(2026, 3, 2, 9), "target_seconds": 8 * HOUR, "now": sh(2026, 3, 3, 9)}
    clean = [(sh(2026, 3, 2, 10), True), (sh(2026, 3, 2, 14), False)]
    noisy = [
        (sh(2026, 3, 2, 14), False),
        (sh(2026, 3, 2, 10), True),
        (sh(2026, 3, 2, 11), True),  # already paused: ignored
        (sh(2026, 3, 4, 9), True),  # after now: not history yet
    ]
    expected = compute_deadline(CN, **common, status_changes=clean)
    assert compute_deadline(CN, **common, status_changes=noisy) == expected
    assert expected.deadline == sh(2026, 3, 3, 12)  # 1 h + 4 h Monday, 3 h Tuesday


def test_policy_or_calendar_change_mid_pause_does_not_rewrite_history() -> None:
    """The ticket stores its target and calendar snapshot; later edits do not move it."""
    snapshot = {"target_seconds": 12 * HOUR, "calendar": json.dumps(CN.to_dict())}
    changes = [(sh(2026, 9, 30, 10), True), (sh(2026, 10, 8, 14), False)]

    def recompute(calendar: BusinessCalendar, target: int) -> object:
        return compute_deadline(
            calendar,
            started_at=sh(2026, 9, 29, 9),
            target_seconds=target,
            status_changes=changes,
            now=sh(2026, 10, 8, 15),
        )

    before = recompute(CN, 12 * HOUR)
    # Mid-pause the admin adds a company day off on 10-08 and halves the policy's target.
    edited = CN.to_dict()
    edited["holidays"].append({"date": "2026-10-08", "name": "Company day"})
    edited_calendar = BusinessCalendar.from_dict(edited)
    stored = BusinessCalendar.from_dict(json.loads(snapshot["calendar"]))
    assert recompute(stored, snapshot["target_seconds"]) == before
    assert recompute(edited_calendar, 6 * HOUR) != before  # the edit would have mattered


def test_missed_deadline_stays_missed_through_a_later_pause() -> None:
    changes = [(sh(2026, 3, 2, 17), True)]  # paused at 17:00, 1 h after a 16:00 deadline
    result = compute_deadline(
        CN,
        started_at=sh(2026, 3, 2, 9),
        target_seconds=5.5 * HOUR,
        status_changes=changes,
        now=sh(2026, 3, 5, 9),
    )
    assert result.paused
    assert result.deadline == sh(2026, 3, 2, 16)
    assert result.remaining_seconds == -HOUR
    assert sla_state(result, sh(2026, 3, 5, 9)) == "breached"


def test_running_past_a_deadline_in_closed_hours_is_a_miss() -> None:
    # Deadline 18:00; the agent pauses at 20:00 with no working time counted since.
    result = compute_deadline(
        CN,
        started_at=sh(2026, 3, 2, 9),
        target_seconds=DAY,
        status_changes=[(sh(2026, 3, 2, 20), True)],
        now=sh(2026, 3, 2, 21),
    )
    assert result.remaining_seconds == 0
    assert result.deadline == sh(2026, 3, 2, 18)
    assert sla_state(result, sh(2026, 3, 2, 21)) == "breached"


# --- states -------------------------------------------------------------------------


def _clock(now: datetime, **kwargs: object) -> object:
    return compute_deadline(
        CN, started_at=sh(2026, 3, 2, 9), target_seconds=10 * HOUR, now=now, **kwargs
    )


def test_sla_states() -> None:
    # 10 h from Mon 09:00: 7.5 h Monday, deadline Tue 11:30.
    assert sla_state(_clock(sh(2026, 3, 2, 10)), sh(2026, 3, 2, 10)) == "on_track"
    soon = _clock(sh(2026, 3, 3, 10))  # 1.5 h left: 15 %
    assert sla_state(soon, sh(2026, 3, 3, 10)) == "breaching_soon"
    assert sla_state(soon, sh(2026, 3, 3, 10), soon_seconds=HOUR) == "on_track"
    assert sla_state(soon, sh(2026, 3, 3, 10), soon_fraction=0.1) == "on_track"
    late = _clock(sh(2026, 3, 3, 11, 31))
    assert late.deadline == sh(2026, 3, 3, 11, 30)
    assert sla_state(late, sh(2026, 3, 3, 11, 31)) == "breached"


def test_stopped_clocks_are_met_or_breached() -> None:
    on_time = _clock(sh(2026, 3, 3, 11, 30))
    assert sla_state(on_time, sh(2026, 3, 9), stopped_at=sh(2026, 3, 3, 11, 30)) == "met"
    late = _clock(sh(2026, 3, 3, 13))
    assert sla_state(late, sh(2026, 3, 9), stopped_at=sh(2026, 3, 3, 13)) == "breached"
    paused = _clock(sh(2026, 3, 5), status_changes=[(sh(2026, 3, 2, 10), True)])
    assert sla_state(paused, sh(2026, 3, 9), stopped_at=sh(2026, 3, 5)) == "met"


# --- zones and DST ------------------------------------------------------------------


def test_utc_input_near_midnight_in_shanghai() -> None:
    sunday_2300 = datetime(2026, 3, 1, 15, tzinfo=UTC)  # Sun 23:00 in Shanghai
    monday_1000 = datetime(2026, 3, 2, 2, tzinfo=UTC)  # Mon 10:00 in Shanghai
    assert business_seconds_between(CN, sunday_2300, monday_1000) == HOUR
    # Mon 00:30 in Shanghai, still Sunday in UTC: the clock starts Mon 09:00 Shanghai.
    deadline = add_business_time(CN, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), 0)
    assert deadline == datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert deadline.tzinfo == SH
    # Fri 17:30 in Shanghai is a Friday morning in UTC.
    assert add_business_time(CN, datetime(2026, 3, 6, 9, 30, tzinfo=UTC), HOUR) == sh(
        2026, 3, 9, 9, 30
    )


def test_new_york_office_across_spring_forward() -> None:
    # Fri 16:00 EST to Mon 10:00 EDT: 2 working hours although the UTC offset changed.
    assert business_seconds_between(NY_OFFICE, ny(2026, 3, 6, 16), ny(2026, 3, 9, 10)) == 2 * HOUR
    deadline = add_business_time(NY_OFFICE, ny(2026, 3, 6, 16), 2 * HOUR)
    assert deadline == ny(2026, 3, 9, 10)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_round_the_clock_desk_has_a_23_and_a_25_hour_day() -> None:
    assert business_seconds_between(NY_24X7, ny(2026, 3, 8, 0), ny(2026, 3, 9, 0)) == 23 * HOUR
    assert business_seconds_between(NY_24X7, ny(2026, 11, 1, 0), ny(2026, 11, 2, 0)) == 25 * HOUR
    assert add_business_time(NY_24X7, ny(2026, 3, 8, 0), 24 * HOUR) == ny(2026, 3, 9, 1)
    # The repeated 01:00-02:00 hour counts twice.
    first, second = ny(2026, 11, 1, 1, 30), ny(2026, 11, 1, 1, 30, fold=1)
    assert business_seconds_between(NY_24X7, first, second) == HOUR


# --- properties ---------------------------------------------------------------------

BASE = datetime(2026, 1, 1, tzinfo=UTC)
SPLIT_SHIFT = BusinessCalendar(
    tz="Europe/Berlin",
    hours={0: [(time(8), time(12)), (time(13), time(17))], 5: [(time(20), time(0))]},
    holidays=frozenset({date(2026, 3, 30)}),
    makeup_workdays={date(2026, 3, 29): 5},
)
calendars = st.sampled_from([CN, NY_OFFICE, SPLIT_SHIFT, NY_24X7])
instants = st.integers(0, 700 * 24 * HOUR).map(lambda s: BASE + timedelta(seconds=s))
targets = st.integers(0, 80 * HOUR)
spans = st.integers(0, 30 * 24 * HOUR).map(lambda s: timedelta(seconds=s))
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(cal=calendars, start=instants, target=targets, lead=spans, length=spans)
def test_a_pause_never_moves_the_deadline_earlier(
    cal: BusinessCalendar, start: datetime, target: int, lead: timedelta, length: timedelta
) -> None:
    paused_at, resumed_at = start + lead, start + lead + length
    plain = compute_deadline(cal, started_at=start, target_seconds=target, now=resumed_at)
    with_pause = compute_deadline(
        cal,
        started_at=start,
        target_seconds=target,
        status_changes=[(paused_at, True), (resumed_at, False)],
        now=resumed_at,
    )
    assert plain.deadline == add_business_time(cal, start, target)
    assert with_pause.deadline is not None
    assert with_pause.deadline >= plain.deadline


@PROPERTY
@given(cal=calendars, a=instants, first=spans, second=spans)
def test_business_time_is_additive(
    cal: BusinessCalendar, a: datetime, first: timedelta, second: timedelta
) -> None:
    b, c = a + first, a + first + second
    total = business_seconds_between(cal, a, c)
    assert business_seconds_between(cal, a, b) + business_seconds_between(cal, b, c) == total


@PROPERTY
@given(cal=calendars, start=instants, target=targets)
def test_adding_then_measuring_round_trips(
    cal: BusinessCalendar, start: datetime, target: int
) -> None:
    deadline = add_business_time(cal, start, target)
    assert deadline >= start
    assert business_seconds_between(cal, start, deadline) == target
