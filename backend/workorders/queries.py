"""Read models for work orders: a technician sees only their own assignments."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from backend.access import Actor, scope_work_orders
from backend.db import Database, Row
from backend.errors import NotFound


async def work_orders_between(
    db: Database, actor: Actor, start: datetime, end: datetime
) -> list[Row]:
    """Work orders in a time range (``My day`` and the offline packets), earliest first."""
    cond, args = scope_work_orders(actor, "w", start=3)
    return await db.fetch(
        "SELECT w.id, w.number, w.kind, w.status, w.window_start, w.window_end, w.address, "
        "w.updated_at, w.project_id, c.name AS customer_name, c.phone AS customer_phone, "
        "p.title AS project_title FROM work_order w JOIN customer c ON c.id = w.customer_id "
        "LEFT JOIN project p ON p.id = w.project_id "
        f"WHERE w.window_start < $2 AND w.window_end >= $1 AND {cond} "
        "ORDER BY w.window_start LIMIT 200",
        start, end, *args,
    )


async def get_work_order(db: Database, actor: Actor, work_order_id: uuid.UUID) -> Row:
    cond, args = scope_work_orders(actor, "w", start=2)
    row = await db.fetchrow(
        "SELECT w.*, c.name AS customer_name, c.phone AS customer_phone, "
        "p.title AS project_title, p.design_notes, p.current_stage, t.name AS technician_name "
        "FROM work_order w JOIN customer c ON c.id = w.customer_id "
        "LEFT JOIN project p ON p.id = w.project_id "
        "LEFT JOIN staff_user t ON t.id = w.technician_id "
        f"WHERE w.id = $1 AND {cond}",
        work_order_id, *args,
    )
    if row is None:
        raise NotFound()
    return row


async def work_order_page(db: Database, actor: Actor, work_order_id: uuid.UUID) -> dict[str, Any]:
    work_order = await get_work_order(db, actor, work_order_id)
    photos = await db.fetch(
        "SELECT id, caption, customer_visible, created_at FROM media WHERE "
        "(work_order_id = $1 OR (project_id = $2 AND $2 IS NOT NULL)) AND kind = 'photo' "
        "ORDER BY created_at DESC LIMIT 60",
        work_order_id, work_order["project_id"],
    )
    return {
        "work_order": work_order,
        "checklist": json.loads(work_order["checklist"] or "[]"),
        "parts": json.loads(work_order["parts"] or "[]"),
        "photos": photos,
    }
