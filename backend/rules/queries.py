"""Reading rules for the desk (admins and managers) and their recent activity."""

from __future__ import annotations

import json
import uuid
from typing import Any

from backend.access import Actor
from backend.db import Database
from backend.errors import NotAllowed, NotFound
from backend.rules.language import actions_text, conditions_text
from backend.rules.services import can_edit_rules


def _require(actor: Actor) -> None:
    if not can_edit_rules(actor):
        raise NotAllowed("config.edit")


async def list_rules(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Every rule with how often it fired in the last runs (one query)."""
    _require(actor)
    rows = await db.fetch(
        "SELECT r.id, r.code, r.name, r.event_kind, r.enabled, r.conditions, r.actions, "
        "r.updated_at, (SELECT count(*) FROM rule_run rr WHERE rr.rule_id = r.id AND "
        "rr.matched = TRUE) AS fired FROM rule r ORDER BY r.event_kind, r.name")
    return [{**r, "conditions_text": conditions_text(json.loads(r["conditions"])),
             "actions_text": actions_text(json.loads(r["actions"]))} for r in rows]


async def rule_form(db: Database, actor: Actor, rule_id: uuid.UUID) -> dict[str, str]:
    """A rule as the edit form shows it."""
    _require(actor)
    row = await db.fetchrow("SELECT id, name, event_kind, conditions, actions, enabled "
                            "FROM rule WHERE id = $1", rule_id)
    if row is None:
        raise NotFound("rule")
    return {"name": row["name"], "event_kind": row["event_kind"],
            "conditions": conditions_text(json.loads(row["conditions"])),
            "actions": actions_text(json.loads(row["actions"])),
            "enabled": "on" if row["enabled"] else ""}
