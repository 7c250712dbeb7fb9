"""Desk actions on tickets. Every change runs in one transaction with its audit row and event.

For ticket creation elsewhere (portal intake, acceptance defects, the API):

    cols = await snapshot_sla(db, category=category, priority=priority, started_at=created_at)
    # -> {"sla_snapshot": <json text>, "first_response_due": dt|None, "resolution_due": dt|None}
    INSERT INTO ticket (..., sla_snapshot, first_response_due, resolution_due) ...

and record the first status change (``NULL -> 'new'``) with :func:`record_status_change`.
After any later status change written elsewhere, call :func:`refresh_sla` in the same
transaction so the queue's cached deadlines follow the pause/resume.
The snapshot copies the policy targets and the whole business calendar into the ticket, so
editing a policy or a calendar later never rewrites an existing ticket's deadlines.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from backend import clock
from backend.access import Actor, require, scope_tickets
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.reports import facts
from backend.tickets import clocks
from backend.tickets.calendar_data import BusinessCalendar

STATUSES = ("new", "open", "waiting", "scheduled", "resolved", "closed")
ACTIVE_STATUSES = ("new", "open", "waiting", "scheduled")
PRIORITIES = ("low", "normal", "high", "urgent")
CATEGORIES = ("repair", "leak", "door_drawer", "crack", "electrical", "hardware",
              "installation", "complaint", "question", "defect", "recovery")
MAX_BODY = 10_000


async def default_calendar(db: Database) -> BusinessCalendar:
    """The company's default calendar, or China's statutory one when none is stored yet (the
    same one the reported business durations are counted with)."""
    return await facts.report_calendar(db)


async def snapshot_sla(db: Database, *, category: str, priority: str,
                       started_at: datetime | None = None) -> dict[str, Any]:
    """Freeze the matching SLA policy and its calendar for a new ticket.

    Returns the ticket columns to insert: ``sla_snapshot`` (JSON text, ``{}`` when no active
    policy matches the category and priority), ``first_response_due`` and ``resolution_due``.
    A policy with category ``*`` matches any category of that priority.
    """
    policy = await db.fetchrow(
        "SELECT p.id, p.category, p.priority, p.first_response_minutes, p.resolution_minutes,"
        " c.data AS calendar_data FROM sla_policy p "
        "LEFT JOIN business_calendar c ON c.id = p.calendar_id "
        "WHERE p.active = TRUE AND p.priority = $2 AND p.category IN ($1, '*') "
        "ORDER BY CASE WHEN p.category = $1 THEN 0 ELSE 1 END LIMIT 1",
        category, priority)
    if policy is None:
        return {"sla_snapshot": "{}", "first_response_due": None, "resolution_due": None}
    if policy["calendar_data"]:
        cal = BusinessCalendar.from_dict(json.loads(policy["calendar_data"]))
    else:
        cal = await default_calendar(db)
    snapshot = {
        "policy": {"id": str(policy["id"]), "category": policy["category"],
                   "priority": policy["priority"],
                   "first_response_minutes": policy["first_response_minutes"],
                   "resolution_minutes": policy["resolution_minutes"]},
        "calendar": cal.to_dict(),
    }
    started = started_at or clock.now()
    text = json.dumps(snapshot, ensure_ascii=False)
    dues = clocks.due_columns({"sla_snapshot": text, "created_at": started, "status": "new"},
                              [], started)
    return {"sla_snapshot": text, **dues}


async def _ticket_for_update(db: Database, actor: Actor, ticket_id: uuid.UUID) -> Row:
    cond, args = scope_tickets(actor, "t", start=2)
    row = await db.fetchrow(f"SELECT t.* FROM ticket t WHERE t.id = $1 AND {cond}",
                            ticket_id, *args)
    if row is None:
        raise NotFound()
    return row


async def refresh_sla(db: Database, ticket_id: uuid.UUID) -> None:
    """Recompute the cached deadlines from the snapshot and the recorded history.

    Call it (inside the transaction) after writing a ``ticket_status_change`` row outside
    this module, e.g. when a customer's reply moves a ticket from waiting back to open.
    """
    ticket = await db.fetchrow("SELECT * FROM ticket WHERE id = $1", ticket_id)
    changes = await db.fetch(
        "SELECT to_status, at FROM ticket_status_change WHERE ticket_id = $1 ORDER BY at",
        ticket_id)
    dues = clocks.due_columns(ticket or {}, changes, clock.now())
    await db.execute("UPDATE ticket SET first_response_due = $2, resolution_due = $3 "
                     "WHERE id = $1", ticket_id, dues["first_response_due"],
                     dues["resolution_due"])
    await facts.refresh_ticket(db, ticket_id)


async def record_status_change(db: Database, *, ticket_id: uuid.UUID, from_status: str | None,
                               to_status: str, at: datetime | None = None) -> None:
    """Append one row of status history (the SLA clocks are replayed from these rows)."""
    await db.execute(
        "INSERT INTO ticket_status_change (id, ticket_id, from_status, to_status, at) "
        "VALUES ($1, $2, $3, $4, $5)", uuid.uuid4(), ticket_id, from_status, to_status,
        at or clock.now())


async def _change_status(db: Database, actor: Actor, ticket: Row, to_status: str) -> None:
    """Move ``ticket`` to ``to_status`` inside the caller's transaction."""
    if to_status not in STATUSES:
        raise ValidationFailed({"status": N_("Choose a valid status.")})
    old = ticket["status"]
    if old == to_status:
        return
    if ticket["merged_into_id"] is not None:
        raise InvalidTransition()
    now = clock.now()
    sets, args = ["status = $2", "updated_at = $3"], [ticket["id"], to_status, now]
    if to_status == "resolved":
        sets.append("resolved_at = $3")
    elif to_status == "closed":
        sets.append("closed_at = $3")
        if ticket["resolved_at"] is None:
            sets.append("resolved_at = $3")
    reopened = old in ("resolved", "closed") and to_status in ACTIVE_STATUSES
    if reopened:
        sets += ["reopen_count = reopen_count + 1", "resolved_at = NULL", "closed_at = NULL"]
    await db.execute(f"UPDATE ticket SET {', '.join(sets)} WHERE id = $1", *args)
    await record_status_change(db, ticket_id=ticket["id"], from_status=old, to_status=to_status,
                               at=now)
    await refresh_sla(db, ticket["id"])
    await audit.record(db, actor=actor, action="ticket.status_changed", object_type="ticket",
                       object_id=ticket["id"], before={"status": old},
                       after={"status": to_status})
    payload = {"number": ticket["number"], "from": old, "to": to_status,
               "customer_id": str(ticket["customer_id"])}
    await outbox.emit(db, kind="ticket.status_changed", aggregate_type="ticket",
                      aggregate_id=ticket["id"], payload=payload)
    if to_status == "resolved":
        await outbox.emit(db, kind="ticket.resolved", aggregate_type="ticket",
                          aggregate_id=ticket["id"], payload=payload)
    if reopened:
        await outbox.emit(db, kind="ticket.reopened", aggregate_type="ticket",
                          aggregate_id=ticket["id"], payload=payload)


