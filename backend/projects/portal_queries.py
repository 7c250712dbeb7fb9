"""Read models for the homeowner's project pages beyond the timeline: change requests,
acceptance sign-off and the repair form's warranty overview. Scoped by backend.access."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from backend.access import Actor, scope_projects, scope_tickets
from backend.db import Database, Row
from backend.errors import NotFound
from backend.projects import warranty

# Change-request attachments are media rows of this kind whose message_id is the request's id.
ATTACHMENT_KIND = "change_request"


async def change_request_page(db: Database, actor: Actor, change_id: uuid.UUID
                              ) -> dict[str, Any]:
    """One change request of a project the actor may see, with its attachments."""
    cond, args = scope_projects(actor, "p", start=2)
    change = await db.fetchrow(
        "SELECT c.id, c.project_id, c.title, c.description, c.cost_delta_fen, "
        "c.schedule_delta_days, c.status, c.deadline, c.decided_at, c.decision_note, "
        "c.created_at, p.title AS project_title, m.name_zh, m.name_en, "
        "d.name AS decided_by_name, r.name AS raised_by_name FROM change_request c "
        "JOIN project p ON p.id = c.project_id "
        "LEFT JOIN milestone m ON m.id = c.milestone_id "
        "LEFT JOIN customer d ON d.id = c.decided_by_id "
        "LEFT JOIN staff_user r ON r.id = c.raised_by_id "
        f"WHERE c.id = $1 AND {cond}", change_id, *args)
    if change is None:
        raise NotFound()
    visible = " AND customer_visible = TRUE" if actor.is_customer else ""
    attachments = await db.fetch(
        "SELECT id, caption FROM media WHERE project_id = $1 AND kind = $2 AND message_id = $3"
        f"{visible} ORDER BY created_at", change["project_id"], ATTACHMENT_KIND, change_id)
    return {"change": change, "attachments": attachments}


async def change_requests_for_project(db: Database, actor: Actor, project_id: uuid.UUID
                                      ) -> list[Row]:
    cond, args = scope_projects(actor, "p", start=2)
    return await db.fetch(
        "SELECT c.id, c.title, c.status, c.deadline, c.cost_delta_fen, c.schedule_delta_days, "
        "c.decided_at FROM change_request c JOIN project p ON p.id = c.project_id "
        f"WHERE c.project_id = $1 AND {cond} ORDER BY c.created_at DESC", project_id, *args)


async def acceptance_page(db: Database, actor: Actor, project_id: uuid.UUID) -> dict[str, Any]:
    """The acceptance stage of a project and the defects already reported for it."""
    cond, args = scope_projects(actor, "p", start=2)
    project = await db.fetchrow(
        "SELECT p.id, p.title, p.number, p.accepted_on, p.current_stage, m.id AS milestone_id, "
        "m.status AS milestone_status, m.signed_off_at, m.planned_end FROM project p "
        "LEFT JOIN milestone m ON m.project_id = p.id AND m.code = 'acceptance' "
        f"WHERE p.id = $1 AND {cond}", project_id, *args)
    if project is None:
        raise NotFound()
    tcond, targs = scope_tickets(actor, "t", start=2)
    defects = await db.fetch(
        "SELECT t.id, t.number, t.subject, t.status, t.created_at FROM ticket t "
        f"WHERE t.project_id = $1 AND t.channel = 'acceptance' AND {tcond} "
        "ORDER BY t.created_at", project_id, *targs)
    open_for_signoff = (project["milestone_status"] == "in_progress"
                        and project["signed_off_at"] is None)
    return {"project": project, "defects": defects, "open_for_signoff": open_for_signoff}


async def repair_options(db: Database, actor: Actor, today: date) -> list[Row]:
    """Each product line of each project the actor may see, with its warranty coverage
    today: the repair form shows it before the homeowner submits."""
    cond, args = scope_projects(actor, "p")
    rows = await db.fetch(
        "SELECT p.id AS project_id, p.title AS project_title, p.accepted_on, "
        "pl.id AS product_line_id, pl.name_zh, pl.name_en, pl.warranty_months "
        "FROM project p JOIN project_product pp ON pp.project_id = p.id "
        f"JOIN product_line pl ON pl.id = pp.product_line_id WHERE {cond} "
        "ORDER BY p.created_at DESC, pl.code", *args)
    for row in rows:
        cover = warranty.coverage(row["accepted_on"], row["warranty_months"], today)
        row["coverage"] = cover.status
        row["until"] = cover.until
        row["value"] = f"{row['project_id']}:{row['product_line_id']}"
    return rows
