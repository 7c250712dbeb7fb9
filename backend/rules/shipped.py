"""The rules HomeLoop ships with: enabled, and editable in the desk like any other rule.

Seeded once per installation (by code, so an admin's edits are never overwritten). The survey
rules close the loop: a detractor opens a recovery ticket; when that ticket is resolved the
customer is surveyed again (the governor lets this follow-up through its 30-day limit).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from backend import clock
from backend.db import Database
from backend.i18n import N_

SHIPPED: list[dict[str, Any]] = [
    {"code": "milestone_completed", "name": N_("Milestone completed → homeowner"),
     "event_kind": "milestone.completed", "conditions": [],
     "actions": [{"do": "notify", "to": "homeowner", "message": "milestone_completed",
                  "urgent": False}]},
    {"code": "milestone_overdue_24h", "name": N_("Milestone overdue 24 h → PM and team lead"),
     "event_kind": "milestone.overdue",
     "conditions": [{"field": "event.overdue_hours", "op": ">=", "value": "24"}],
     "actions": [{"do": "notify", "to": "project_manager", "message": "milestone_overdue",
                  "urgent": False},
                 {"do": "notify", "to": "team_lead", "message": "milestone_overdue",
                  "urgent": False}]},
    {"code": "unanswered_48h", "name": N_("Customer message unanswered 48 h → escalate"),
     "event_kind": "ticket.unanswered",
     "conditions": [{"field": "event.hours", "op": ">=", "value": "48"}],
     "actions": [{"do": "escalate"}]},
    {"code": "ticket_replied", "name": N_("Team replied to a repair request → homeowner"),
     "event_kind": "ticket.replied", "conditions": [],
     "actions": [{"do": "notify", "to": "homeowner", "message": "ticket_update",
                  "urgent": False}]},
    {"code": "work_order_en_route", "name": N_("Technician on the way → homeowner"),
     "event_kind": "work_order.en_route", "conditions": [],
     "actions": [{"do": "notify", "to": "homeowner", "message": "work_order_en_route",
                  "urgent": False}]},
    {"code": "work_order_scheduled", "name": N_("Visit booked → technician"),
     "event_kind": "work_order.scheduled", "conditions": [],
     "actions": [{"do": "notify", "to": "technician", "message": "work_order_scheduled",
                  "urgent": False}]},
    {"code": "task_reassigned", "name": N_("Task handed over → new assignee"),
     "event_kind": "task.reassigned", "conditions": [],
     "actions": [{"do": "notify", "to": "assignee", "message": "task_assigned",
                  "urgent": False}]},
    {"code": "warranty_expiring", "name": N_("Warranty ends in 30 days → inspection offer"),
     "event_kind": "warranty.expiring",
     "conditions": [{"field": "event.days_left", "op": "<=", "value": "30"}],
     "actions": [{"do": "notify", "to": "homeowner", "message": "warranty_expiring",
                  "urgent": False}]},
    {"code": "survey_detractor", "name": N_("Survey detractor → recovery ticket (24 h)"),
     "event_kind": "survey.answered",
     "conditions": [{"field": "survey.detractor", "op": "=", "value": "true"}],
     "actions": [{"do": "recovery_ticket", "to": "team_lead", "sla_hours": 24}]},
    {"code": "survey_after_install", "name": N_("Install completed → CSAT survey"),
     "event_kind": "work_order.completed",
     "conditions": [{"field": "work_order.kind", "op": "=", "value": "install"}],
     "actions": [{"do": "send_survey", "survey": "csat"}]},
    {"code": "survey_after_acceptance", "name": N_("Acceptance signed → NPS survey"),
     "event_kind": "acceptance.signed", "conditions": [],
     "actions": [{"do": "send_survey", "survey": "nps"}]},
    {"code": "survey_after_repair", "name": N_("Repair resolved → CSAT survey"),
     "event_kind": "ticket.resolved", "conditions": [],
     "actions": [{"do": "send_survey", "survey": "csat"}]},
]


async def seed_rules(db: Database) -> int:
    """Insert the shipped rules that are not there yet (by code); returns how many."""
    now = clock.now()
    added = 0
    async with db.transaction():
        for rule in SHIPPED:
            rid = await db.fetchval(
                "INSERT INTO rule (id, code, name, event_kind, conditions, actions, enabled, "
                "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) "
                "ON CONFLICT (code) DO NOTHING RETURNING id",
                uuid.uuid4(), rule["code"], rule["name"], rule["event_kind"],
                json.dumps(rule["conditions"]), json.dumps(rule["actions"]), now)
            added += rid is not None
    return added
