"""What a rule can look at: the event and the records it is about, as plain dictionaries.

Ids come from the event's aggregate and payload (``project_id``, ``ticket_id`` ...); each kind
of record is read at most once, so building a context costs a handful of primary-key reads
whatever the rule asks.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from backend.db import Database

Context = dict[str, dict[str, Any]]

# The fields a condition may name, for the desk's editor and validation.
FIELDS: tuple[str, ...] = (
    "customer.tier", "customer.tags", "customer.source", "customer.region",
    "project.region", "project.type", "project.status",
    "ticket.category", "ticket.priority", "ticket.status", "ticket.region",
    "work_order.kind", "work_order.status",
    "milestone.code", "milestone.delay_hours",
    "survey.kind", "survey.score", "survey.detractor", "survey.trigger",
    "event.hours", "event.overdue_hours", "event.days_left",
)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def load_context(db: Database, event: dict[str, Any]) -> Context:
    """The event plus its task, milestone, work order, survey, ticket, project and customer."""
    payload = event["payload"]
    if isinstance(payload, str):
        payload = json.loads(payload or "{}")
    ids: dict[str, uuid.UUID | None] = {}
    for key, value in payload.items():
        if key.endswith("_id"):
            ids[key[:-3]] = _uuid(value)
    ids.setdefault(event["aggregate_type"], _uuid(event["aggregate_id"]))
    ctx: Context = {"event": {**{k: _plain(v) for k, v in payload.items()},
                              "kind": event["kind"], "id": event["id"],
                              "at": _plain(event["at"])}}

    if ids.get("task") or ids.get("staff_task"):
        row = await db.fetchrow("SELECT id, title, assignee_id, ticket_id, project_id, status, "
                                "due_at FROM staff_task WHERE id = $1",
                                ids.get("task") or ids.get("staff_task"))
        if row:
            ctx["task"] = {k: _plain(v) for k, v in row.items()}
            for name in ("project", "ticket"):
                ids.setdefault(name, row[f"{name}_id"])
    if ids.get("milestone"):
        row = await db.fetchrow("SELECT id, project_id, code, name_zh, name_en, status, "
                                "planned_end FROM milestone WHERE id = $1", ids["milestone"])
        if row:
            ctx["milestone"] = {k: _plain(v) for k, v in row.items()}
            ctx["milestone"]["delay_hours"] = payload.get("overdue_hours", 0)
            ids.setdefault("project", row["project_id"])
    if ids.get("work_order"):
        row = await db.fetchrow("SELECT id, number, kind, status, project_id, customer_id, "
                                "technician_id, ticket_id FROM work_order WHERE id = $1",
                                ids["work_order"])
        if row:
            ctx["work_order"] = {k: _plain(v) for k, v in row.items()}
            for name in ("project", "customer", "ticket"):
                ids.setdefault(name, row[f"{name}_id"])
            if row["technician_id"]:
                tech = await db.fetchrow("SELECT name FROM staff_user WHERE id = $1",
                                         row["technician_id"])
                ctx["work_order"]["technician"] = tech["name"] if tech else ""
    if ids.get("survey"):
        row = await db.fetchrow(
            "SELECT s.id, s.kind, s.customer_id, s.project_id, s.ticket_id, s.trigger, "
            "r.score FROM survey s LEFT JOIN survey_response r ON r.survey_id = s.id "
            "WHERE s.id = $1", ids["survey"])
        if row:
            score = payload.get("score", row["score"])
            kind = row["kind"]
            ctx["survey"] = {k: _plain(v) for k, v in row.items()}
            ctx["survey"]["score"] = score
            ctx["survey"]["detractor"] = score is not None and (
                (kind == "nps" and int(score) <= 6) or (kind == "csat" and int(score) <= 2))
            for name in ("project", "customer", "ticket"):
                ids.setdefault(name, row[f"{name}_id"])
    if ids.get("ticket"):
        row = await db.fetchrow(
            "SELECT t.id, t.number, t.subject, t.category, t.priority, t.status, "
            "t.customer_id, t.project_id, t.assignee_id, t.team_id, t.region_id, "
            "r.code AS region FROM ticket t LEFT JOIN region r ON r.id = t.region_id "
            "WHERE t.id = $1", ids["ticket"])
        if row:
            ctx["ticket"] = {k: _plain(v) for k, v in row.items()}
            ids.setdefault("customer", row["customer_id"])
            ids.setdefault("project", row["project_id"])
    if ids.get("project"):
        row = await db.fetchrow(
            "SELECT p.id, p.number, p.title, p.project_type AS type, p.status, p.customer_id, "
            "p.team_id, p.region_id, p.project_manager_id, r.code AS region FROM project p "
            "LEFT JOIN region r ON r.id = p.region_id WHERE p.id = $1", ids["project"])
        if row:
            ctx["project"] = {k: _plain(v) for k, v in row.items()}
            ids.setdefault("customer", row["customer_id"])
    if ids.get("customer"):
        row = await db.fetchrow("SELECT id, name, value_tier AS tier, tags, source "
                                "FROM customer WHERE id = $1", ids["customer"])
        if row:
            ctx["customer"] = {k: _plain(v) for k, v in row.items()}
            ctx["customer"]["tags"] = json.loads(row["tags"] or "[]")
            ctx["customer"]["region"] = (ctx.get("project") or ctx.get("ticket") or {}).get(
                "region")
    return ctx


def lookup(ctx: Context, field: str) -> Any:
    """``"ticket.category"`` → the value, or None when the record or field is absent."""
    head, _, tail = field.partition(".")
    return (ctx.get(head) or {}).get(tail)
