"""Dispatch: a repair or inspection visit created from a ticket, with the right technician.

A technician is chosen by region, skill and availability. Availability is their calendar of
existing (not completed, not cancelled) work orders; two visits of one technician never
overlap. The service enforces that inside its transaction, after locking the technician's row
(a no-op UPDATE: a row lock on PostgreSQL, the single writer on SQLite), so two dispatchers
clicking at the same moment cannot both book the same hour.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from backend import clock
from backend.access import Actor, require, scope_tickets
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.numbers import next_number
from backend.reports import facts
from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.services import _change_status, _ticket_for_update

KINDS = ("repair", "inspection")
SLOT_STARTS = (time(9), time(11), time(14), time(16))
SLOT_LENGTH = timedelta(hours=2)
_BUSY = ("completed", "cancelled")


def _skills(row: Row) -> set[str]:
    return {s.strip().lower() for s in (row.get("skills") or "").split(",") if s.strip()}


async def technician_calendar(db: Database, *, technician_ids: list[uuid.UUID],
                              start: datetime, end: datetime) -> dict[uuid.UUID, list[Row]]:
    """Each technician's booked visits overlapping [start, end), in one query."""
    out: dict[uuid.UUID, list[Row]] = {tid: [] for tid in technician_ids}
    if not technician_ids:
        return out
    marks = ", ".join(f"${i + 3}" for i in range(len(technician_ids)))
    rows = await db.fetch(
        "SELECT id, number, kind, technician_id, window_start, window_end FROM work_order "
        f"WHERE technician_id IN ({marks}) AND status NOT IN ('completed', 'cancelled') "
        "AND window_start < $2 AND window_end > $1 ORDER BY window_start",
        start, end, *technician_ids)
    for row in rows:
        out[row["technician_id"]].append(row)
    return out


async def candidates(db: Database, actor: Actor, *, ticket_id: uuid.UUID, kind: str,
                     calendar: BusinessCalendar, days: int = 5) -> list[dict[str, Any]]:
    """Technicians of the ticket's region, the skilled first, each with free windows.

    A window is one of the day's standard two-hour slots on a working day of ``calendar``
    that overlaps none of the technician's existing visits.
    """
    cond, args = scope_tickets(actor, "t", start=2)
    ticket = await db.fetchrow(f"SELECT t.id, t.region_id FROM ticket t WHERE t.id = $1 AND "
                               f"{cond}", ticket_id, *args)
    if ticket is None:
        raise NotFound()
    region_sql, region_args = "", []
    if ticket["region_id"] is not None:
        region_sql = " AND (region_id = $1 OR region_id IS NULL)"
        region_args = [ticket["region_id"]]
    techs = await db.fetch(
        "SELECT id, name, skills, region_id FROM staff_user WHERE role = 'technician' AND "
        f"active = TRUE{region_sql} ORDER BY name", *region_args)
    zone = calendar.zone
    today = clock.now().astimezone(zone).date()
    slots: list[tuple[datetime, datetime]] = []
    day, scanned = today + timedelta(days=1), 0
    while len({s[0].date() for s in slots}) < days and scanned < 30:
        _kind, periods = calendar.classify(day)
        if periods:
            for start in SLOT_STARTS:
                begin = datetime.combine(day, start, tzinfo=zone)
                slots.append((begin, begin + SLOT_LENGTH))
        day, scanned = day + timedelta(days=1), scanned + 1
    booked = await technician_calendar(
        db, technician_ids=[t["id"] for t in techs], start=slots[0][0] if slots else clock.now(),
        end=slots[-1][1] if slots else clock.now())
    out = []
    for tech in techs:
        busy = booked[tech["id"]]
        free = [s for s in slots
                if not any(b["window_start"] < s[1] and b["window_end"] > s[0] for b in busy)]
        out.append({"technician": tech, "skilled": kind in _skills(tech) or
                    "repair" in _skills(tech), "booked": busy, "free": free[:8]})
    out.sort(key=lambda c: (not c["skilled"], -len(c["free"])))
    return out


