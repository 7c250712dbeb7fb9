"""Read models for customers (the desk's 360° view)."""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import Actor, scope_customers
from backend.db import Database, Row
from backend.errors import NotFound


async def get_customer(db: Database, actor: Actor, customer_id: uuid.UUID) -> Row:
    cond, args = scope_customers(actor, "c", start=2)
    row = await db.fetchrow(f"SELECT c.* FROM customer c WHERE c.id = $1 AND {cond}",
                            customer_id, *args)
    if row is None:
        raise NotFound()
    return row


async def customer_360(db: Database, actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    """Profile, household, properties, projects, tickets, surveys and open work orders."""
    customer = await get_customer(db, actor, customer_id)
    properties = await db.fetch(
        "SELECT * FROM property WHERE customer_id = $1 ORDER BY created_at", customer_id)
    household = await db.fetch(
        "SELECT h.id, h.relation, h.created_at, m.id AS member_id, m.name, m.phone, "
        "o.id AS owner_id, o.name AS owner_name FROM household_member h "
        "JOIN customer m ON m.id = h.member_id JOIN customer o ON o.id = h.owner_id "
        "WHERE (h.owner_id = $1 OR h.member_id = $1) AND h.removed_at IS NULL", customer_id)
    projects = await db.fetch(
        "SELECT id, number, title, status, current_stage, contract_amount_fen, created_at "
        "FROM project WHERE customer_id = $1 ORDER BY created_at DESC", customer_id)
    tickets = await db.fetch(
        "SELECT id, number, subject, status, category, priority, created_at FROM ticket "
        "WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50", customer_id)
    surveys = await db.fetch(
        "SELECT kind, score, comment, created_at FROM survey_response WHERE customer_id = $1 "
        "ORDER BY created_at DESC LIMIT 20", customer_id)
    work_orders = await db.fetch(
        "SELECT id, number, kind, status, window_start FROM work_order WHERE customer_id = $1 "
        "AND status NOT IN ('completed', 'cancelled') ORDER BY window_start", customer_id)
    nps = [s["score"] for s in surveys if s["kind"] == "nps"]
    nps_category = None
    if nps:
        latest = nps[0]
        nps_category = "promoter" if latest >= 9 else "passive" if latest >= 7 else "detractor"
    return {"customer": customer, "properties": properties, "household": household,
            "projects": projects, "tickets": tickets, "surveys": surveys,
            "work_orders": work_orders, "nps_category": nps_category}
