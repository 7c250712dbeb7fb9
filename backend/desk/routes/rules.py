"""Rules (when / if / then) with a dry run, and the notification delivery log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.events.outbox import EVENT_KINDS
from backend.notifications import queries as nq
from backend.notifications import services as nservices
from backend.notifications.messages import message_keys
from backend.rules import queries, services
from backend.rules.context import FIELDS
from backend.rules.engine import dry_run
from backend.rules.language import ACTIONS, TARGETS
from backend.web.forms import form_data
from backend.web.pages import page, redirect, set_flash

EMPTY = {"name": "", "event_kind": "milestone.completed", "conditions": "", "actions": "",
         "enabled": "on"}


def _help() -> dict[str, Any]:
    return {"event_kinds": sorted(EVENT_KINDS), "fields": FIELDS, "actions": ACTIONS,
            "targets": TARGETS, "messages": message_keys()}


@get("/rules", name="desk.rules")
async def list_rules(request: Request[Any, Any, Any], actor: Actor) -> Response:
    rules = await queries.list_rules(get_db(), actor)
    return await page(request, "desk/rules/index.html", {"rules": rules, "nav": "rules"})


async def _form(request: Request[Any, Any, Any], rule_id: UUID | None, form: dict[str, str],
                *, errors: dict[str, str] | None = None, preview: Any = None,
                status: int = 200) -> Response:
    return await page(request, "desk/rules/form.html",
                      {"rule_id": rule_id, "form": form, "errors": errors or {},
                       "preview": preview, "nav": "rules", **_help()}, status=status,
                      block="rule_form")


@get("/rules/new", name="desk.new_rule")
async def new_rule(request: Request[Any, Any, Any], actor: Actor) -> Response:
    await queries.list_rules(get_db(), actor)  # the same permission check
    return await _form(request, None, dict(EMPTY))


@get("/rules/{rule_id:uuid}", name="desk.edit_rule")
async def edit_rule(request: Request[Any, Any, Any], actor: Actor, rule_id: UUID) -> Response:
    form = await queries.rule_form(get_db(), actor, rule_id)
    return await _form(request, rule_id, form)


async def _submit(request: Request[Any, Any, Any], actor: Actor,
                  rule_id: UUID | None) -> Response:
    form = await form_data(request)
    if form.get("do") == "dry_run":
        await queries.list_rules(get_db(), actor)
        try:
            rule = services.parse_rule_form(form)
        except ValidationFailed as exc:
            return await _form(request, rule_id, form, errors=exc.errors, status=400)
        preview = await dry_run(get_db(), event_kind=rule["event_kind"],
                                conditions=rule["conditions"], actions=rule["actions"])
        return await _form(request, rule_id, form, preview=preview)
    try:
        await services.save_rule(get_db(), actor=actor, rule_id=rule_id, form=form)
    except ValidationFailed as exc:
        return await _form(request, rule_id, form, errors=exc.errors, status=400)
    return set_flash(redirect(request, "/desk/rules"), "saved")


@post("/rules/new", name="desk.create_rule", status_code=200)
async def create_rule(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _submit(request, actor, None)


@post("/rules/{rule_id:uuid}", name="desk.update_rule", status_code=200)
async def update_rule(request: Request[Any, Any, Any], actor: Actor, rule_id: UUID) -> Response:
    return await _submit(request, actor, rule_id)


@post("/rules/{rule_id:uuid}/enabled", name="desk.toggle_rule", status_code=200)
async def toggle_rule(request: Request[Any, Any, Any], actor: Actor, rule_id: UUID) -> Response:
    form = await form_data(request)
    await services.set_enabled(get_db(), actor=actor, rule_id=rule_id,
                               enabled=form.get("enabled") == "on")
    return set_flash(redirect(request, "/desk/rules"), "saved")


@get("/notifications", name="desk.delivery_log")
async def delivery_log(request: Request[Any, Any, Any], actor: Actor) -> Response:
    status = request.query_params.get("status", "")
    items = await nq.delivery_log(get_db(), actor, status=status)
    return await page(request, "desk/rules/log.html",
                      {"items": items, "status": status, "nav": "notifications",
                       "all": nq.sees_all_deliveries(actor)})


@get("/notifications/{notification_id:uuid}", name="desk.show_notification")
async def show_notification(request: Request[Any, Any, Any], actor: Actor,
                            notification_id: UUID) -> Response:
    item = await nq.log_entry(get_db(), actor, notification_id)
    return await page(request, "desk/rules/notification.html",
                      {"n": item, "nav": "notifications", "own": item["person_id"] == actor.id})


@post("/notifications/{notification_id:uuid}/mute", name="desk.mute_notification",
      status_code=200)
async def mute(request: Request[Any, Any, Any], actor: Actor, notification_id: UUID) -> Response:
    await nservices.mute_kind(get_db(), actor=actor, notification_id=notification_id)
    return set_flash(redirect(request, f"/desk/notifications/{notification_id}"), "saved")


HANDLERS = [list_rules, new_rule, edit_rule, create_rule, update_rule, toggle_rule,
            delivery_log, show_notification, mute]
