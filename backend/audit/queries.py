"""Reading the audit log: the history of one object, for the desk's audit view."""

from __future__ import annotations

import json

from backend.access import Actor, require
from backend.db import Database, Row


async def object_history(db: Database, actor: Actor, *, object_type: str, object_id: str,
                         limit: int = 200) -> list[Row]:
    """Audit rows of one object, newest first, with the acting staff member's name."""
    require(actor, "audit.view")
    rows = await db.fetch(
        "SELECT a.id, a.at, a.actor_kind, a.actor_id, a.action, a.before, a.after, "
        "s.name AS actor_name FROM audit_entry a LEFT JOIN staff_user s ON "
        "CAST(s.id AS TEXT) = a.actor_id WHERE a.object_type = $1 AND a.object_id = $2 "
        f"ORDER BY a.at DESC, a.id DESC LIMIT {int(limit)}", object_type[:32], object_id[:36])
    for row in rows:
        row["before"] = json.loads(row["before"] or "{}")
        row["after"] = json.loads(row["after"] or "{}")
    return rows
