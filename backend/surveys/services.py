"""Surveys: issuing a signed, expiring, single-use link and recording the answer.

A link is ``/s/<token>`` where the token is a random nonce and its HMAC signature (so forged
tokens are refused without a database lookup). Only a SHA-256 hash of the token is stored:
a leaked database does not yield working links. A link works for 14 days and for one answer;
after answering, the homeowner may add a "why" to their answer for a day.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from backend import clock
from backend.access import Actor
from backend.audit import services as audit
from backend.config import get_settings
from backend.db import Database, Row
from backend.errors import InvalidTransition, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.reports import facts

LINK_TTL = timedelta(days=14)
COMMENT_WINDOW = timedelta(days=1)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def _signature(nonce: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"survey:{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def make_token(secret: str | None = None, nonce: str | None = None) -> str:
    """A new link token: ``nonce.signature``."""
    nonce = nonce or secrets.token_urlsafe(18)
    return f"{nonce}.{_signature(nonce, secret or get_settings().secret_key)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signature_ok(token: str, secret: str | None = None) -> bool:
    nonce, _, sig = (token or "").partition(".")
    if not nonce or not sig or len(token) > 100:
        return False
    return hmac.compare_digest(sig, _signature(nonce, secret or get_settings().secret_key))


async def issue_survey(
    db: Database,
    *,
    customer_id: uuid.UUID,
    kind: str,
    project_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None,
    trigger: str,
) -> str:
    """Create a survey for a homeowner and return its link token (shown once: only the
    hash is kept). The caller sends ``/s/<token>``; it expires after 14 days."""
    if kind not in SCALES:
        raise ValueError(f"unknown survey kind {kind!r}")
    token = make_token()
    survey_id = uuid.uuid4()
    now = clock.now()
    async with db.transaction():
        await db.execute(
            "INSERT INTO survey (id, kind, customer_id, project_id, ticket_id, trigger, "
            "token_hash, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            survey_id, kind, customer_id, project_id, ticket_id, trigger[:32],
            token_hash(token), now, now + LINK_TTL)
        payload = {"survey_id": survey_id, "customer_id": customer_id, "kind": kind,
                   "trigger": trigger, "project_id": project_id, "ticket_id": ticket_id}
        await audit.record(db, actor=Actor(kind="system", name="surveys"),
                           action="survey.sent", object_type="survey", object_id=survey_id,
                           after=payload)
        await outbox.emit(db, kind="survey.sent", aggregate_type="survey",
                          aggregate_id=survey_id, payload=payload)
    return token


def link_state(survey: Row | None) -> str:
    """open / answered / expired / invalid, for the page shown at a link."""
    if survey is None:
        return "invalid"
    if survey["used_at"] is not None:
        return "answered"
    if survey["expires_at"] <= clock.now():
        return "expired"
    return "open"


def _check_score(kind: str, raw: object) -> int:
    low, high = SCALES[kind]
    try:
        score = int(str(raw))
    except ValueError:
        score = -1
    if not low <= score <= high:
        raise ValidationFailed({"score": N_("Choose a score.")})
    return score


async def answer_survey(
    db: Database,
    *,
    survey: Row,
    score: object,
    comment: str = "",
    actor: Actor | None = None,
) -> Row:
    """Record the one answer of a survey (found by its link, or inside the portal by its
    owner). A used or expired survey raises :class:`InvalidTransition`."""
    score_value = _check_score(survey["kind"], score)
    text = (comment or "").strip()[:2000]
    who = actor or Actor(kind="customer", id=survey["customer_id"], name="survey link")
    now = clock.now()
    async with db.transaction():
        used = await db.fetchval(
            "UPDATE survey SET used_at = $2 WHERE id = $1 AND used_at IS NULL "
            "AND expires_at > $2 RETURNING id", survey["id"], now)
        if used is None:
            raise InvalidTransition(N_("This survey has already been answered or has "
                                       "expired."))
        response_id = uuid.uuid4()
        await db.execute(
            "INSERT INTO survey_response (id, survey_id, customer_id, kind, score, comment, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            response_id, survey["id"], survey["customer_id"], survey["kind"], score_value,
            text, now)
        await facts.refresh_customers(db, survey["customer_id"])
        payload = {"survey_id": survey["id"], "customer_id": survey["customer_id"],
                   "kind": survey["kind"], "score": score_value,
                   "project_id": survey["project_id"], "ticket_id": survey["ticket_id"],
                   "detractor": survey["kind"] == "nps" and score_value <= 6}
        await audit.record(db, actor=who, action="survey.answered", object_type="survey",
                           object_id=survey["id"], after={"score": score_value})
        await outbox.emit(db, kind="survey.answered", aggregate_type="survey",
                          aggregate_id=survey["id"], payload={**payload, "comment": text})
    return {"id": response_id, "score": score_value, "comment": text}


async def add_reason(db: Database, *, survey: Row, comment: str) -> None:
    """The optional "why" after a one-tap answer: once, within a day of answering."""
    text = (comment or "").strip()[:2000]
    if not text:
        raise ValidationFailed({"comment": N_("Write a few words, or skip this step.")})
    now = clock.now()
    async with db.transaction():
        updated = await db.fetchval(
            "UPDATE survey_response SET comment = $2 WHERE survey_id = $1 AND comment = '' "
            "AND created_at > $3 RETURNING id", survey["id"], text, now - COMMENT_WINDOW)
        if updated is None:
            raise InvalidTransition()
        await audit.record(db, actor=Actor(kind="customer", id=survey["customer_id"]),
                           action="survey.commented", object_type="survey",
                           object_id=survey["id"], after={"comment": text})
