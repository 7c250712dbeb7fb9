"""Setup helpers for the portal tests (rows a portal flow needs beyond tests.factories)."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from typing import Any

from PIL import Image

from backend import clock
from backend.access import Actor
from backend.db import Database


def actor_for(person: dict[str, Any]) -> Actor:
    return Actor(kind="customer", id=person["id"], name=person.get("name") or "", locale="en")


def jpeg(color: tuple[int, int, int] = (200, 120, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


async def add_product_line(db: Database, project: dict[str, Any], *, months: int = 24,
                           accepted_on: date | None = None) -> uuid.UUID:
    line_id = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO product_line (id, code, name_zh, name_en, warranty_months, terms_zh, "
            "terms_en) VALUES ($1, $2, '橱柜', 'Cabinets', $3, '', '')",
            line_id, f"pl{line_id.hex[:10]}", months)
        await db.execute("INSERT INTO project_product (id, project_id, product_line_id, "
                         "description) VALUES ($1, $2, $3, '')", uuid.uuid4(), project["id"],
                         line_id)
        if accepted_on is not None:
            await db.execute("UPDATE project SET accepted_on = $2 WHERE id = $1",
                             project["id"], accepted_on)
    return line_id


async def open_acceptance(db: Database, project: dict[str, Any]) -> uuid.UUID:
    """Make the project's 7th milestone the acceptance stage, in progress."""
    milestone_id = project["milestones"][6]
    async with db.transaction():
        await db.execute("UPDATE milestone SET status = 'done' WHERE project_id = $1 "
                         "AND position < 6", project["id"])
        await db.execute("UPDATE milestone SET code = 'acceptance', status = 'in_progress', "
                         "requires_signoff = TRUE WHERE id = $1", milestone_id)
        await db.execute("UPDATE milestone SET code = 'warranty', status = 'pending' "
                         "WHERE id = $1", project["milestones"][7])
        await db.execute("UPDATE project SET current_stage = 'acceptance' WHERE id = $1",
                         project["id"])
    return milestone_id


async def add_change_request(db: Database, project: dict[str, Any], *, days: int = 3,
                             position: int = 4) -> uuid.UUID:
    change_id = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO change_request (id, project_id, milestone_id, title, description, "
            "cost_delta_fen, schedule_delta_days, status, deadline, created_at, decision_note)"
            " VALUES ($1, $2, $3, 'Taller wall cabinets', 'To the ceiling.', 380000, $4, "
            "'pending', $5, $6, '')",
            change_id, project["id"], project["milestones"][position], days,
            clock.now() + timedelta(days=3), clock.now())
    return change_id


async def resolve(db: Database, ticket_id: uuid.UUID, *, days_ago: int = 1) -> None:
    async with db.transaction():
        await db.execute("UPDATE ticket SET status = 'resolved', resolved_at = $2 WHERE id = $1",
                         ticket_id, clock.now() - timedelta(days=days_ago))
