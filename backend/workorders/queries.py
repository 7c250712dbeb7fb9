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
        "w.updated_at, w.version, w.project_id, c.name AS customer_name, "
        "c.phone AS customer_phone, "
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
    milestone = None
    if work_order["milestone_id"]:
        milestone = await db.fetchrow(
            "SELECT id, code, name_zh, name_en, status FROM milestone WHERE id = $1",
            work_order["milestone_id"])
    products = await db.fetch(
        "SELECT pp.description, pl.name_zh, pl.name_en FROM project_product pp "
        "JOIN product_line pl ON pl.id = pp.product_line_id WHERE pp.project_id = $1",
        work_order["project_id"] or uuid.uuid4())
    return {
        "work_order": work_order,
        "checklist": json.loads(work_order["checklist"] or "[]"),
        "parts": json.loads(work_order["parts"] or "[]"),
        "photos": photos,
        "milestone": milestone,
        "products": products,
    }


async def offline_packets(
    db: Database, actor: Actor, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Everything a technician needs to work each job offline, for the work orders in a time
    range: address, customer contact, project context, checklist, notes, parts and the
    previous photos (ids; the caller turns them into URLs). Three queries in all."""
    cond, args = scope_work_orders(actor, "w", start=3)
    orders = await db.fetch(
        "SELECT w.id, w.number, w.kind, w.status, w.version, w.window_start, w.window_end, "
        "w.address, w.checklist, w.notes, w.parts, w.project_id, w.updated_at, "
        "w.signer_name, w.signed_at, c.name AS customer_name, c.phone AS customer_phone, "
        "p.title AS project_title, p.current_stage, p.design_notes, m.name_zh AS milestone_zh, "
        "m.name_en AS milestone_en FROM work_order w JOIN customer c ON c.id = w.customer_id "
        "LEFT JOIN project p ON p.id = w.project_id "
        "LEFT JOIN milestone m ON m.id = w.milestone_id "
        f"WHERE w.window_start < $2 AND w.window_end >= $1 AND {cond} "
        "ORDER BY w.window_start LIMIT 100",
        start, end, *args,
    )
    if not orders:
        return []
    project_ids = [o["project_id"] for o in orders if o["project_id"]] or [uuid.uuid4()]
    order_ids = [o["id"] for o in orders]
    marks_p = ", ".join(f"${i + 1}" for i in range(len(project_ids)))
    marks_w = ", ".join(f"${i + 1 + len(project_ids)}" for i in range(len(order_ids)))
    photos = await db.fetch(
        "SELECT id, project_id, work_order_id, caption, customer_visible, created_at FROM media "
        f"WHERE kind = 'photo' AND (project_id IN ({marks_p}) OR work_order_id IN ({marks_w})) "
        "ORDER BY created_at DESC LIMIT 1000",
        *project_ids, *order_ids,
    )
    products = await db.fetch(
        "SELECT pp.project_id, pp.description, pl.name_zh, pl.name_en FROM project_product pp "
        f"JOIN product_line pl ON pl.id = pp.product_line_id WHERE pp.project_id IN ({marks_p})",
        *project_ids,
    )
    packets = []
    for o in orders:
        mine = [ph for ph in photos if ph["work_order_id"] == o["id"]
                or (o["project_id"] and ph["project_id"] == o["project_id"])]
        packets.append({
            **o,
            "checklist": json.loads(o["checklist"] or "[]"),
            "parts": json.loads(o["parts"] or "[]"),
            "photos": mine[:30],
            "products": [p for p in products if p["project_id"] == o["project_id"]],
        })
    return packets
