"""Read models for tickets: the portal's view never contains internal notes."""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import Actor, scope_tickets
from backend.db import Database, Row
from backend.errors import NotFound

# Columns a homeowner may see. Internal fields (SLA snapshot, assignee, team) are left out
# so no portal template can show them by accident.
_PUBLIC_COLUMNS = (
    "t.id, t.number, t.subject, t.description, t.category, t.status, t.channel, "
    "t.warranty_status, t.warranty_until, t.project_id, t.created_at, t.updated_at, "
    "t.resolved_at, t.reopen_count, t.preferred_windows"
)


async def tickets_for(db: Database, actor: Actor, *, limit: int = 100) -> list[Row]:
    cond, args = scope_tickets(actor, "t")
    columns = _PUBLIC_COLUMNS if actor.is_customer else "t.*"
    return await db.fetch(
        f"SELECT {columns} FROM ticket t WHERE {cond} AND t.merged_into_id IS NULL "
        f"ORDER BY t.created_at DESC LIMIT {int(limit)}",
        *args,
    )


async def get_ticket(db: Database, actor: Actor, ticket_id: uuid.UUID) -> Row:
    cond, args = scope_tickets(actor, "t", start=2)
    columns = _PUBLIC_COLUMNS if actor.is_customer else "t.*"
    row = await db.fetchrow(
        f"SELECT {columns}, c.name AS customer_name FROM ticket t "
        f"JOIN customer c ON c.id = t.customer_id WHERE t.id = $1 AND {cond}",
        ticket_id, *args,
    )
    if row is None:
        raise NotFound()
    return row


async def ticket_thread(db: Database, actor: Actor, ticket_id: uuid.UUID) -> list[Row]:
    """Messages of a ticket the actor may already see; internal notes only for staff."""
    internal = "" if actor.is_staff else " AND m.internal = FALSE"
    return await db.fetch(
        "SELECT m.id, m.body, m.internal, m.created_at, m.author_customer_id, "
        "m.author_staff_id, COALESCE(s.name, c.name) AS author_name, "
        "CASE WHEN m.author_staff_id IS NULL THEN 'customer' ELSE 'staff' END AS author_kind "
        "FROM ticket_message m LEFT JOIN staff_user s ON s.id = m.author_staff_id "
        "LEFT JOIN customer c ON c.id = m.author_customer_id "
        f"WHERE m.ticket_id = $1{internal} ORDER BY m.created_at",
        ticket_id,
    )


async def ticket_page(db: Database, actor: Actor, ticket_id: uuid.UUID) -> dict[str, Any]:
    ticket = await get_ticket(db, actor, ticket_id)
    messages = await ticket_thread(db, actor, ticket_id)
    photo_filter = "" if actor.is_staff else " AND customer_visible = TRUE"
    photos = await db.fetch(
        f"SELECT id, caption, created_at FROM media WHERE ticket_id = $1{photo_filter} "
        "ORDER BY created_at",
        ticket_id,
    )
    return {"ticket": ticket, "messages": messages, "photos": photos}


async def desk_queue(db: Database, actor: Actor, *, limit: int = 100) -> list[Row]:
    """Open tickets for the desk queue, most urgent first, in one query (no N+1)."""
    cond, args = scope_tickets(actor, "t")
    return await db.fetch(
        "SELECT t.id, t.number, t.subject, t.category, t.priority, t.status, t.channel, "
        "t.warranty_status, t.created_at, t.resolution_due, t.first_response_due, "
        "c.name AS customer_name, a.name AS assignee_name FROM ticket t "
        "JOIN customer c ON c.id = t.customer_id "
        "LEFT JOIN staff_user a ON a.id = t.assignee_id "
        f"WHERE {cond} AND t.status NOT IN ('resolved', 'closed') AND t.merged_into_id IS NULL "
        "ORDER BY CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 "
        f"ELSE 3 END, t.created_at LIMIT {int(limit)}",
        *args,
    )
