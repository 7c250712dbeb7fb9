"""Tickets from homeowners: repair requests from the portal, acceptance defects, customer
replies with photos, and reopening within 14 days of resolution.

A homeowner follows a ticket in four steps (received → scheduled → visited → resolved), mapped
from the desk's finer ticket statuses by :func:`customer_stage`. A double tap on "submit"
carries the same idempotency key and returns the ticket created the first time.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from backend import clock
from backend.access import Actor, require_customer, scope_projects, scope_tickets
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.media.services import (
    PreparedPhoto,
    discard_prepared,
    prepare_photo,
    record_photo,
)
from backend.numbers import next_number
from backend.projects import warranty
from backend.reports import facts
from backend.tickets import services as desk_tickets

MAX_PHOTOS = 10
REOPEN_WINDOW = timedelta(days=14)
CUSTOMER_STAGES = ("received", "scheduled", "visited", "resolved")
# Categories a homeowner chooses from (labels in ui/labels.html category_label).
REPAIR_CATEGORIES = ("door_drawer", "leak", "crack", "electrical", "hardware", "installation",
                     "repair", "question", "complaint")
# Preferred visit windows (labels in the portal's repair form).
VISIT_WINDOWS = ("weekday_morning", "weekday_afternoon", "weekday_evening", "weekend_morning",
                 "weekend_afternoon")
_SCHEDULED = {"scheduled", "dispatched", "assigned"}
_DONE = {"resolved", "closed"}


def customer_stage(status: str, *, visited: bool = False) -> str:
    """The homeowner's step for a desk status: resolved/closed → resolved; a completed
    visit → visited; scheduled → scheduled; everything else (new, open, waiting) → received."""
    if status in _DONE:
        return "resolved"
    if visited:
        return "visited"
    if status in _SCHEDULED:
        return "scheduled"
    return "received"


def can_reopen(ticket: Row, now: datetime) -> bool:
    """A resolved or closed ticket may be reopened by its homeowner for 14 days."""
    if ticket.get("status") not in _DONE:
        return False
    since = ticket.get("resolved_at") or ticket.get("closed_at")
    return since is not None and now - since <= REOPEN_WINDOW


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper()
    return type(exc).__name__ == "UniqueViolationError"


async def _project_for(db: Database, actor: Actor, project_id: uuid.UUID) -> Row:
    cond, args = scope_projects(actor, "p", start=2)
    row = await db.fetchrow(
        f"SELECT p.id, p.region_id, p.team_id, p.accepted_on FROM project p "
        f"WHERE p.id = $1 AND {cond}", project_id, *args)
    if row is None:
        raise NotFound()
    return row


async def coverage_for(db: Database, actor: Actor, project_id: uuid.UUID,
                       product_line_id: uuid.UUID | None, today: date) -> warranty.Coverage:
    """Warranty coverage of one product line of a project the actor may see."""
    project = await _project_for(db, actor, project_id)
    months = None
    if product_line_id is not None:
        months = await db.fetchval(
            "SELECT pl.warranty_months FROM project_product pp JOIN product_line pl "
            "ON pl.id = pp.product_line_id WHERE pp.project_id = $1 AND pl.id = $2",
            project_id, product_line_id)
        if months is None:
            raise ValidationFailed({"item": N_("Choose one of the items listed.")})
    return warranty.coverage(project["accepted_on"], months, today)


def _clean_request(category: str, description: str, windows: Sequence[str],
                   photos: Sequence[bytes]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if category not in REPAIR_CATEGORIES:
        errors["category"] = N_("Choose what kind of problem it is.")
    text = (description or "").strip()
    if len(text) < 5:
        errors["description"] = N_("Describe the problem in a few words.")
    elif len(text) > 5000:
        errors["description"] = N_("Please keep the description under 5,000 characters.")
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = N_("You can add up to 10 photos.")
    if errors:
        raise ValidationFailed(errors)
    return {"category": category, "description": text,
            "windows": [w for w in dict.fromkeys(windows) if w in VISIT_WINDOWS]}


async def _insert_ticket(db: Database, *, actor: Actor, project: Row | None, category: str,
                         channel: str, description: str, windows: list[str],
                         product_line_id: uuid.UUID | None, cover: warranty.Coverage,
                         milestone_id: uuid.UUID | None, idempotency_key: str | None) -> Row:
    now = clock.now()
    ticket_id = uuid.uuid4()
    number = await next_number(db, "ticket")
    subject = " ".join(description.split())[:80]
    # The SLA is frozen at creation, as for tickets the desk opens.
    sla = await desk_tickets.snapshot_sla(db, category=category, priority="normal",
                                          started_at=now)
    await db.execute(
        "INSERT INTO ticket (id, number, customer_id, project_id, milestone_id, product_line_id,"
        " channel, category, priority, status, subject, description, preferred_windows, "
        "team_id, region_id, warranty_status, warranty_until, sla_snapshot, first_response_due, "
        "resolution_due, reopen_count, idempotency_key, last_customer_message_at, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'normal', 'new', $9, $10, $11, $12,"
        " $13, $14, $15, $16, $17, $18, 0, $19, $20, $20, $20)",
        ticket_id, number, actor.id, project["id"] if project else None, milestone_id,
        product_line_id, channel, category, subject, description, json.dumps(windows),
        project["team_id"] if project else None, project["region_id"] if project else None,
        cover.status, cover.until, sla["sla_snapshot"], sla["first_response_due"],
        sla["resolution_due"], idempotency_key, now)
    await desk_tickets.record_status_change(db, ticket_id=ticket_id, from_status=None,
                                            to_status="new", at=now)
    await facts.ticket_created(db, ticket_id=ticket_id, customer_id=actor.id,
                               project_id=project["id"] if project else None, at=now)
    after = {"number": number, "project_id": project["id"] if project else None,
             "category": category, "channel": channel, "warranty_status": cover.status}
    await audit.record(db, actor=actor, action="ticket.created", object_type="ticket",
                       object_id=ticket_id, after=after)
    await outbox.emit(db, kind="ticket.created", aggregate_type="ticket",
                      aggregate_id=ticket_id, payload={**after, "ticket_id": ticket_id,
                                                       "customer_id": actor.id})
    return {"id": ticket_id, "number": number, "status": "new", "warranty_status": cover.status,
            "warranty_until": cover.until}


async def prepare_photos(db: Database, photos: Sequence[bytes]) -> list[PreparedPhoto]:
    """Process every photo and write its files BEFORE any transaction opens (Pillow must
    never hold a transaction, or on SQLite the one writer). All or nothing: if one photo is
    refused, the files of the others are removed again."""
    prepared: list[PreparedPhoto] = []
    try:
        for data in photos:
            prepared.append(await prepare_photo(data))
    except BaseException:
        await discard_prepared(db, prepared)
        raise
    return prepared


async def _store_photos(db: Database, *, actor: Actor, photos: Sequence[PreparedPhoto],
                        ticket_id: uuid.UUID, message_id: uuid.UUID | None,
                        key: str | None) -> None:
    for index, prepared in enumerate(photos):
        await record_photo(db, actor=actor, prepared=prepared, ticket_id=ticket_id,
                           message_id=message_id, customer_visible=True,
                           idempotency_key=f"{key}:{index}" if key else None)


async def forget_files(db: Database, prepared: list[PreparedPhoto]) -> None:
    """After a rollback, remove the files of photos whose rows were rolled back."""
    await discard_prepared(db, prepared)


async def create_repair_request(
    db: Database,
    *,
    actor: Actor,
    project_id: uuid.UUID | None,
    product_line_id: uuid.UUID | None,
    category: str,
    description: str,
    windows: Sequence[str] = (),
    photos: Sequence[bytes] = (),
    idempotency_key: str | None = None,
) -> Row:
    """A homeowner files a repair request (up to 10 photos) for one of their projects.

    Warranty coverage is computed from the project's acceptance date and the chosen product
    line. The same idempotency key returns the first ticket (double taps, retries). A
    rejected photo raises ``PhotoRejected`` and nothing is kept, neither rows nor files.
    """
    require_customer(actor)
    clean = _clean_request(category, description, windows, photos)
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        existing = await _by_key(db, actor, key)
        if existing is not None:
            return existing
    project = await _project_for(db, actor, project_id) if project_id else None
    cover = warranty.Coverage(warranty.NOT_COVERED)
    if project is not None:
        cover = await coverage_for(db, actor, project["id"], product_line_id,
                                   clock.now().date())
    elif product_line_id is not None:
        raise ValidationFailed({"item": N_("Choose one of the items listed.")})
    prepared = await prepare_photos(db, photos)
    try:
        async with db.transaction():
            ticket = await _insert_ticket(
                db, actor=actor, project=project, category=clean["category"],
                channel="portal", description=clean["description"], windows=clean["windows"],
                product_line_id=product_line_id, cover=cover, milestone_id=None,
                idempotency_key=key)
            await _store_photos(db, actor=actor, photos=prepared, ticket_id=ticket["id"],
                                message_id=None, key=key)
    except Exception as exc:
        await forget_files(db, prepared)
        if key and _is_unique_violation(exc):
            existing = await _by_key(db, actor, key)
            if existing is not None:
                return existing
        raise
    return ticket


async def _by_key(db: Database, actor: Actor, key: str) -> Row | None:
    return await db.fetchrow(
        "SELECT id, number, status, warranty_status, warranty_until FROM ticket "
        "WHERE idempotency_key = $1 AND customer_id = $2", key, actor.id)


async def create_defect_ticket(
    db: Database,
    *,
    actor: Actor,
    project: Row,
    milestone_id: uuid.UUID | None,
    description: str,
    photos: Sequence[PreparedPhoto],
    idempotency_key: str | None = None,
) -> Row:
    """One acceptance defect as a ticket linked to the project; runs inside the caller's
    sign-off transaction with photos prepared before it (see :func:`prepare_photos`)."""
    if not db.in_transaction():
        raise RuntimeError("defects are filed inside the sign-off transaction")
    ticket = await _insert_ticket(
        db, actor=actor, project=project, category="defect", channel="acceptance",
        description=description, windows=[], product_line_id=None,
        cover=warranty.Coverage(warranty.NOT_COVERED), milestone_id=milestone_id,
        idempotency_key=idempotency_key)
    await _store_photos(db, actor=actor, photos=photos, ticket_id=ticket["id"],
                        message_id=None, key=idempotency_key)
    return ticket


async def _ticket_for(db: Database, actor: Actor, ticket_id: uuid.UUID) -> Row:
    cond, args = scope_tickets(actor, "t", start=2)
    row = await db.fetchrow(
        "SELECT t.id, t.number, t.status, t.resolved_at, t.closed_at, t.reopen_count, "
        f"t.customer_id, t.project_id FROM ticket t WHERE t.id = $1 AND {cond}",
        ticket_id, *args)
    if row is None:
        raise NotFound()
    return row


async def add_customer_reply(
    db: Database,
    *,
    actor: Actor,
    ticket_id: uuid.UUID,
    body: str,
    photos: Sequence[bytes] = (),
    idempotency_key: str | None = None,
) -> Row:
    """A homeowner adds a public message (and photos) to a ticket they may see. A ticket
    waiting on the customer goes back to the team ("open")."""
    require_customer(actor)
    text = (body or "").strip()
    errors: dict[str, str] = {}
    if not text and not photos:
        errors["body"] = N_("Write a message or add a photo.")
    elif len(text) > 5000:
        errors["body"] = N_("Please keep the message under 5,000 characters.")
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = N_("You can add up to 10 photos.")
    if errors:
        raise ValidationFailed(errors)
    ticket = await _ticket_for(db, actor, ticket_id)
    key = (idempotency_key or "").strip()[:64] or None
    now = clock.now()
    # The same key gives the same message id: a double tap adds the message once.
    message_id = uuid.uuid5(ticket_id, f"{actor.id}:{key}") if key else uuid.uuid4()
    prepared = await prepare_photos(db, photos)
    try:
        async with db.transaction():
            if key and await db.fetchval(
                    "SELECT 1 AS ok FROM ticket_message WHERE id = $1", message_id):
                await forget_files(db, prepared)
                return {"id": message_id, "ticket_id": ticket_id}
            await db.execute(
                "INSERT INTO ticket_message (id, ticket_id, author_customer_id, body, internal, "
                "created_at) VALUES ($1, $2, $3, $4, FALSE, $5)",
                message_id, ticket_id, actor.id, text, now)
            status = ticket["status"]
            await db.execute(
                "UPDATE ticket SET status = $2, last_customer_message_at = $3, updated_at = $3 "
                "WHERE id = $1", ticket_id, "open" if status == "waiting" else status, now)
            if status == "waiting":  # the customer answered: the clock runs again
                await desk_tickets.record_status_change(db, ticket_id=ticket_id,
                                                        from_status="waiting",
                                                        to_status="open", at=now)
                await desk_tickets.refresh_sla(db, ticket_id)
                status = "open"
            await _store_photos(db, actor=actor, photos=prepared, ticket_id=ticket_id,
                                message_id=message_id, key=key)
            after = {"message_id": message_id, "photos": len(photos), "status": status}
            await audit.record(db, actor=actor, action="ticket.customer_replied",
                               object_type="ticket", object_id=ticket_id, after=after)
            await outbox.emit(db, kind="ticket.customer_replied", aggregate_type="ticket",
                              aggregate_id=ticket_id,
                              payload={**after, "ticket_id": ticket_id,
                                       "customer_id": actor.id})
    except Exception:
        await forget_files(db, prepared)
        raise
    return {"id": message_id, "ticket_id": ticket_id}


async def reopen_ticket(db: Database, *, actor: Actor, ticket_id: uuid.UUID,
                        reason: str = "") -> None:
    """Reopen a resolved or closed ticket within 14 days of its resolution; later, the
    homeowner files a new request instead."""
    require_customer(actor)
    ticket = await _ticket_for(db, actor, ticket_id)
    now = clock.now()
    if not can_reopen(ticket, now):
        raise InvalidTransition(N_("This request can no longer be reopened. Please send a new "
                                   "repair request."))
    text = (reason or "").strip()[:5000]
    async with db.transaction():
        updated = await db.fetchval(
            "UPDATE ticket SET status = 'open', reopen_count = reopen_count + 1, "
            "resolved_at = NULL, closed_at = NULL, updated_at = $2, "
            "last_customer_message_at = $2 WHERE id = $1 AND status IN ('resolved', 'closed') "
            "RETURNING reopen_count", ticket_id, now)
        if updated is None:
            raise InvalidTransition()
        await desk_tickets.record_status_change(db, ticket_id=ticket_id,
                                                from_status=ticket["status"], to_status="open",
                                                at=now)
        await desk_tickets.refresh_sla(db, ticket_id)
        if text:
            await db.execute(
                "INSERT INTO ticket_message (id, ticket_id, author_customer_id, body, internal, "
                "created_at) VALUES ($1, $2, $3, $4, FALSE, $5)",
                uuid.uuid4(), ticket_id, actor.id, text, now)
        after = {"status": "open", "reopen_count": updated}
        await audit.record(db, actor=actor, action="ticket.reopened", object_type="ticket",
                           object_id=ticket_id, before={"status": ticket["status"]},
                           after=after)
        await outbox.emit(db, kind="ticket.reopened", aggregate_type="ticket",
                          aggregate_id=ticket_id,
                          payload={**after, "ticket_id": ticket_id, "customer_id": actor.id})