async def set_status(db: Database, actor: Actor, *, ticket_id: uuid.UUID, status: str) -> None:
    """Change a ticket's status; reopening a resolved ticket counts against first-contact
    resolution (``reopen_count``), and waiting on the customer pauses the SLA clocks."""
    require(actor, "tickets.edit")
    async with db.transaction():
        ticket = await _ticket_for_update(db, actor, ticket_id)
        await _change_status(db, actor, ticket, status)


async def update_fields(db: Database, actor: Actor, *, ticket_id: uuid.UUID,
                        category: str | None = None, priority: str | None = None) -> None:
    """Re-categorise or re-prioritise; the SLA snapshot taken at creation is kept on purpose."""
    require(actor, "tickets.edit")
    errors = {}
    if category is not None and category not in CATEGORIES:
        errors["category"] = N_("Choose a valid category.")
    if priority is not None and priority not in PRIORITIES:
        errors["priority"] = N_("Choose a valid priority.")
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        ticket = await _ticket_for_update(db, actor, ticket_id)
        after = {"category": category or ticket["category"],
                 "priority": priority or ticket["priority"]}
        before, after = audit.diff(dict(ticket), after)
        if not after:
            return
        await db.execute("UPDATE ticket SET category = $2, priority = $3, updated_at = $4 "
                         "WHERE id = $1", ticket_id, category or ticket["category"],
                         priority or ticket["priority"], clock.now())
        await audit.record(db, actor=actor, action="ticket.updated", object_type="ticket",
                           object_id=ticket_id, before=before, after=after)


