"""Admin configuration of SLA policies and business calendars (audited).

Editing either never changes an existing ticket: tickets carry their own snapshot (see
:func:`backend.tickets.services.snapshot_sla`). Only tickets created afterwards use the edit.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from backend import clock
from backend.access import Actor, require
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.i18n import N_
from backend.reports import facts
from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.services import CATEGORIES, PRIORITIES

DEMO_TARGETS = {  # priority: (first response, resolution) in business minutes
    "urgent": (30, 8 * 60), "high": (60, 16 * 60), "normal": (4 * 60, 3 * 7.5 * 60),
    "low": (8 * 60, 5 * 7.5 * 60),
}


async def list_policies(db: Database) -> list[Row]:
    return await db.fetch(
        "SELECT p.*, c.name AS calendar_name FROM sla_policy p LEFT JOIN business_calendar c "
        "ON c.id = p.calendar_id ORDER BY p.category, CASE p.priority WHEN 'urgent' THEN 0 "
        "WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END")


async def list_calendars(db: Database) -> list[dict[str, Any]]:
    """Calendars with a warning for the current and next year when their arrangement is
    missing or not yet the published one (deadlines then skip only statutory days)."""
    rows = await db.fetch("SELECT * FROM business_calendar ORDER BY is_default DESC, name")
    year = clock.now().year
    out = []
    for row in rows:
        cal = BusinessCalendar.from_dict(json.loads(row["data"] or "{}"))
        warnings = [(y, cal.arrangement_status(y)) for y in (year, year + 1)
                    if cal.arrangement_status(y) != "published"]
        out.append({**row, "warnings": warnings,
                    "holiday_count": len(cal.holidays),
                    "makeup_count": len(cal.makeup_workdays)})
    return out


def _minutes(raw: object, field: str) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if not 1 <= value <= 60 * 24 * 365:
        raise ValidationFailed({field: N_("Enter a number of business minutes.")})
    return value


async def save_policy(db: Database, actor: Actor, *, category: str, priority: str,
                      first_response_minutes: object, resolution_minutes: object,
                      active: bool = True, calendar_id: uuid.UUID | None = None) -> uuid.UUID:
    """Create or replace the policy for (category, priority); ``*`` means any category."""
    require(actor, "config.edit")
    errors = {}
    if category != "*" and category not in CATEGORIES:
        errors["category"] = N_("Choose a valid category.")
    if priority not in PRIORITIES:
        errors["priority"] = N_("Choose a valid priority.")
    if errors:
        raise ValidationFailed(errors)
    first = _minutes(first_response_minutes, "first_response_minutes")
    resolution = _minutes(resolution_minutes, "resolution_minutes")
    if resolution < first:
        raise ValidationFailed({"resolution_minutes": N_("Resolution cannot be due before "
                                                         "the first response.")})
    async with db.transaction():
        old = await db.fetchrow("SELECT * FROM sla_policy WHERE category = $1 AND "
                                "priority = $2", category, priority)
        after = {"category": category, "priority": priority, "first_response_minutes": first,
                 "resolution_minutes": resolution, "active": active,
                 "calendar_id": calendar_id}
        if old is None:
            pid = uuid.uuid4()
            await db.execute(
                "INSERT INTO sla_policy (id, category, priority, first_response_minutes, "
                "resolution_minutes, calendar_id, active) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                pid, category, priority, first, resolution, calendar_id, active)
            before: dict[str, Any] = {}
        else:
            pid = old["id"]
            await db.execute(
                "UPDATE sla_policy SET first_response_minutes = $2, resolution_minutes = $3, "
                "calendar_id = $4, active = $5 WHERE id = $1",
                pid, first, resolution, calendar_id, active)
            before, after = audit.diff(dict(old), after)
        await audit.record(db, actor=actor, action="sla_policy.saved", object_type="sla_policy",
                           object_id=pid, before=before, after=after)
    return pid


async def save_calendar(db: Database, actor: Actor, *, calendar_id: uuid.UUID | None,
                        name: str, data_text: str, is_default: bool) -> uuid.UUID:
    """Create or update a calendar from its JSON form (hours, holidays, make-up working days,
    which years are published); invalid data is refused with the parser's reason."""
    require(actor, "config.edit")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": N_("Enter a name (up to 100 characters).")})
    try:
        cal = BusinessCalendar.from_dict(json.loads(data_text))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationFailed({"data": N_("The calendar data is not valid: %(reason)s")
                                % {"reason": str(exc)[:200]}}) from exc
    if not cal.has_working_time():
        raise ValidationFailed({"data": N_("A calendar needs some working hours.")})
    text = json.dumps(cal.to_dict(), ensure_ascii=False)
    async with db.transaction():
        default_before = await facts.report_calendar(db)
        if is_default:
            await db.execute("UPDATE business_calendar SET is_default = FALSE")
        if calendar_id is None:
            calendar_id = uuid.uuid4()
            await db.execute(
                "INSERT INTO business_calendar (id, name, timezone, data, is_default) VALUES "
                "($1, $2, $3, $4, $5)", calendar_id, name, cal.tz, text, is_default)
            before: dict[str, Any] = {}
        else:
            old = await db.fetchrow("SELECT * FROM business_calendar WHERE id = $1",
                                    calendar_id)
            if old is None:
                raise NotFound()
            await db.execute("UPDATE business_calendar SET name = $2, timezone = $3, data = $4,"
                             " is_default = $5 WHERE id = $1", calendar_id, name, cal.tz, text,
                             is_default)
            before = {"name": old["name"], "is_default": old["is_default"],
                      "holidays": len(json.loads(old["data"] or "{}").get("holidays", []))}
        await audit.record(db, actor=actor, action="business_calendar.saved",
                           object_type="business_calendar", object_id=calendar_id,
                           before=before,
                           after={"name": name, "is_default": is_default,
                                  "holidays": len(cal.holidays),
                                  "makeup_workdays": len(cal.makeup_workdays)})
        # Reported business durations follow the default calendar: recount the ones it moves.
        await facts.recalendar(db, default_before, await facts.report_calendar(db))
    return calendar_id


