"""A homeowner's own profile and household, as the portal shows them (no staff-only fields
such as tags or value tier)."""

from __future__ import annotations

from typing import Any

from backend.access import Actor
from backend.db import Database
from backend.errors import NotFound


async def profile(db: Database, actor: Actor) -> dict[str, Any]:
    row = await db.fetchrow(
        "SELECT id, name, phone, email, language, consent_service, consent_marketing, "
        "consent_updated_at FROM customer WHERE id = $1", actor.id)
    if row is None or not actor.is_customer:
        raise NotFound()
    return row


async def household(db: Database, actor: Actor) -> dict[str, Any]:
    """People I invited, and households I was invited to (active only)."""
    rows = await db.fetch(
        "SELECT h.id, h.relation, h.created_at, h.owner_id, m.name AS member_name, "
        "m.phone AS member_phone, o.name AS owner_name FROM household_member h "
        "JOIN customer m ON m.id = h.member_id JOIN customer o ON o.id = h.owner_id "
        "WHERE (h.owner_id = $1 OR h.member_id = $1) AND h.removed_at IS NULL "
        "ORDER BY h.created_at", actor.id)
    return {"members": [r for r in rows if r["owner_id"] == actor.id],
            "memberships": [r for r in rows if r["owner_id"] != actor.id]}
