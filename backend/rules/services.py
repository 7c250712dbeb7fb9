"""Changing rules from the desk: create, edit, switch on/off. Admins and managers only."""

from __future__ import annotations

import json
import uuid
from typing import Any

from backend import clock
from backend.access import Actor, require
from backend.audit import services as audit
from backend.db import Database
from backend.errors import NotFound, ValidationFailed
from backend.events.outbox import EVENT_KINDS
from backend.i18n import N_
from backend.rules.language import RuleSyntaxError, parse_actions, parse_conditions

RULES_PERMISSION = "config.edit"


def can_edit_rules(actor: Actor) -> bool:
    return actor.can(RULES_PERMISSION) or actor.role == "manager"


def parse_rule_form(form: dict[str, str]) -> dict[str, Any]:
    """Validate the desk's rule form into a rule; raises ValidationFailed with every error."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name or len(name) > 200:
        errors["name"] = N_("Give the rule a name (at most 200 characters).")
    kind = form.get("event_kind", "")
    if kind not in EVENT_KINDS:
        errors["event_kind"] = N_("Choose an event.")
    conditions: list[dict[str, str]] = []
    actions: list[dict[str, Any]] = []
    try:
        conditions = parse_conditions(form.get("conditions", ""))
    except RuleSyntaxError:
        errors["conditions"] = N_("A condition is not understood: write one per line, like "
                                  "customer.tier = vip.")
    try:
        actions = parse_actions(form.get("actions", ""))
    except RuleSyntaxError:
        errors["actions"] = N_("An action is not understood: write one per line, like "
                               "notify homeowner milestone_completed.")
    if not actions and "actions" not in errors:
        errors["actions"] = N_("A rule needs at least one action.")
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "event_kind": kind, "conditions": conditions, "actions": actions,
            "enabled": form.get("enabled") == "on"}


async def save_rule(db: Database, *, actor: Actor, rule_id: uuid.UUID | None,
                    form: dict[str, str]) -> uuid.UUID:
    """Create or update a rule from the desk form; audited with before and after."""
    if not can_edit_rules(actor):
        require(actor, RULES_PERMISSION)
    rule = parse_rule_form(form)
    now = clock.now()
    async with db.transaction():
        before = None
        if rule_id is not None:
            before = await db.fetchrow("SELECT name, event_kind, conditions, actions, enabled "
                                       "FROM rule WHERE id = $1", rule_id)
            if before is None:
                raise NotFound("rule")
            await db.execute(
                "UPDATE rule SET name = $2, event_kind = $3, conditions = $4, actions = $5, "
                "enabled = $6, updated_at = $7 WHERE id = $1", rule_id, rule["name"],
                rule["event_kind"], json.dumps(rule["conditions"]),
                json.dumps(rule["actions"]), rule["enabled"], now)
        else:
            rule_id = uuid.uuid4()
            await db.execute(
                "INSERT INTO rule (id, name, event_kind, conditions, actions, enabled, "
                "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                rule_id, rule["name"], rule["event_kind"], json.dumps(rule["conditions"]),
                json.dumps(rule["actions"]), rule["enabled"], now)
        await audit.record(db, actor=actor, action="rule.saved", object_type="rule",
                           object_id=rule_id, before=before, after=rule)
    return rule_id


async def set_enabled(db: Database, *, actor: Actor, rule_id: uuid.UUID,
                      enabled: bool) -> None:
    """Switch a rule on or off without touching its definition."""
    if not can_edit_rules(actor):
        require(actor, RULES_PERMISSION)
    async with db.transaction():
        found = await db.fetchval("UPDATE rule SET enabled = $2, updated_at = $3 WHERE id = $1 "
                                  "RETURNING id", rule_id, enabled, clock.now())
        if found is None:
            raise NotFound("rule")
        await audit.record(db, actor=actor, action="rule.enabled" if enabled
                           else "rule.disabled", object_type="rule", object_id=rule_id)
