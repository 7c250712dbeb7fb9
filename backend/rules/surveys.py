"""The survey governor: whether a homeowner may be asked now, and the link when they may.

Rules (the contact policy): a survey follows only an install completed, an acceptance signed
or a repair resolved (or the fix of a recovery ticket, which closes the loop); at most one per
household (the owner and the members they invited) in 30 days, except the recovery follow-up;
never after an opt-out; never in quiet hours — the invitation waits for them to end, which the
notification's own quiet-hours hold guarantees because surveys are never urgent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend import clock
from backend.db import Database

TRIGGERS = frozenset({"install_completed", "acceptance_signed", "repair_resolved",
                      "recovery_resolved"})
WINDOW = timedelta(days=30)


async def survey_blocked(db: Database, *, customer_id: uuid.UUID, trigger: str) -> str | None:
    """Why a survey may not be sent now (``None`` when it may)."""
    if trigger not in TRIGGERS:
        return "not a survey moment"
    row = await db.fetchrow(
        "SELECT c.consent_service, s.surveys_opt_out FROM customer c LEFT JOIN "
        "notification_setting s ON s.person_id = c.id WHERE c.id = $1", customer_id)
    if row is None:
        return "no such customer"
    if row["surveys_opt_out"] or row["consent_service"] is False:
        return "opted out"
    if trigger == "recovery_resolved":
        return None
    recent = await db.fetchval(
        "SELECT count(*) AS n FROM survey s WHERE s.sent_at > $2 AND (s.customer_id = $1 "
        "OR s.customer_id IN (SELECT h.owner_id FROM household_member h WHERE h.member_id = $1 "
        "AND h.removed_at IS NULL) OR s.customer_id IN (SELECT h2.member_id FROM "
        "household_member h2 WHERE h2.removed_at IS NULL AND (h2.owner_id = $1 OR h2.owner_id "
        "IN (SELECT h3.owner_id FROM household_member h3 WHERE h3.member_id = $1 "
        "AND h3.removed_at IS NULL))))",
        customer_id, clock.now() - WINDOW)
    if recent:
        return "surveyed in the last 30 days"
    return None


async def issue_survey_link(db: Database, *, customer_id: uuid.UUID, kind: str,
                            trigger: str, project_id: uuid.UUID | None = None,
                            ticket_id: uuid.UUID | None = None) -> str:
    """The adapter to the surveys context: a token for ``/s/<token>``."""
    from backend.surveys.services import issue_survey

    return await issue_survey(db, customer_id=customer_id, kind=kind, project_id=project_id,
                              ticket_id=ticket_id, trigger=trigger)
