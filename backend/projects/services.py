"""Decisions a homeowner takes on their project: change requests and acceptance sign-off."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend import clock
from backend.access import Actor, require_customer, scope_projects
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.reports import facts
from backend.tickets import intake

DECISIONS = {"approve": "approved", "decline": "declined"}
MAX_DEFECTS = 10


def _today(actor: Actor) -> date:
    """The actor's calendar day (dates on the plan are local days)."""
    try:
        zone = ZoneInfo(actor.timezone or "Asia/Shanghai")
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return clock.now().astimezone(zone).date()


async def _change_request_for(db: Database, actor: Actor, change_id: uuid.UUID) -> Row:
    cond, args = scope_projects(actor, "p", start=2)
    row = await db.fetchrow(
        "SELECT c.id, c.project_id, c.milestone_id, c.status, c.schedule_delta_days, "
        "c.cost_delta_fen, c.title FROM change_request c JOIN project p ON p.id = c.project_id "
        f"WHERE c.id = $1 AND {cond}", change_id, *args)
    if row is None:
        raise NotFound()
    return row


async def _shift_plan(db: Database, project_id: uuid.UUID, milestone_id: uuid.UUID | None,
                      days: int) -> int:
    """Move the affected milestone and every later one by ``days``; finished ones stay."""
    milestones = await db.fetch(
        "SELECT id, position, status, planned_start, planned_end, estimated_end "
        "FROM milestone WHERE project_id = $1 ORDER BY position", project_id)
    start_at = None
    for m in milestones:
        if (milestone_id and m["id"] == milestone_id) or (
                milestone_id is None and m["status"] == "in_progress"):
            start_at = m["position"]
            break
    if start_at is None:
        start_at = next((m["position"] for m in milestones if m["status"] != "done"), None)
    if start_at is None:
        return 0
    delta = timedelta(days=days)

    def moved(value: date | None) -> date | None:
        return value + delta if value is not None else None

    rows = [(m["id"], moved(m["planned_start"]), moved(m["planned_end"]),
             moved(m["estimated_end"]))
            for m in milestones if m["position"] >= start_at and m["status"] != "done"]
    if rows:
        await db.executemany(
            "UPDATE milestone SET planned_start = $2, planned_end = $3, estimated_end = $4 "
            "WHERE id = $1", rows)
    return len(rows)


async def decide_change_request(
    db: Database,
    *,
    actor: Actor,
    change_id: uuid.UUID,
    decision: str,
    note: str = "",
) -> Row:
    """The homeowner approves or declines a pending change request, once.

    The decision, who took it and when are recorded. On approval the plan moves: the
    affected milestone and every later unfinished one shift by the request's schedule
    impact. Declining asks for a short note so the team knows why.
    """
    require_customer(actor)
    status = DECISIONS.get(decision)
    if status is None:
        raise ValidationFailed({"decision": N_("Choose approve or decline.")})
    text = (note or "").strip()
    if len(text) > 2000:
        raise ValidationFailed({"note": N_("Please keep the note under 2,000 characters.")})
    if status == "declined" and not text:
        raise ValidationFailed({"note": N_("Tell the team briefly why you decline.")})
    change = await _change_request_for(db, actor, change_id)
    now = clock.now()
    async with db.transaction():
        updated = await db.fetchval(
            "UPDATE change_request SET status = $2, decided_by_id = $3, decided_at = $4, "
            "decision_note = $5 WHERE id = $1 AND status = 'pending' RETURNING id",
            change_id, status, actor.id, now, text)
        if updated is None:
            raise InvalidTransition(N_("This change request has already been decided."))
        shifted = 0
        if status == "approved" and change["schedule_delta_days"]:
            shifted = await _shift_plan(db, change["project_id"], change["milestone_id"],
                                        int(change["schedule_delta_days"]))
        after = {"status": status, "decided_by": actor.id, "note": text,
                 "milestones_shifted": shifted}
        await audit.record(db, actor=actor, action="change_request.decided",
                           object_type="change_request", object_id=change_id,
                           before={"status": "pending"}, after=after)
        await outbox.emit(db, kind="change_request.decided", aggregate_type="change_request",
                          aggregate_id=change_id,
                          payload={"change_request_id": change_id, "decision": status,
                                   "project_id": change["project_id"],
                                   "customer_id": actor.id,
                                   "schedule_delta_days": change["schedule_delta_days"]})
    return {**change, "status": status, "decided_at": now, "decision_note": text}


@dataclass
class Defect:
    """One problem found at acceptance: what is wrong, and photos of it."""

    description: str
    photos: Sequence[bytes] = field(default_factory=list)


