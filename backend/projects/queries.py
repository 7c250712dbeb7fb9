"""Read models for project pages, scoped by the authorization layer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from backend import clock
from backend.access import Actor, scope_projects
from backend.db import Database, Row
from backend.errors import NotFound

STAGES = ("measure", "design", "contract", "production", "delivery", "install", "acceptance",
          "warranty")


def parse_id(raw: str | uuid.UUID) -> uuid.UUID:
    """A URL id as a UUID; anything else is simply not found."""
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound() from None


def milestone_state(m: Row, today: date) -> str:
    """done / late / in_progress / pending. Late: re-estimated past plan, or past its due day."""
    if m["status"] == "done":
        return "done"
    planned, estimated = m["planned_end"], m["estimated_end"]
    if estimated and planned and estimated > planned:
        return "late"
    due = estimated or planned
    if due is not None and due < today and m["status"] == "in_progress":
        return "late"
    if m["status"] == "in_progress":
        return "in_progress"
    if due is not None and m["planned_start"] and m["planned_start"] < today:
        return "late"
    return "pending"


async def projects_for(db: Database, actor: Actor) -> list[Row]:
    """The projects an actor may see, newest first, with their current stage."""
    cond, args = scope_projects(actor, "p")
    return await db.fetch(
        "SELECT p.id, p.number, p.title, p.status, p.current_stage, p.created_at, "
        "p.contract_amount_fen, p.customer_id, pr.city, pr.address "
        f"FROM project p LEFT JOIN property pr ON pr.id = p.property_id WHERE {cond} "
        "ORDER BY p.created_at DESC LIMIT 200",
        *args,
    )


async def get_project(db: Database, actor: Actor, project_id: uuid.UUID) -> Row:
    cond, args = scope_projects(actor, "p", start=2)
    row = await db.fetchrow(
        "SELECT p.*, pr.city, pr.district, pr.address, pr.layout, pr.area_sqm, "
        "c.name AS customer_name, d.name AS designer_name, d.phone AS designer_phone, "
        "m.name AS pm_name, m.phone AS pm_phone, i.name AS installer_name, "
        "i.phone AS installer_phone "
        "FROM project p LEFT JOIN property pr ON pr.id = p.property_id "
        "JOIN customer c ON c.id = p.customer_id "
        "LEFT JOIN staff_user d ON d.id = p.designer_id "
        "LEFT JOIN staff_user m ON m.id = p.project_manager_id "
        "LEFT JOIN staff_user i ON i.id = p.installer_lead_id "
        f"WHERE p.id = $1 AND {cond}",
        project_id, *args,
    )
    if row is None:
        raise NotFound()
    return row


async def project_page(db: Database, actor: Actor, project_id: uuid.UUID) -> dict[str, Any]:
    """Everything the project page shows, in a fixed number of queries."""
    project = await get_project(db, actor, project_id)
    customer_view = actor.is_customer
    visible = " AND m.customer_visible = TRUE" if customer_view else ""
    milestones = await db.fetch(
        "SELECT m.id, m.position, m.code, m.name_zh, m.name_en, m.status, m.planned_start, "
        "m.planned_end, m.estimated_end, m.actual_start, m.actual_end, m.delay_reason, "
        "m.requires_signoff, m.signed_off_at "
        f"FROM milestone m WHERE m.project_id = $1{visible} ORDER BY m.position",
        project_id,
    )
    photo_filter = " AND customer_visible = TRUE" if customer_view else ""
    photos = await db.fetch(
        "SELECT id, milestone_id, caption, taken_at, created_at, width, height "
        f"FROM media WHERE project_id = $1 AND kind = 'photo'{photo_filter} "
        "ORDER BY created_at DESC LIMIT 500",
        project_id,
    )
    # Upcoming visits and undecided change requests in one round trip. The work-order
    # branch comes first: SQLite takes column types for a compound select from its left side.
    extras = await db.fetch(
        "SELECT 'visit' AS kind, w.id, w.kind AS detail, w.window_start AS at1, "
        "w.window_end AS at2, t.name AS name "
        "FROM work_order w LEFT JOIN staff_user t ON t.id = w.technician_id "
        "WHERE w.project_id = $1 AND w.window_end >= $2 AND w.status NOT IN "
        "('completed', 'cancelled') "
        "UNION ALL SELECT 'change', c.id, c.status, c.deadline, c.created_at, c.title "
        "FROM change_request c WHERE c.project_id = $1 AND c.status = 'pending'",
        project_id, clock.now(),
    )
    today = clock.now().date()
    for m in milestones:
        m["state"] = milestone_state(m, today)
    visits = sorted((r for r in extras if r["kind"] == "visit"), key=lambda r: r["at1"])
    return {
        "project": project,
        "milestones": milestones,
        "photos": photos,
        "next_visit": visits[0] if visits else None,
        "pending_changes": [r for r in extras if r["kind"] == "change"],
    }
