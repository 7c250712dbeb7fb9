"""Desk project actions: create a project from a milestone template, edit planned dates and
milestone status, assign the team, raise a change request for the customer to decide."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from backend import clock
from backend.access import Actor, require, scope_projects
from backend.audit import services as audit
from backend.customers.queries import get_customer
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.numbers import next_number
from backend.parsing import parse_yuan
from backend.reports import facts

MILESTONE_STATUSES = ("pending", "in_progress", "done")


def _date(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed({field: N_("Enter a date as YYYY-MM-DD.")}) from exc


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError as exc:
        raise ValidationFailed({"": N_("Something in the request was not right")}) from exc


async def project_form_options(db: Database) -> dict[str, list[Row]]:
    """Templates, teams and staff to choose from, in one query each."""
    return {
        "templates": await db.fetch("SELECT id, name_zh, name_en FROM milestone_template "
                                    "WHERE active = TRUE ORDER BY name_en"),
        "teams": await db.fetch("SELECT id, name_zh, name_en, region_id FROM team "
                                "ORDER BY name_en"),
        "staff": await db.fetch("SELECT id, name, role, region_id FROM staff_user WHERE "
                                "active = TRUE AND role IN ('designer', 'project_manager', "
                                "'technician') ORDER BY role, name"),
    }


async def create_project(db: Database, actor: Actor, *, customer_id: uuid.UUID,
                         template_id: str, title: str, start: str,
                         contract_yuan: str = "0") -> uuid.UUID:
    """A project whose milestone plan is copied from a template, stage after stage from
    ``start`` (each stage lasting its template's default days); it belongs to the team and
    region of the person creating it unless changed later."""
    require(actor, "projects.edit")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = N_("Enter a short title (up to 200 characters).")
    begin = None
    try:
        begin = _date(start, "start") or clock.now().date()
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        amount = parse_yuan(contract_yuan, field="contract",
                            message=N_("Enter the contract amount in yuan."))
    except ValidationFailed as exc:
        errors.update(exc.errors)
        amount = 0
    template = _uuid(template_id) if template_id else None
    if template is None:
        errors["template"] = N_("Choose a milestone template.")
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        await get_customer(db, actor, customer_id)  # the authorization layer's getter: 404
        stages = await db.fetch("SELECT * FROM template_stage WHERE template_id = $1 ORDER BY "
                                "position", template)
        if not stages:
            raise ValidationFailed({"template": N_("Choose a milestone template.")})
        ptype = await db.fetchval("SELECT project_type FROM milestone_template WHERE id = $1",
                                  template)
        prop = await db.fetchval("SELECT id FROM property WHERE customer_id = $1 ORDER BY "
                                 "created_at LIMIT 1", customer_id)
        pid, number, now = uuid.uuid4(), await next_number(db, "project"), clock.now()
        await db.execute(
            "INSERT INTO project (id, number, title, customer_id, property_id, project_type, "
            "contract_amount_fen, region_id, team_id, template_id, status, current_stage, "
            "design_notes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "'active', $11, '', $12)",
            pid, number, title, customer_id, prop, ptype or "full_renovation", amount,
            actor.region_id, actor.team_id, template, stages[0]["code"], now)
        day = begin
        for stage in stages:
            end = day + timedelta(days=max(int(stage["default_days"]) - 1, 0))
            await db.execute(
                "INSERT INTO milestone (id, project_id, position, code, name_zh, name_en, "
                "status, planned_start, planned_end, delay_reason, customer_visible, "
                "requires_signoff) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, '', $9, "
                "$10)", uuid.uuid4(), pid, stage["position"], stage["code"], stage["name_zh"],
                stage["name_en"], day, end, stage["customer_visible"],
                stage["requires_signoff"])
            day = end + timedelta(days=1)
        await facts.refresh_customers(db, customer_id)
        await audit.record(db, actor=actor, action="project.created", object_type="project",
                           object_id=pid, after={"number": number, "template": template,
                                                 "stages": len(stages)})
    return pid


async def _project(db: Database, actor: Actor, project_id: uuid.UUID) -> Row:
    cond, args = scope_projects(actor, "p", start=2)
    row = await db.fetchrow(f"SELECT p.* FROM project p WHERE p.id = $1 AND {cond}",
                            project_id, *args)
    if row is None:
        raise NotFound()
    return row


async def update_milestone(db: Database, actor: Actor, *, project_id: uuid.UUID,
                           milestone_id: uuid.UUID, planned_start: str, planned_end: str,
                           status: str) -> None:
    """Edit a milestone's planned dates and status; marking it done records the actual end
    and raises ``milestone.completed`` (starting it, ``milestone.started``)."""
    require(actor, "projects.edit")
    if status not in MILESTONE_STATUSES:
        raise ValidationFailed({"status": N_("Choose a valid status.")})
    start, end = _date(planned_start, "planned_start"), _date(planned_end, "planned_end")
    if start and end and end < start:
        raise ValidationFailed({"planned_end": N_("The end cannot be before the start.")})
    async with db.transaction():
        project = await _project(db, actor, project_id)
        old = await db.fetchrow("SELECT * FROM milestone WHERE id = $1 AND project_id = $2",
                                milestone_id, project_id)
        if old is None:
            raise NotFound()
        today = clock.now().date()
        actual_start = old["actual_start"] or (today if status != "pending" else None)
        actual_end = (old["actual_end"] or today) if status == "done" else None
        await db.execute(
            "UPDATE milestone SET planned_start = $2, planned_end = $3, status = $4, "
            "actual_start = $5, actual_end = $6 WHERE id = $1",
            milestone_id, start, end, status, actual_start, actual_end)
        before, after = audit.diff(
            {k: old[k] for k in ("planned_start", "planned_end", "status")},
            {"planned_start": start, "planned_end": end, "status": status})
        await audit.record(db, actor=actor, action="milestone.updated",
                           object_type="project", object_id=project_id,
                           before=before, after={**after, "milestone": old["code"]})
        if status != old["status"] and status in ("in_progress", "done"):
            if status == "in_progress":
                await db.execute("UPDATE project SET current_stage = $2 WHERE id = $1",
                                 project_id, old["code"])
            kind = "milestone.completed" if status == "done" else "milestone.started"
            await outbox.emit(db, kind=kind, aggregate_type="milestone",
                              aggregate_id=project["id"],
                              payload={"milestone_id": str(milestone_id), "code": old["code"],
                                       "customer_id": str(project["customer_id"])})


async def assign_team(db: Database, actor: Actor, *, project_id: uuid.UUID,
                      values: dict[str, Any]) -> None:
    """Set the project's team, designer, project manager and installer lead."""
    require(actor, "projects.edit")
    fields = ("team_id", "designer_id", "project_manager_id", "installer_lead_id")
    chosen = {f: _uuid(values.get(f)) for f in fields}
    async with db.transaction():
        project = await _project(db, actor, project_id)
        await db.execute(
            "UPDATE project SET team_id = $2, designer_id = $3, project_manager_id = $4, "
            "installer_lead_id = $5 WHERE id = $1", project_id, *chosen.values())
        before, after = audit.diff({f: project[f] for f in fields}, chosen)
        await audit.record(db, actor=actor, action="project.team_assigned",
                           object_type="project", object_id=project_id, before=before,
                           after=after)


async def raise_change_request(db: Database, actor: Actor, *, project_id: uuid.UUID,
                               title: str, description: str, cost_yuan: str,
                               schedule_days: str) -> uuid.UUID:
    """A design change with its cost and schedule impact, for the customer to decide."""
    require(actor, "projects.edit")
    title = (title or "").strip()
    errors = {}
    if not title or len(title) > 200:
        errors["title"] = N_("Enter a short title (up to 200 characters).")
    cost = days = 0
    try:
        cost = parse_yuan(cost_yuan, field="cost", allow_negative=True,
                          message=N_("Enter the cost in yuan and the delay in days."))
        days = int((schedule_days or "0").strip())
        if abs(days) > 3650:
            raise ValueError
    except (ValidationFailed, ValueError):
        errors["cost"] = N_("Enter the cost in yuan and the delay in days.")
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        project = await _project(db, actor, project_id)
        cid, now = uuid.uuid4(), clock.now()
        await db.execute(
            "INSERT INTO change_request (id, project_id, title, description, cost_delta_fen, "
            "schedule_delta_days, status, deadline, raised_by_id, decision_note, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, '', $9)",
            cid, project_id, title, (description or "")[:5000], cost, days,
            now + timedelta(days=7), actor.id, now)
        await audit.record(db, actor=actor, action="change_request.raised",
                           object_type="project", object_id=project_id,
                           after={"change_request": cid, "cost_fen": cost, "days": days})
        await outbox.emit(db, kind="change_request.raised", aggregate_type="change_request",
                          aggregate_id=cid, payload={"project_id": str(project_id),
                                                     "customer_id": str(project["customer_id"]),
                                                     "title": title})
    return cid
