"""Reads for surveys: the survey behind a link, and a homeowner's own surveys."""

from __future__ import annotations

import uuid

from backend import clock
from backend.access import Actor
from backend.db import Database, Row
from backend.errors import NotFound
from backend.surveys.services import signature_ok, token_hash

_COLUMNS = ("s.id, s.kind, s.customer_id, s.project_id, s.ticket_id, s.expires_at, "
            "s.used_at, r.score, r.comment, r.created_at AS answered_at FROM survey s "
            "LEFT JOIN survey_response r ON r.survey_id = s.id")


async def find_by_token(db: Database, token: str) -> Row | None:
    """The survey a link points to, or None for a forged or unknown token."""
    if not signature_ok(token):
        return None
    return await db.fetchrow(
        f"SELECT {_COLUMNS} WHERE s.token_hash = $1",
        token_hash(token))


async def survey_for_customer(db: Database, actor: Actor, survey_id: uuid.UUID) -> Row:
    """A survey inside the portal: only its own homeowner's."""
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} WHERE s.id = $1 AND s.customer_id = $2", survey_id, actor.id)
    if row is None or not actor.is_customer:
        raise NotFound()
    return row


async def open_surveys(db: Database, actor: Actor) -> list[Row]:
    """Unanswered, unexpired surveys of the signed-in homeowner, newest first."""
    return await db.fetch(
        "SELECT s.id, s.kind, s.sent_at, s.expires_at, p.title AS project_title FROM survey s "
        "LEFT JOIN project p ON p.id = s.project_id WHERE s.customer_id = $1 "
        "AND s.used_at IS NULL AND s.expires_at > $2 ORDER BY s.sent_at DESC LIMIT 20",
        actor.id, clock.now())
