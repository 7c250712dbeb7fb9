"""Business calendars as data: working hours, holidays and China's make-up working days.

A calendar is data, not code, because China's State Council publishes each year's holiday
arrangement (with weekend days that become working days, 调休) only a few weeks before the
year starts: an admin must be able to add next year's lists without a release. The dict form
(:meth:`BusinessCalendar.to_dict`) is what the database stores, what a ticket snapshots when
its SLA clock starts, and what the admin edits.

The clock arithmetic lives in :mod:`backend.tickets.sla`; this module only answers "what kind
of day is this and which local hours does it work".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.i18n import N_

Period = tuple[time, time]
"""A local working period; an end of ``time(0)`` means midnight at the end of the day."""

DayKind = Literal["workday", "makeup_workday", "holiday", "weekend"]
ArrangementStatus = Literal["published", "unpublished", "missing"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FORMAT_VERSION = 1
_DAY_SECONDS = 86_400


def _seconds(t: time, *, is_end: bool) -> int:
    value = t.hour * 3600 + t.minute * 60 + t.second
    return _DAY_SECONDS if is_end and value == 0 else value


def _normalise_periods(weekday: int, periods: Iterable[Period]) -> tuple[Period, ...]:
    """Sort and check one weekday's periods: overlaps would count the same time twice."""
    ordered = sorted(periods, key=lambda p: _seconds(p[0], is_end=False))
    previous_end = 0
    for start, end in ordered:
        if start.tzinfo or end.tzinfo or start.microsecond or end.microsecond:
            raise ValueError(f"weekday {weekday}: periods are naive local times in whole seconds")
        begin, finish = _seconds(start, is_end=False), _seconds(end, is_end=True)
        if begin >= finish:
            raise ValueError(f"weekday {weekday}: period {start}-{end} ends before it starts")
        if begin < previous_end:
            raise ValueError(f"weekday {weekday}: periods overlap at {start}")
        previous_end = finish
    return tuple(ordered)