async def seed_sla_defaults(db: Database) -> None:
    """Demo data: China's default calendar and a policy per category × priority."""
    if await db.fetchval("SELECT count(*) AS n FROM business_calendar"):
        return
    cal_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO business_calendar (id, name, timezone, data, is_default) VALUES "
        "($1, $2, 'Asia/Shanghai', $3, TRUE)", cal_id, "中国大陆法定工作日",
        json.dumps(BusinessCalendar.china_default().to_dict(), ensure_ascii=False))
    for category in CATEGORIES:
        for priority, (first, resolution) in DEMO_TARGETS.items():
            if category == "complaint":
                first = min(first, 60)
            await db.execute(
                "INSERT INTO sla_policy (id, category, priority, first_response_minutes, "
                "resolution_minutes, calendar_id, active) VALUES ($1, $2, $3, $4, $5, $6, TRUE)",
                uuid.uuid4(), category, priority, int(first), int(resolution), cal_id)


async def seed_desk_demo(db: Database) -> None:
    """Demo: SLA defaults, then give the demo tickets their snapshot and cached deadlines."""
    from backend.tickets import clocks
    from backend.tickets.services import snapshot_sla

    await seed_sla_defaults(db)
    tickets = await db.fetch("SELECT * FROM ticket WHERE sla_snapshot = '{}'")
    history = await db.fetch("SELECT ticket_id, to_status, at FROM ticket_status_change "
                             "ORDER BY at")
    by_ticket: dict[Any, list[Row]] = {}
    for row in history:
        by_ticket.setdefault(row["ticket_id"], []).append(row)
    for t in tickets:
        sla = await snapshot_sla(db, category=t["category"], priority=t["priority"],
                                 started_at=t["created_at"])
        changes = by_ticket.get(t["id"], [])
        if t["status"] not in ("new",) and len(changes) < 2:
            changes = [*changes, {"to_status": t["status"],
                                  "at": t["first_responded_at"] or t["created_at"]}]
        dues = clocks.due_columns({**t, "sla_snapshot": sla["sla_snapshot"]}, changes,
                                  clock.now())
        await db.execute("UPDATE ticket SET sla_snapshot = $2, first_response_due = $3, "
                         "resolution_due = $4 WHERE id = $1", t["id"], sla["sla_snapshot"],
                         dues["first_response_due"], dues["resolution_due"])