async def _acceptance_for(db: Database, actor: Actor, project_id: uuid.UUID) -> tuple[Row, Row]:
    cond, args = scope_projects(actor, "p", start=2)
    project = await db.fetchrow(
        f"SELECT p.id, p.region_id, p.team_id, p.accepted_on FROM project p "
        f"WHERE p.id = $1 AND {cond}", project_id, *args)
    if project is None:
        raise NotFound()
    milestone = await db.fetchrow(
        "SELECT id, position, status, signed_off_at FROM milestone WHERE project_id = $1 "
        "AND code = 'acceptance' ORDER BY position LIMIT 1", project_id)
    if milestone is None or milestone["status"] != "in_progress" or milestone["signed_off_at"]:
        raise InvalidTransition(N_("Acceptance is not open for sign-off right now."))
    return project, milestone


def _clean_defects(defects: Sequence[Defect]) -> list[Defect]:
    kept = [d for d in defects if d.description.strip() or d.photos]
    errors: dict[str, str] = {}
    if not kept:
        errors[""] = N_("Describe at least one problem, or confirm the acceptance.")
    if len(kept) > MAX_DEFECTS:
        errors[""] = N_("You can report up to 10 problems at once.")
    for index, d in enumerate(kept, start=1):
        if len(d.description.strip()) < 3:
            errors[f"defect_{index}"] = N_("Describe the problem in a few words.")
        if len(d.photos) > intake.MAX_PHOTOS:
            errors[f"defect_{index}"] = N_("You can add up to 10 photos.")
    if errors:
        raise ValidationFailed(errors)
    return kept


async def sign_off_acceptance(
    db: Database,
    *,
    actor: Actor,
    project_id: uuid.UUID,
    confirm: bool,
    defects: Sequence[Defect] = (),
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """At the acceptance stage the homeowner either confirms (the stage is done, the
    acceptance date is set, so warranty starts today) or lists defects, each of which becomes
    a ticket linked to the project; acceptance stays open until they confirm."""
    require_customer(actor)
    project, milestone = await _acceptance_for(db, actor, project_id)
    today = _today(actor)
    now = clock.now()
    if confirm:
        async with db.transaction():
            updated = await db.fetchval(
                "UPDATE milestone SET status = 'done', actual_end = $2, signed_off_at = $3, "
                "signed_off_by_id = $4 WHERE id = $1 AND signed_off_at IS NULL RETURNING id",
                milestone["id"], today, now, actor.id)
            if updated is None:
                raise InvalidTransition(N_("Acceptance is not open for sign-off right now."))
            nxt = await db.fetchrow(
                "SELECT id, code FROM milestone WHERE project_id = $1 AND position > $2 "
                "ORDER BY position LIMIT 1", project_id, milestone["position"])
            if nxt is not None:
                await db.execute("UPDATE milestone SET status = 'in_progress', actual_start = $2 "
                                 "WHERE id = $1", nxt["id"], today)
            await db.execute(
                "UPDATE project SET accepted_on = $2, current_stage = $3 WHERE id = $1",
                project_id, today, nxt["code"] if nxt else "acceptance")
            await facts.project_delivered(db, project_id)
            after = {"accepted_on": today, "milestone_id": milestone["id"]}
            await audit.record(db, actor=actor, action="acceptance.signed",
                               object_type="project", object_id=project_id, after=after)
            await outbox.emit(db, kind="acceptance.signed", aggregate_type="project",
                              aggregate_id=project_id,
                              payload={**after, "project_id": project_id,
                                       "customer_id": actor.id})
        return {"status": "signed", "tickets": []}
    kept = _clean_defects(defects)
    key = (idempotency_key or "").strip()[:60] or None
    if key:
        existing = await db.fetch(
            "SELECT id, number FROM ticket WHERE customer_id = $1 AND idempotency_key LIKE $2 "
            "ORDER BY number", actor.id, f"{key}:d%")
        if existing:
            return {"status": "defects", "tickets": existing}
    prepared: list[list[intake.PreparedPhoto]] = []
    try:
        for defect in kept:
            prepared.append(await intake.prepare_photos(db, defect.photos))
    except BaseException:
        await intake.forget_files(db, [p for group in prepared for p in group])
        raise
    tickets: list[Row] = []
    try:
        async with db.transaction():
            for index, defect in enumerate(kept):
                tickets.append(await intake.create_defect_ticket(
                    db, actor=actor, project=project, milestone_id=milestone["id"],
                    description=defect.description.strip(), photos=prepared[index],
                    idempotency_key=f"{key}:d{index}" if key else None))
            await audit.record(db, actor=actor, action="acceptance.defects_reported",
                               object_type="project", object_id=project_id,
                               after={"tickets": [t["number"] for t in tickets]})
    except Exception:
        await intake.forget_files(db, [p for group in prepared for p in group])
        raise
    return {"status": "defects", "tickets": tickets}