async def assign(db: Database, actor: Actor, *, ticket_ids: Sequence[uuid.UUID],
                 assignee_id: uuid.UUID | None) -> int:
    """Assign one or many tickets to a desk user (None unassigns); returns how many changed.

    A region-bound assignee only takes tickets of their own region; all or nothing.
    """
    require(actor, "tickets.assign")
    async with db.transaction():
        assignee = None
        if assignee_id is not None:
            assignee = await db.fetchrow(
                "SELECT id, name, role, region_id, team_id FROM staff_user WHERE id = $1 AND "
                "active = TRUE AND role <> 'technician'", assignee_id)
            if assignee is None:
                raise ValidationFailed({"assignee": N_("Choose a member of the desk.")})
        changed = 0
        for ticket_id in ticket_ids:
            ticket = await _ticket_for_update(db, actor, ticket_id)
            if assignee and assignee["region_id"] and ticket["region_id"] and \
                    assignee["region_id"] != ticket["region_id"] and \
                    assignee["role"] not in ("admin", "manager"):
                raise ValidationFailed({"assignee": N_("This person works in another region.")})
            if ticket["assignee_id"] == assignee_id:
                continue
            team_id = assignee["team_id"] if assignee else ticket["team_id"]
            await db.execute("UPDATE ticket SET assignee_id = $2, team_id = $3, updated_at = $4"
                             " WHERE id = $1", ticket_id, assignee_id, team_id, clock.now())
            await audit.record(db, actor=actor, action="ticket.assigned", object_type="ticket",
                               object_id=ticket_id, before={"assignee": ticket["assignee_id"]},
                               after={"assignee": assignee_id})
            await outbox.emit(db, kind="ticket.assigned", aggregate_type="ticket",
                              aggregate_id=ticket_id,
                              payload={"number": ticket["number"],
                                       "assignee_id": str(assignee_id or "")})
            if ticket["status"] == "new" and assignee_id is not None:
                await _change_status(db, actor, {**ticket, "assignee_id": assignee_id}, "open")
            changed += 1
    return changed


async def bulk_set_priority(db: Database, actor: Actor, *, ticket_ids: Sequence[uuid.UUID],
                            priority: str) -> int:
    """Set the priority of many tickets in one transaction (all or nothing)."""
    require(actor, "tickets.edit")
    if priority not in PRIORITIES:
        raise ValidationFailed({"priority": N_("Choose a valid priority.")})
    async with db.transaction():
        for ticket_id in ticket_ids:
            await update_fields(db, actor, ticket_id=ticket_id, priority=priority)
    return len(ticket_ids)


async def add_message(db: Database, actor: Actor, *, ticket_id: uuid.UUID, body: str,
                      internal: bool, status: str | None = None) -> uuid.UUID:
    """A public reply (reaches the customer) or an internal note (never does).

    The first public staff reply stamps ``first_responded_at`` (stopping the first-response
    clock); a new ticket becomes open. ``status`` optionally moves the ticket in the same
    transaction (e.g. reply and wait on the customer).
    """
    require(actor, "tickets.reply")
    text = (body or "").strip()
    if not text:
        raise ValidationFailed({"body": N_("Write a message first.")})
    if len(text) > MAX_BODY:
        raise ValidationFailed({"body": N_("The message is too long.")})
    async with db.transaction():
        ticket = await _ticket_for_update(db, actor, ticket_id)
        now, message_id = clock.now(), uuid.uuid4()
        await db.execute(
            "INSERT INTO ticket_message (id, ticket_id, author_staff_id, body, internal, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            message_id, ticket_id, actor.id, text, internal, now)
        await audit.record(db, actor=actor,
                           action="ticket.note_added" if internal else "ticket.replied",
                           object_type="ticket", object_id=ticket_id,
                           after={"message_id": message_id, "internal": internal})
        if not internal:
            if ticket["first_responded_at"] is None:
                await db.execute("UPDATE ticket SET first_responded_at = $2 WHERE id = $1",
                                 ticket_id, now)
            await db.execute("UPDATE ticket SET updated_at = $2 WHERE id = $1", ticket_id, now)
            # The payload carries no text: subscribers fetch what the recipient may see.
            await outbox.emit(db, kind="ticket.replied", aggregate_type="ticket",
                              aggregate_id=ticket_id,
                              payload={"number": ticket["number"], "message_id": str(message_id),
                                       "customer_id": str(ticket["customer_id"])})
            ticket = await _ticket_for_update(db, actor, ticket_id)
            target = status or ("open" if ticket["status"] == "new" else None)
            if target:
                await _change_status(db, actor, ticket, target)
            else:
                await refresh_sla(db, ticket_id)
        elif status:
            await _change_status(db, actor, ticket, status)
    return message_id
