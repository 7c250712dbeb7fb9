"""Who a notification goes to: contact details, language, quiet hours, cap and preferences.

One query per person kind reads everything the notify path needs; a customer's quiet hours
are the ones on their customer record (staff see and edit them there too), staff have none
unless they set them in their notification settings.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.db import Database
from backend.notifications.messages import CHANNELS, DEFAULT_CHANNELS

DEFAULT_CAP = 5


@dataclass(frozen=True)
class Person:
    kind: str  # "customer" | "staff"
    id: uuid.UUID
    name: str
    language: str
    timezone: str
    email: str | None
    phone: str | None
    quiet_start: str | None
    quiet_end: str | None
    daily_cap: int
    muted_kinds: tuple[str, ...]
    surveys_opt_out: bool
    channels: dict[str, tuple[str, ...]]  # category -> allowed outside channels, in order
    role: str | None = None  # staff role (technicians read in the field app); None: homeowner

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone or "Asia/Shanghai")
        except (KeyError, ValueError):
            return ZoneInfo("Asia/Shanghai")

    def in_quiet_hours(self, at: datetime) -> bool:
        return quiet_until(self, at) is not None

    def next_day_start(self, at: datetime) -> datetime:
        """When tomorrow's first message may go out: the end of quiet hours, else 08:00."""
        local = at.astimezone(self.zone)
        start = _parse(self.quiet_end) or time(8, 0)
        nxt = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=self.zone)
        return nxt


def _parse(value: str | None) -> time | None:
    if not value:
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def quiet_until(person: Person, at: datetime) -> datetime | None:
    """The end of the quiet period ``at`` falls in, or None when it is not quiet."""
    start, end = _parse(person.quiet_start), _parse(person.quiet_end)
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(person.zone)
    now_t = local.time().replace(second=0, microsecond=0)
    if start < end:  # e.g. 13:00-14:00
        if start <= now_t < end:
            return datetime.combine(local.date(), end, tzinfo=person.zone)
        return None
    # across midnight, e.g. 22:00-08:00
    if now_t >= start:
        return datetime.combine(local.date() + timedelta(days=1), end, tzinfo=person.zone)
    if now_t < end:
        return datetime.combine(local.date(), end, tzinfo=person.zone)
    return None


_CUSTOMER_SQL = (
    "SELECT c.id, c.name, c.language, c.timezone, c.email, c.phone, "
    "c.quiet_start, c.quiet_end, s.daily_cap, s.muted_kinds, "
    "s.surveys_opt_out, c.consent_marketing, NULL AS role FROM customer c "
    "LEFT JOIN notification_setting s ON s.person_id = c.id WHERE c.id = $1"
)
_STAFF_SQL = (
    "SELECT u.id, u.name, u.language, u.timezone, u.email, u.phone, s.quiet_start, "
    "s.quiet_end, s.daily_cap, s.muted_kinds, s.surveys_opt_out, FALSE AS consent_marketing, "
    "u.role FROM staff_user u LEFT JOIN notification_setting s ON s.person_id = u.id "
    "WHERE u.id = $1"
)


async def load_person(db: Database, kind: str, person_id: uuid.UUID) -> Person | None:
    """Everything the notify path needs about one person, in two queries."""
    row = await db.fetchrow(_CUSTOMER_SQL if kind == "customer" else _STAFF_SQL, person_id)
    if row is None:
        return None
    prefs = await db.fetch(
        "SELECT category, channel, enabled FROM notification_preference WHERE person_id = $1",
        person_id)
    return Person(
        kind=kind, id=row["id"], name=row["name"], language=row["language"] or "zh_CN",
        timezone=row["timezone"] or "Asia/Shanghai", email=row["email"], phone=row["phone"],
        quiet_start=row["quiet_start"], quiet_end=row["quiet_end"],
        daily_cap=row["daily_cap"] if row["daily_cap"] is not None else DEFAULT_CAP,
        muted_kinds=tuple(json.loads(row["muted_kinds"] or "[]")),
        surveys_opt_out=bool(row["surveys_opt_out"]),
        channels=channel_choices(prefs, marketing_consent=bool(row["consent_marketing"])),
        role=row["role"],
    )


def channel_choices(prefs: list[dict[str, object]], *,
                    marketing_consent: bool = False) -> dict[str, tuple[str, ...]]:
    """Defaults per category, overridden by the person's saved switches."""
    chosen = {cat: set(chs) for cat, chs in DEFAULT_CHANNELS.items()}
    for pref in prefs:
        cat, ch = str(pref["category"]), str(pref["channel"])
        if cat not in chosen or ch not in CHANNELS:
            continue
        if pref["enabled"]:
            chosen[cat].add(ch)
        else:
            chosen[cat].discard(ch)
    if not marketing_consent and not any(p["category"] == "marketing" for p in prefs):
        chosen["marketing"] = set()
    return {cat: tuple(ch for ch in CHANNELS if ch in chs) for cat, chs in chosen.items()}
