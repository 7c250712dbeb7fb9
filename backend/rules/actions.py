"""What a rule does when it fires: notify people, create a task, escalate, tag, survey.

Every action runs inside the transaction that marks the event handled by the rule, so a
crash either leaves no trace (and the event is handled again) or leaves all of it.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from backend import clock
from backend.access import SYSTEM, TECHNICIAN
from backend.audit import services as audit
from backend.db import Database
from backend.events import outbox
from backend.notifications.services import notify
from backend.numbers import next_number
from backend.reports import facts
from backend.rules.context import Context
from backend.rules.surveys import issue_survey_link, survey_blocked

Recipient = tuple[str, uuid.UUID]


def _id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def recipients(db: Database, target: str, ctx: Context) -> list[Recipient]:
    """Who ``target`` means for this event (empty when the event has no such person)."""
    project, ticket = ctx.get("project") or {}, ctx.get("ticket") or {}
    work_order = ctx.get("work_order") or {}
    if target == "homeowner":
        cid = _id((ctx.get("customer") or {}).get("id"))
        return [("customer", cid)] if cid else []
    if target.startswith("person:"):
        pid = _id(target[7:])
        return [("staff", pid)] if pid else []
    if target == "assignee":
        task = ctx.get("task") or {}
        sid = _id(task.get("assignee_id") or ticket.get("assignee_id")
                  or work_order.get("technician_id"))
        return [("staff", sid)] if sid else []
    if target == "technician":
        sid = _id(work_order.get("technician_id"))
        return [("staff", sid)] if sid else []
    if target == "project_manager":
        sid = _id(project.get("project_manager_id"))
        return [("staff", sid)] if sid else []
    team = _id(ticket.get("team_id") or project.get("team_id"))
    region = _id(ticket.get("region_id") or project.get("region_id"))
    if target == "team_lead":
        rows = await db.fetch(
            "SELECT id FROM staff_user WHERE active = TRUE AND is_team_lead = TRUE AND "
            "((team_id IS NOT NULL AND team_id = $1) OR (region_id IS NOT NULL AND "
            "region_id = $2)) ORDER BY (team_id = $1) DESC, created_at LIMIT 1", team, region)
        if not rows:  # no lead on file: a manager stands in, so an alert is never lost
            rows = await db.fetch("SELECT id FROM staff_user WHERE active = TRUE AND role IN "
                                  "('manager', 'admin') ORDER BY role DESC, created_at LIMIT 1")
        return [("staff", r["id"]) for r in rows]
    if target.startswith("role:"):
        rows = await db.fetch(
            "SELECT id FROM staff_user WHERE active = TRUE AND role = $1 AND "
            "(CAST($2 AS TEXT) IS NULL OR region_id IS NULL OR CAST(region_id AS TEXT) = $2)",
            target[5:], str(region) if region else None)
        return [("staff", r["id"]) for r in rows]
    return []


def params_for(ctx: Context, locale: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    zh = locale.startswith("zh")
    ev, ms = ctx.get("event") or {}, ctx.get("milestone") or {}
    project, ticket = ctx.get("project") or {}, ctx.get("ticket") or {}
    wo = ctx.get("work_order") or {}
    return {
        "milestone": ms.get("name_zh" if zh else "name_en") or ms.get("code", ""),
        "project": project.get("title") or project.get("number", ""),
        "technician": wo.get("technician", ""),
        "work_order": wo.get("number", ""),
        "ticket": " ".join(x for x in (ticket.get("number"), ticket.get("subject")) if x),
        "customer": (ctx.get("customer") or {}).get("name", ""),
        "hours": ev.get("hours") or ev.get("overdue_hours") or "",
        "product": ev.get("product_zh" if zh else "product_en") or ev.get("product", ""),
        "until": ev.get("until", ""),
        "title": (ctx.get("task") or {}).get("title", ""),
        **(extra or {}),
    }


def link_for(kind: str, ctx: Context, *, role: str | None = None,
             desk: str | None = None) -> str:
    """The deep link for one recipient: a portal page for homeowners, the work order in the
    field app for technicians, ``desk`` (when given) or the record in the desk for staff."""
    project, ticket = ctx.get("project") or {}, ctx.get("ticket") or {}
    if kind == "customer":
        if ctx["event"]["kind"].startswith("warranty."):
            return "/portal/tickets"
        if ticket.get("id"):
            return f"/portal/tickets/{ticket['id']}"
        return f"/portal/projects/{project['id']}" if project.get("id") else "/portal/"
    if role == TECHNICIAN:
        work_order = ctx.get("work_order") or {}
        return f"/field/work-orders/{work_order['id']}" if work_order.get("id") else "/field/"
    if desk:
        return desk
    if ctx.get("task"):
        return "/desk/tasks"
    if ticket.get("id"):
        return f"/desk/tickets/{ticket['id']}"
    if project.get("id"):
        return f"/desk/customers/{project['customer_id']}"
    return "/desk/"


async def _notify_all(db: Database, people: list[Recipient], *, message: str, ctx: Context,
                      rule: dict[str, Any], urgent: bool = False, link: str | None = None,
                      desk_link: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[uuid.UUID]:
    from backend.notifications.people import load_person

    event = ctx["event"]
    about = (ctx.get("ticket") or ctx.get("work_order") or ctx.get("milestone") or {}).get("id")
    made = []
    for kind, pid in people:
        person = await load_person(db, kind, pid)
        locale = person.language if person else "zh_CN"
        role = person.role if person else None
        nid = await notify(
            db, person_kind=kind, person_id=pid, message=message,
            params=params_for(ctx, locale, extra),
            link=link or link_for(kind, ctx, role=role, desk=desk_link),
            dedup_key=f"{event['id']}:{message}", reason=rule["name"], event_id=event["id"],
            rule_id=rule["id"], urgent=urgent, topic=f"{message}:{about or event['id']}")
        if nid:
            made.append(nid)
    return made


async def run_action(db: Database, action: dict[str, Any], ctx: Context,
                     rule: dict[str, Any]) -> str:
    """Carry out one action; returns a short note for the rule run log."""
    verb = action["do"]
    now = clock.now()
    if verb == "notify":
        people = await recipients(db, action["to"], ctx)
        made = await _notify_all(db, people, message=action["message"], ctx=ctx, rule=rule,
                                 urgent=bool(action.get("urgent")))
        return f"notified {len(made)}"
    ticket, customer = ctx.get("ticket") or {}, ctx.get("customer") or {}
    if verb == "escalate":
        if not ticket.get("id"):
            return "no ticket"
        await db.execute("UPDATE ticket SET priority = 'urgent', updated_at = $2 WHERE id = $1",
                         _id(ticket["id"]), now)
        await audit.record(db, actor=SYSTEM, action="ticket.escalated", object_type="ticket",
                           object_id=ticket["id"], after={"rule": rule["name"]})
        people = await recipients(db, "team_lead", ctx) + await recipients(db, "assignee", ctx)
        await _notify_all(db, people, message="ticket_escalated", ctx=ctx, rule=rule,
                          urgent=True)
        return "escalated"
    if verb == "add_tag":
        if not customer.get("id"):
            return "no customer"
        tags = list(customer.get("tags") or [])
        if action["tag"] not in tags:
            tags.append(action["tag"])
            await db.execute("UPDATE customer SET tags = $2 WHERE id = $1",
                             _id(customer["id"]), json.dumps(tags, ensure_ascii=False))
            customer["tags"] = tags
        return "tagged"
    if verb == "create_task":
        people = await recipients(db, action["to"], ctx)
        for _kind, sid in people:
            await db.execute(
                "INSERT INTO staff_task (id, title, assignee_id, ticket_id, project_id, rule_id, "
                "due_at, created_at, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                "'open', $8)",
                uuid.uuid4(), action["title"], sid, _id(ticket.get("id")),
                _id((ctx.get("project") or {}).get("id")), rule["id"],
                now + timedelta(days=1), now)
        await _notify_all(db, people, message="task_created", ctx=ctx, rule=rule,
                          desk_link="/desk/tasks", extra={"title": action["title"]})
        return f"tasks {len(people)}"
    if verb == "send_survey":
        return await _send_survey(db, action, ctx, rule)
    if verb == "recovery_ticket":
        return await _recovery_ticket(db, action, ctx, rule)
    return "unknown action"


def _survey_trigger(ctx: Context) -> str:
    kind = ctx["event"]["kind"]
    if kind == "acceptance.signed":
        return "acceptance_signed"
    if kind == "work_order.completed":
        return "install_completed" if (ctx.get("work_order") or {}).get("kind") == "install" \
            else "visit_completed"
    if kind == "ticket.resolved":
        return "recovery_resolved" if (ctx.get("ticket") or {}).get("category") == "recovery" \
            else "repair_resolved"
    return kind


async def _send_survey(db: Database, action: dict[str, Any], ctx: Context,
                       rule: dict[str, Any]) -> str:
    cid = _id((ctx.get("customer") or {}).get("id"))
    if cid is None:
        return "no customer"
    trigger = _survey_trigger(ctx)
    blocked = await survey_blocked(db, customer_id=cid, trigger=trigger)
    if blocked:
        return f"survey not sent: {blocked}"
    token = await issue_survey_link(
        db, customer_id=cid, kind=action["survey"], trigger=trigger,
        project_id=_id((ctx.get("project") or {}).get("id")),
        ticket_id=_id((ctx.get("ticket") or {}).get("id")))
    await _notify_all(db, [("customer", cid)], message="survey_invite", ctx=ctx, rule=rule,
                      link=f"/s/{token}")
    return "survey sent"


async def _recovery_ticket(db: Database, action: dict[str, Any], ctx: Context,
                           rule: dict[str, Any]) -> str:
    """A detractor's answer opens a recovery ticket with its own short SLA."""
    customer, project = ctx.get("customer") or {}, ctx.get("project") or {}
    survey = ctx.get("survey") or {}
    if not customer.get("id"):
        return "no customer"
    people = await recipients(db, action["to"], ctx)
    assignee = people[0][1] if people else None
    now = clock.now()
    due = now + timedelta(hours=int(action["sla_hours"]))
    tid = uuid.uuid4()
    number = await next_number(db, "ticket")
    snapshot = {"target_minutes": int(action["sla_hours"]) * 60, "source": "recovery rule"}
    await db.execute(
        "INSERT INTO ticket (id, number, customer_id, project_id, channel, category, priority, "
        "status, subject, description, preferred_windows, assignee_id, region_id, "
        "warranty_status, sla_snapshot, first_response_due, resolution_due, reopen_count, "
        "idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, 'system', "
        "'recovery', 'high', 'new', $5, $6, '[]', $7, $8, 'unknown', $9, $10, $10, 0, $11, "
        "$12, $12)",
        tid, number, _id(customer["id"]), _id(project.get("id")),
        f"Recovery: score {survey.get('score')} ({survey.get('kind', '')})"[:200],
        f"Opened by the rule “{rule['name']}”.", assignee, _id(project.get("region_id")),
        json.dumps(snapshot), due, f"recovery:{survey.get('id') or ctx['event']['id']}", now)
    await facts.ticket_created(db, ticket_id=tid, customer_id=_id(customer["id"]),
                               project_id=_id(project.get("id")), at=now)
    await audit.record(db, actor=SYSTEM, action="ticket.created", object_type="ticket",
                       object_id=tid, after={"category": "recovery", "rule": rule["name"]})
    await outbox.emit(db, kind="ticket.created", aggregate_type="ticket", aggregate_id=tid,
                      payload={"ticket_id": str(tid), "category": "recovery"})
    ctx["ticket"] = {"id": str(tid), "number": number, "subject": "", "category": "recovery"}
    await _notify_all(db, people, message="recovery_ticket", ctx=ctx, rule=rule, urgent=True)
    return f"recovery ticket {number}"
