"""Time-based events, raised by a minute-level scheduler that is safe to run anywhere.

Each tick looks for what has become true (a milestone past its planned end, a ticket's SLA
clock running out or run out, a warranty ending within 30 days or ended, a customer message
unanswered for 48 hours) and emits the event once: the event's key goes into
``scheduler_mark`` (primary key) in the same transaction as the outbox row, so two workers,
a restart, or a tick repeated within the minute never raise it twice.

Overdue milestones are raised at 0 h and again at 24 h past the planned end (the payload's
``overdue_hours``), so a rule can wait for "overdue 24 h". Ticket clocks use the deadlines
the tickets context computed from the ticket's SLA snapshot (``first_response_due`` until the
first reply, then ``resolution_due``) and its "soon" window (:data:`SOON`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend import clock
from backend.config import get_settings
from backend.db import Database
from backend.events import outbox
from backend.projects.warranty import add_months
from backend.tickets.clocks import SOON

OVERDUE_STEPS = (0, 24)
UNANSWERED = timedelta(hours=48)
WARRANTY_NOTICE_DAYS = 30


async def _raise_once(db: Database, key: str, *, kind: str, aggregate_type: str,
                      aggregate_id: object, payload: dict[str, Any]) -> bool:
    now = clock.now()
    inserted = await db.fetchval("INSERT INTO scheduler_mark (key, at) VALUES ($1, $2) "
                                 "ON CONFLICT (key) DO NOTHING RETURNING key", key[:200], now)
    if inserted is None:
        return False
    await outbox.emit(db, kind=kind, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
                      payload=payload)
    return True


async def _milestones(db: Database, now: datetime, zone: ZoneInfo) -> int:
    today = now.astimezone(zone).date()
    rows = await db.fetch(
        "SELECT id, project_id, planned_end FROM milestone WHERE planned_end IS NOT NULL "
        "AND planned_end < $1 AND planned_end >= $2 AND actual_end IS NULL "
        "AND status NOT IN ('done', 'completed', 'skipped', 'cancelled')",
        today, today - timedelta(days=90))
    raised = 0
    for row in rows:
        end = datetime.combine(row["planned_end"] + timedelta(days=1), time(0), tzinfo=zone)
        hours = (now - end).total_seconds() / 3600
        for step in OVERDUE_STEPS:
            if hours >= step:
                raised += await _raise_once(
                    db, f"milestone.overdue:{row['id']}:{row['planned_end']}:{step}",
                    kind="milestone.overdue", aggregate_type="milestone",
                    aggregate_id=row["id"],
                    payload={"milestone_id": str(row["id"]),
                             "project_id": str(row["project_id"]), "overdue_hours": step,
                             "planned_end": row["planned_end"].isoformat()})
    return raised


async def _tickets(db: Database, now: datetime) -> int:
    rows = await db.fetch(
        "SELECT id, first_responded_at, first_response_due, resolution_due FROM ticket "
        "WHERE status NOT IN ('resolved', 'closed', 'waiting', 'merged') AND "
        "((first_responded_at IS NULL AND first_response_due IS NOT NULL AND "
        "first_response_due BETWEEN $1 AND $2) OR (resolution_due IS NOT NULL AND "
        "resolution_due BETWEEN $1 AND $2))", now - timedelta(days=14), now + SOON)
    raised = 0
    for row in rows:
        clock_name = "first_response" if row["first_responded_at"] is None else "resolution"
        due = row[f"{clock_name}_due"]
        if due is None:
            continue
        kind = "ticket.breached" if now > due else "ticket.breaching_soon"
        if kind == "ticket.breaching_soon" and due - now > SOON:
            continue
        raised += await _raise_once(
            db, f"{kind}:{row['id']}:{clock_name}:{due.isoformat()}", kind=kind,
            aggregate_type="ticket", aggregate_id=row["id"],
            payload={"ticket_id": str(row["id"]), "clock": clock_name,
                     "due": due.isoformat()})
    return raised


async def _unanswered(db: Database, now: datetime) -> int:
    rows = await db.fetch(
        "SELECT t.id, t.last_customer_message_at FROM ticket t WHERE t.status NOT IN "
        "('resolved', 'closed', 'merged') AND t.last_customer_message_at IS NOT NULL AND "
        "t.last_customer_message_at <= $1 AND t.last_customer_message_at >= $2 AND NOT "
        "EXISTS (SELECT 1 FROM ticket_message m WHERE m.ticket_id = t.id AND "
        "m.author_staff_id IS NOT NULL AND m.internal = FALSE AND "
        "m.created_at > t.last_customer_message_at)",
        now - UNANSWERED, now - timedelta(days=30))
    raised = 0
    for row in rows:
        raised += await _raise_once(
            db, f"ticket.unanswered:{row['id']}:{row['last_customer_message_at'].isoformat()}",
            kind="ticket.unanswered", aggregate_type="ticket", aggregate_id=row["id"],
            payload={"ticket_id": str(row["id"]), "hours": 48})
    return raised


async def _warranties(db: Database, now: datetime, zone: ZoneInfo) -> int:
    today = now.astimezone(zone).date()
    rows = await db.fetch(
        "SELECT pp.id, p.id AS project_id, p.customer_id, p.accepted_on, pl.warranty_months, "
        "pl.name_zh, pl.name_en FROM project_product pp JOIN project p ON p.id = pp.project_id "
        "JOIN product_line pl ON pl.id = pp.product_line_id WHERE p.accepted_on IS NOT NULL "
        "AND p.accepted_on >= $1", today - timedelta(days=3700))
    raised = 0
    for row in rows:
        if not row["warranty_months"]:
            continue
        until = add_months(row["accepted_on"], row["warranty_months"])
        days_left = (until - today).days
        payload = {"project_id": str(row["project_id"]),
                   "customer_id": str(row["customer_id"]), "until": until.isoformat(),
                   "days_left": days_left, "product_zh": row["name_zh"],
                   "product_en": row["name_en"]}
        if 0 <= days_left <= WARRANTY_NOTICE_DAYS:
            raised += await _raise_once(db, f"warranty.expiring:{row['id']}:{until}",
                                        kind="warranty.expiring", aggregate_type="project",
                                        aggregate_id=row["project_id"], payload=payload)
        elif -WARRANTY_NOTICE_DAYS <= days_left < 0:
            raised += await _raise_once(db, f"warranty.expired:{row['id']}:{until}",
                                        kind="warranty.expired", aggregate_type="project",
                                        aggregate_id=row["project_id"], payload=payload)
    return raised


async def tick(db: Database) -> int:
    """One scheduler pass; returns how many events it raised (0 when nothing is new)."""
    now = clock.now()
    zone = ZoneInfo(get_settings().default_timezone)
    async with db.transaction():
        return (await _milestones(db, now, zone) + await _tickets(db, now)
                + await _unanswered(db, now) + await _warranties(db, now, zone))
