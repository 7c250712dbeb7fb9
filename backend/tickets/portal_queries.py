"""The homeowner's view of their repair requests: public fields and messages only, with the
four-step progress (received → scheduled → visited → resolved)."""

from __future__ import annotations

import uuid
from typing import Any

from backend import clock
from backend.access import Actor, scope_tickets
from backend.db import Database, Row
from backend.tickets.intake import CUSTOMER_STAGES, can_reopen, customer_stage
from backend.tickets.queries import get_ticket, ticket_thread

_VISITED = ("EXISTS (SELECT 1 FROM work_order w WHERE w.ticket_id = t.id AND w.status IN "
            "('completed', 'needs_follow_up')) AS visited")


async def my_tickets(db: Database, actor: Actor, *, limit: int = 100) -> list[Row]:
    cond, args = scope_tickets(actor, "t")
    rows = await db.fetch(
        "SELECT t.id, t.number, t.subject, t.category, t.status, t.created_at, "
        f"t.warranty_status, {_VISITED} FROM ticket t WHERE {cond} "
        f"AND t.merged_into_id IS NULL ORDER BY t.created_at DESC LIMIT {int(limit)}", *args)
    for row in rows:
        row["stage"] = customer_stage(row["status"], visited=bool(row["visited"]))
    return rows


async def ticket_view(db: Database, actor: Actor, ticket_id: uuid.UUID) -> dict[str, Any]:
    """A ticket page: the ticket, its public thread, its customer-visible photos (by
    message), the next visit and where it stands."""
    ticket = await get_ticket(db, actor, ticket_id)
    messages = await ticket_thread(db, actor, ticket_id)
    photos = await db.fetch(
        "SELECT id, message_id, caption FROM media WHERE ticket_id = $1 "
        "AND customer_visible = TRUE ORDER BY created_at", ticket_id)
    visits = await db.fetch(
        "SELECT w.kind, w.status, w.window_start, w.window_end, s.name AS technician_name "
        "FROM work_order w LEFT JOIN staff_user s ON s.id = w.technician_id "
        "WHERE w.ticket_id = $1 AND w.status <> 'cancelled' ORDER BY w.window_start", ticket_id)
    visited = any(v["status"] in ("completed", "needs_follow_up") for v in visits)
    upcoming = [v for v in visits if v["status"] in ("scheduled", "en_route", "on_site")
                and v["window_end"] >= clock.now()]
    stage = customer_stage(ticket["status"], visited=visited)
    by_message: dict[Any, list[Row]] = {}
    for p in photos:
        by_message.setdefault(p["message_id"], []).append(p)
    return {"ticket": ticket, "messages": messages, "request_photos": by_message.get(None, []),
            "message_photos": by_message, "next_visit": upcoming[0] if upcoming else None,
            "stage": stage, "stages": CUSTOMER_STAGES,
            "stage_index": CUSTOMER_STAGES.index(stage),
            "can_reopen": can_reopen(ticket, clock.now())}