@dataclass(frozen=True)
class BusinessCalendar:
    """When the SLA clock runs: weekly hours in ``tz``, minus holidays, plus make-up days.

    ``makeup_workdays`` maps a (usually weekend) date to the weekday whose hours it works,
    because a 调休 Saturday works a normal weekday's hours, not Saturday's (none).
    ``names`` labels holiday and make-up dates for explanations; ``years`` records which
    years' arrangements the data holds and whether each is the published one, so the desk
    can warn an admin before deadlines fall in a year nobody has entered.
    """

    tz: str = "Asia/Shanghai"
    hours: Mapping[int, Sequence[Period]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    makeup_workdays: Mapping[date, int] = field(default_factory=dict)
    names: Mapping[date, str] = field(default_factory=dict)
    years: Mapping[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        hours: dict[int, tuple[Period, ...]] = {}
        for weekday, periods in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6, not {weekday!r}")
            if normalised := _normalise_periods(weekday, periods):
                hours[weekday] = normalised
        for day, weekday in self.makeup_workdays.items():
            if weekday not in range(7):
                raise ValueError(f"make-up day {day} uses weekday {weekday!r}, not 0 to 6")
        if clash := self.holidays & set(self.makeup_workdays):
            raise ValueError(f"dates both holiday and make-up working day: {sorted(clash)}")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_workdays", dict(self.makeup_workdays))
        object.__setattr__(self, "names", dict(self.names))
        object.__setattr__(self, "years", dict(self.years))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's zone; zoneinfo caches instances, so this is cheap."""
        return ZoneInfo(self.tz)

    def has_working_time(self) -> bool:
        """False when no day can ever work (make-up days borrow weekday hours, so need some)."""
        return bool(self.hours)

    def classify(self, day: date) -> tuple[DayKind, tuple[Period, ...]]:
        """The kind of ``day`` and the local periods it works (empty when it does not)."""
        if day in self.holidays:
            return "holiday", ()
        if day in self.makeup_workdays:
            return "makeup_workday", tuple(self.hours.get(self.makeup_workdays[day], ()))
        periods = tuple(self.hours.get(day.weekday(), ()))
        return ("workday" if periods else "weekend"), periods

    def arrangement_status(self, year: int) -> ArrangementStatus:
        """Whether ``year``'s holiday data is the published arrangement, provisional, or absent."""
        if year not in self.years:
            return "missing"
        return "published" if self.years[year] else "unpublished"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serialisable form stored in the database and edited by an admin."""
        return {
            "version": FORMAT_VERSION,
            "tz": self.tz,
            "hours": {
                name: [[_fmt(s, is_end=False), _fmt(e, is_end=True)] for s, e in periods]
                for name, periods in zip(WEEKDAYS, self._week(), strict=True)
            },
            "holidays": [_dated(d, self.names) for d in sorted(self.holidays)],
            "makeup_workdays": [
                {**_dated(d, self.names), "hours_of": WEEKDAYS[wd]}
                for d, wd in sorted(self.makeup_workdays.items())
            ],
            "years": {str(y): {"published": p} for y, p in sorted(self.years.items())},
        }

    def _week(self) -> list[Sequence[Period]]:
        return [self.hours.get(weekday, ()) for weekday in range(7)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Parse :meth:`to_dict` output (or an admin's edit of it); raise ValueError if invalid."""
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported calendar format version {version!r}")
        hours = {
            _weekday(key): [(_parse_time(s), _parse_time(e)) for s, e in periods]
            for key, periods in data.get("hours", {}).items()
        }
        names: dict[date, str] = {}
        holidays = frozenset(_parse_dated(item, names) for item in data.get("holidays", []))
        makeup = {
            _parse_dated(item, names): _weekday(item.get("hours_of", "mon"))
            for item in data.get("makeup_workdays", [])
        }
        years = {int(y): bool(v.get("published", True)) for y, v in data.get("years", {}).items()}
        return cls(
            tz=data.get("tz", "Asia/Shanghai"),
            hours=hours,
            holidays=holidays,
            makeup_workdays=makeup,
            names=names,
            years=years,
        )

    @classmethod
    def china_default(
        cls,
        years: Iterable[int] = (2026, 2027),
        *,
        hours: Mapping[int, Iterable[Period]] | None = None,
    ) -> BusinessCalendar:
        """Mainland China's statutory calendar for ``years`` with weekday office hours.

        Raises ValueError for a year without data: silently treating Spring Festival as a
        working week would produce deadlines nobody can meet.
        """
        holidays: set[date] = set()
        makeup: dict[date, int] = {}
        names: dict[date, str] = {}
        published: dict[int, bool] = {}
        for year in years:
            if year not in CN_ARRANGEMENTS:
                known = sorted(CN_ARRANGEMENTS)
                raise ValueError(f"no China holiday data for {year}; have {known}")
            arrangement = CN_ARRANGEMENTS[year]
            published[year] = arrangement["published"]
            for name, days in arrangement["holidays"].items():
                for iso in days:
                    holidays.add(date.fromisoformat(iso))
                    names[date.fromisoformat(iso)] = name
            for name, days in arrangement["makeup_workdays"].items():
                for iso in days:
                    makeup[date.fromisoformat(iso)] = 0
                    names[date.fromisoformat(iso)] = name
        chosen = CN_OFFICE_HOURS if hours is None else hours
        return cls(
            tz="Asia/Shanghai",
            hours={wd: tuple(periods) for wd, periods in chosen.items()},
            holidays=frozenset(holidays),
            makeup_workdays=makeup,
            names=names,
            years=published,
        )


def _fmt(t: time, *, is_end: bool) -> str:
    if is_end and t == time(0):
        return "24:00"
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def _parse_time(text: str) -> time:
    if text in ("24:00", "24:00:00"):
        return time(0)
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM)") from exc


def _weekday(key: str | int) -> int:
    if isinstance(key, int) or key.isdigit():
        return int(key)
    try:
        return WEEKDAYS.index(key.lower()[:3])
    except ValueError as exc:
        raise ValueError(f"not a weekday: {key!r}") from exc


def _dated(day: date, names: Mapping[date, str]) -> dict[str, str]:
    item = {"date": day.isoformat()}
    if day in names:
        item["name"] = names[day]
    return item


def _parse_dated(item: Mapping[str, Any], names: dict[date, str]) -> date:
    day = date.fromisoformat(item["date"])
    if item.get("name"):
        names[day] = str(item["name"])
    return day


# --- China -------------------------------------------------------------------------------

CN_OFFICE_HOURS: dict[int, tuple[Period, ...]] = {
    weekday: ((time(9), time(12)), (time(13, 30), time(18))) for weekday in range(5)
}
"""Monday to Friday 09:00-12:00 and 13:30-18:00 (a common office day with a lunch break)."""

_NEW_YEAR = N_("New Year's Day")
_SPRING = N_("Chinese New Year (Spring Festival)")
_EVE = N_("Chinese New Year's Eve")
_QINGMING = N_("Tomb-Sweeping Day")
_LABOUR = N_("Labor Day")
_DRAGON_BOAT = N_("Dragon Boat Festival")
_MID_AUTUMN = N_("Mid-Autumn Festival")
_NATIONAL = N_("National Day")

CN_ARRANGEMENTS: dict[int, dict[str, Any]] = {
    2026: {
        # 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 2025-11-04).
        # Whole days-off periods, weekends inside them included, so explanations say
        # "holiday" rather than "weekend"; cross-checked against holidays.China(2026).
        "published": True,
        "holidays": {
            _NEW_YEAR: ["2026-01-01", "2026-01-02", "2026-01-03"],
            _SPRING: [f"2026-02-{d}" for d in range(15, 24)],
            _QINGMING: ["2026-04-04", "2026-04-05", "2026-04-06"],
            _LABOUR: ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"],
            _DRAGON_BOAT: ["2026-06-19", "2026-06-20", "2026-06-21"],
            _MID_AUTUMN: ["2026-09-25", "2026-09-26", "2026-09-27"],
            _NATIONAL: [f"2026-10-0{d}" for d in range(1, 8)],
        },
        "makeup_workdays": {
            _NEW_YEAR: ["2026-01-04"],
            _SPRING: ["2026-02-14", "2026-02-28"],
            _LABOUR: ["2026-05-09"],
            _NATIONAL: ["2026-09-20", "2026-10-10"],
        },
    },
    2027: {
        # Not published as of November 2026: only the 13 statutory days of
        # 《全国年节及纪念日放假办法》 (2024 revision). The in-lieu days the arrangement will
        # add when a statutory day falls on a weekend are deliberately not guessed.
        "published": False,
        "holidays": {
            _NEW_YEAR: ["2027-01-01"],
            _EVE: ["2027-02-05"],
            _SPRING: ["2027-02-06", "2027-02-07", "2027-02-08"],
            _QINGMING: ["2027-04-05"],
            _LABOUR: ["2027-05-01", "2027-05-02"],
            _DRAGON_BOAT: ["2027-06-09"],
            _MID_AUTUMN: ["2027-09-15"],
            _NATIONAL: ["2027-10-01", "2027-10-02", "2027-10-03"],
        },
        "makeup_workdays": {},
    },
}
"""China's holiday arrangements as plain data; the admin edits the stored copy, not this."""