async def dispatch_work_order(db: Database, actor: Actor, *, ticket_id: uuid.UUID, kind: str,
                              technician_id: uuid.UUID, window_start: datetime,
                              window_end: datetime, notes: str = "") -> uuid.UUID:
    """Book a technician for a ticket; the ticket becomes "scheduled".

    Raises ValidationFailed when the technician is already booked in that window (no double
    booking), is not a technician of the ticket's region, or the window is not in the future.
    Emits ``work_order.scheduled`` (the notifications rules tell the customer and the
    technician); the visit appears in the technician's field app.
    """
    require(actor, "workorders.dispatch")
    if kind not in KINDS:
        raise ValidationFailed({"kind": N_("Choose repair or inspection.")})
    if window_end <= window_start:
        raise ValidationFailed({"window": N_("The visit must end after it starts.")})
    if window_start <= clock.now():
        raise ValidationFailed({"window": N_("Choose a time in the future.")})
    async with db.transaction():
        ticket = await _ticket_for_update(db, actor, ticket_id)
        tech = await db.fetchrow(
            "UPDATE staff_user SET failed_logins = failed_logins WHERE id = $1 AND "
            "role = 'technician' AND active = TRUE RETURNING id, name, region_id",
            technician_id)
        if tech is None or (ticket["region_id"] and tech["region_id"] and
                            tech["region_id"] != ticket["region_id"]):
            raise ValidationFailed({"technician": N_("Choose a technician of this region.")})
        clash = await db.fetchval(
            "SELECT count(*) AS n FROM work_order WHERE technician_id = $1 AND status NOT IN "
            "('completed', 'cancelled') AND window_start < $3 AND window_end > $2",
            technician_id, window_start, window_end)
        if clash:
            raise ValidationFailed({"window": N_("The technician is already booked at that "
                                                 "time. Choose another window.")})
        address = await db.fetchval(
            "SELECT COALESCE((SELECT pr.address FROM project p JOIN property pr ON "
            "pr.id = p.property_id WHERE p.id = $1), (SELECT pr2.address FROM property pr2 "
            "WHERE pr2.customer_id = $2 ORDER BY pr2.created_at LIMIT 1), '') AS address",
            ticket["project_id"], ticket["customer_id"])
        items = await db.fetchval("SELECT items FROM checklist_template WHERE kind = $1", kind)
        checklist = [{**item, "done": False} for item in json.loads(items or "[]")]
        now, wid = clock.now(), uuid.uuid4()
        number = await next_number(db, "work_order")
        await db.execute(
            "INSERT INTO work_order (id, number, kind, status, customer_id, project_id, "
            "milestone_id, ticket_id, technician_id, window_start, window_end, address, "
            "checklist, notes, parts, version, created_at, updated_at) VALUES ($1, $2, $3, "
            "'scheduled', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '[]', 1, $14, $14)",
            wid, number, kind, ticket["customer_id"], ticket["project_id"],
            ticket["milestone_id"], ticket_id, technician_id, window_start, window_end,
            address or "", json.dumps(checklist, ensure_ascii=False), (notes or "")[:5000], now)
        await facts.refresh_ticket(db, ticket_id)
        await audit.record(db, actor=actor, action="work_order.dispatched",
                           object_type="work_order", object_id=wid,
                           after={"number": number, "ticket": ticket["number"],
                                  "technician": technician_id, "window_start": window_start,
                                  "window_end": window_end})
        await outbox.emit(db, kind="work_order.scheduled", aggregate_type="work_order",
                          aggregate_id=wid,
                          payload={"number": number, "kind": kind,
                                   "ticket_id": str(ticket_id),
                                   "customer_id": str(ticket["customer_id"]),
                                   "technician_id": str(technician_id),
                                   "window_start": window_start.isoformat(),
                                   "window_end": window_end.isoformat()})
        if ticket["status"] not in ("resolved", "closed"):
            await _change_status(db, actor, ticket, "scheduled")
    return wid


async def propose_windows(db: Database, actor: Actor, *, ticket_id: uuid.UUID,
                          windows: list[tuple[datetime, datetime]]) -> uuid.UUID:
    """Offer visit windows to the customer as a public reply, in their language and zone;
    the ticket then waits on the customer (the SLA clock pauses until they answer)."""
    from babel.dates import format_datetime, format_time

    from backend.i18n import gettext
    from backend.tickets.services import add_message

    if not windows:
        raise ValidationFailed({"windows": N_("Choose at least one window to propose.")})
    cond, args = scope_tickets(actor, "t", start=2)
    who = await db.fetchrow(
        "SELECT c.language, c.timezone FROM ticket t JOIN customer c ON c.id = t.customer_id "
        f"WHERE t.id = $1 AND {cond}", ticket_id, *args)
    if who is None:
        raise NotFound()
    locale = who["language"] or "zh_CN"
    zone = BusinessCalendar(tz=who["timezone"] or "Asia/Shanghai").zone
    parts = [f"{format_datetime(s.astimezone(zone), 'short', locale=locale)}–"
             f"{format_time(e.astimezone(zone), 'short', locale=locale)}"
             for s, e in sorted(windows)]
    text = gettext(N_("We can visit at one of these times: %(windows)s. Please reply with the "
                      "one that suits you."), locale) % {"windows": "; ".join(parts)}
    return await add_message(db, actor, ticket_id=ticket_id, body=text, internal=False,
                             status="waiting")
