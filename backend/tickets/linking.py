"""Desk actions that connect tickets: links to a project or milestone, merging duplicates,
and filing a ticket by phone on the customer's behalf."""

from __future__ import annotations

import uuid

from backend import clock
from backend.access import Actor, require, scope_projects
from backend.audit import services as audit
from backend.customers.queries import get_customer
from backend.db import Database
from backend.errors import ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.numbers import next_number
from backend.reports import facts
from backend.tickets.services import (
    CATEGORIES,
    PRIORITIES,
    _change_status,
    _ticket_for_update,
    record_status_change,
    snapshot_sla,
)


async def link_project(db: Database, actor: Actor, *, ticket_id: uuid.UUID,
                       project_id: uuid.UUID | None, milestone_id: uuid.UUID | None) -> None:
    """Link a ticket to one of the customer's projects (and optionally a milestone of it)."""
    require(actor, "tickets.edit")
    async with db.transaction():
        ticket = await _ticket_for_update(db, actor, ticket_id)
        if project_id is not None:
            cond, args = scope_projects(actor, "p", start=3)
            project = await db.fetchrow(
                f"SELECT p.id FROM project p WHERE p.id = $1 AND p.customer_id = $2 AND {cond}",
                project_id, ticket["customer_id"], *args)
            if project is None:
                raise ValidationFailed({"project": N_("Choose one of this customer's projects.")})
        if milestone_id is not None:
            ok = project_id is not None and await db.fetchval(
                "SELECT count(*) AS n FROM milestone WHERE id = $1 AND project_id = $2",
                milestone_id, project_id)
            if not ok:
                raise ValidationFailed({"milestone": N_("Choose a milestone of that project.")})
        await db.execute("UPDATE ticket SET project_id = $2, milestone_id = $3, updated_at = $4 "
                         "WHERE id = $1", ticket_id, project_id, milestone_id, clock.now())
        await facts.refresh_ticket(db, ticket_id)
        await audit.record(db, actor=actor, action="ticket.linked", object_type="ticket",
                           object_id=ticket_id,
                           before={"project": ticket["project_id"],
                                   "milestone": ticket["milestone_id"]},
                           after={"project": project_id, "milestone": milestone_id})


async def merge_tickets(db: Database, actor: Actor, *, duplicate_id: uuid.UUID,
                        into_id: uuid.UUID) -> None:
    """Merge a duplicate into another ticket of the same customer.

    The duplicate's messages move to the kept ticket (history stays whole), the duplicate is
    closed with ``merged_into_id`` set, and disappears from queues.
    """
    require(actor, "tickets.edit")
    if duplicate_id == into_id:
        raise ValidationFailed({"into": N_("A ticket cannot be merged into itself.")})
    async with db.transaction():
        dup = await _ticket_for_update(db, actor, duplicate_id)
        into = await _ticket_for_update(db, actor, into_id)
        if dup["customer_id"] != into["customer_id"]:
            raise ValidationFailed({"into": N_("Only tickets of the same customer can be "
                                               "merged.")})
        if dup["merged_into_id"] or into["merged_into_id"]:
            raise ValidationFailed({"into": N_("That ticket was already merged.")})
        await db.execute("UPDATE ticket_message SET ticket_id = $2 WHERE ticket_id = $1",
                         duplicate_id, into_id)
        await db.execute("UPDATE work_order SET ticket_id = $2 WHERE ticket_id = $1",
                         duplicate_id, into_id)
        await _change_status(db, actor, dup, "closed")
        await db.execute("UPDATE ticket SET merged_into_id = $2 WHERE id = $1",
                         duplicate_id, into_id)
        await facts.refresh_ticket(db, into_id)
        await audit.record(db, actor=actor, action="ticket.merged", object_type="ticket",
                           object_id=duplicate_id, after={"into": into_id,
                                                          "into_number": into["number"]})
        await audit.record(db, actor=actor, action="ticket.merged_from", object_type="ticket",
                           object_id=into_id, after={"from": duplicate_id,
                                                     "from_number": dup["number"]})


async def create_phone_ticket(db: Database, actor: Actor, *, customer_id: uuid.UUID,
                              subject: str, description: str, category: str,
                              priority: str = "normal",
                              project_id: uuid.UUID | None = None) -> uuid.UUID:
    """An agent files a ticket on the customer's behalf (channel ``phone``).

    The SLA policy and calendar are snapshotted now; the ticket takes the region of the
    linked project, so region-bound colleagues see it.
    """
    require(actor, "tickets.edit")
    errors = {}
    subject = (subject or "").strip()
    if not subject or len(subject) > 200:
        errors["subject"] = N_("Enter a short subject (up to 200 characters).")
    if category not in CATEGORIES:
        errors["category"] = N_("Choose a valid category.")
    if priority not in PRIORITIES:
        errors["priority"] = N_("Choose a valid priority.")
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        await get_customer(db, actor, customer_id)  # the authorization layer's getter: 404
        region_id = actor.region_id
        if project_id is not None:
            region_id = await db.fetchval(
                "SELECT region_id FROM project WHERE id = $1 AND customer_id = $2",
                project_id, customer_id)
            if region_id is None and actor.region_bound:
                raise ValidationFailed({"project": N_("Choose one of this customer's "
                                                      "projects.")})
        now, ticket_id = clock.now(), uuid.uuid4()
        number = await next_number(db, "ticket")
        sla = await snapshot_sla(db, category=category, priority=priority, started_at=now)
        await db.execute(
            "INSERT INTO ticket (id, number, customer_id, project_id, channel, category, "
            "priority, status, subject, description, preferred_windows, region_id, "
            "warranty_status, sla_snapshot, first_response_due, resolution_due, reopen_count, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, 'phone', $5, $6, 'new', $7, $8, "
            "'[]', $9, 'unknown', $10, $11, $12, 0, $13, $13)",
            ticket_id, number, customer_id, project_id, category, priority, subject,
            (description or "").strip()[:10_000], region_id, sla["sla_snapshot"],
            sla["first_response_due"], sla["resolution_due"], now)
        await record_status_change(db, ticket_id=ticket_id, from_status=None, to_status="new",
                                   at=now)
        await facts.ticket_created(db, ticket_id=ticket_id, customer_id=customer_id,
                                   project_id=project_id, at=now)
        await audit.record(db, actor=actor, action="ticket.created", object_type="ticket",
                           object_id=ticket_id, after={"number": number, "channel": "phone"})
        await outbox.emit(db, kind="ticket.created", aggregate_type="ticket",
                          aggregate_id=ticket_id,
                          payload={"number": number, "channel": "phone",
                                   "customer_id": str(customer_id)})
    return ticket_id
