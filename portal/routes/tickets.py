"""Repair requests as the homeowner sees them: filing one (with photos), following it,
replying in its public thread and reopening it. Internal notes never reach these pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend import clock
from backend.access import Actor
from backend.db import get_db
from backend.errors import InvalidTransition, ValidationFailed
from backend.media.pipeline import PhotoRejected
from backend.projects import portal_queries as project_queries
from backend.tickets import intake, portal_queries
from backend.web.forms import form_data, form_lists
from backend.web.pages import page, redirect, set_flash

from ._forms import UPLOAD_LIMIT, first_values, new_key, parse_item, read_photos, text_list

NEW = "portal/tickets/new.html"
SHOW = "portal/tickets/show.html"


@get("/tickets", name="portal.list_tickets")
async def list_tickets(request: Request[Any, Any, Any], actor: Actor) -> Response:
    tickets = await portal_queries.my_tickets(get_db(), actor)
    return await page(request, "portal/tickets/index.html", {"tickets": tickets,
                                                             "tab": "tickets"})


async def _repair_form(request: Request[Any, Any, Any], actor: Actor, values: dict[str, Any],
                       errors: dict[str, str] | None = None, status: int = 200) -> Response:
    options = await project_queries.repair_options(get_db(), actor, clock.now().date())
    projects = list({o["project_id"]: o["project_title"] for o in options}.items())
    context = {"options": options, "projects": projects, "values": values, "errors": errors or {},
               "categories": intake.REPAIR_CATEGORIES, "windows": intake.VISIT_WINDOWS,
               "tab": "tickets"}
    return await page(request, NEW, context, status=status, block="repair_form")


@get("/repairs/new", name="portal.new_repair")
async def new_repair(request: Request[Any, Any, Any], actor: Actor,
                     item: str | None = None) -> Response:
    values = {"key": new_key(), "item": item or "", "windows": []}
    return await _repair_form(request, actor, values)


@post("/repairs", name="portal.create_repair", status_code=200,
      request_max_body_size=UPLOAD_LIMIT)
async def create_repair(request: Request[Any, Any, Any], actor: Actor) -> Response:
    form = await form_lists(request)
    values: dict[str, Any] = {**first_values(form), "windows": text_list(form, "windows")}
    try:
        photos = await read_photos(form.get("photos", []))
        project_id, line_id = parse_item(values.get("item", ""))
        ticket = await intake.create_repair_request(
            get_db(), actor=actor, project_id=project_id, product_line_id=line_id,
            category=values.get("category", ""), description=values.get("description", ""),
            windows=values["windows"], photos=photos, idempotency_key=values.get("key"))
    except ValidationFailed as exc:
        return await _repair_form(request, actor, values, exc.errors, status=400)
    except PhotoRejected as exc:
        return await _repair_form(request, actor, values, {"photos": exc.message}, status=400)
    url = request.app.route_reverse("portal.show_ticket", ticket_id=ticket["id"])
    return set_flash(redirect(request, url), "repair_sent")


async def _ticket_page(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID,
                       extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    data = await portal_queries.ticket_view(get_db(), actor, ticket_id)
    context = {**data, "tab": "tickets", "reply_key": new_key(), "errors": {}, **(extra or {})}
    return await page(request, SHOW, context, status=status, block="thread_area")


@get("/tickets/{ticket_id:uuid}", name="portal.show_ticket")
async def show_ticket(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    return await _ticket_page(request, actor, ticket_id)


@post("/tickets/{ticket_id:uuid}/reply", name="portal.reply_ticket", status_code=200,
      request_max_body_size=UPLOAD_LIMIT)
async def reply(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    form = await form_lists(request)
    values = first_values(form)
    try:
        photos = await read_photos(form.get("photos", []))
        await intake.add_customer_reply(get_db(), actor=actor, ticket_id=ticket_id,
                                        body=values.get("body", ""), photos=photos,
                                        idempotency_key=values.get("key"))
    except ValidationFailed as exc:
        return await _ticket_page(request, actor, ticket_id,
                                  {"errors": exc.errors, "body": values.get("body", "")}, 400)
    except PhotoRejected as exc:
        return await _ticket_page(request, actor, ticket_id,
                                  {"errors": {"photos": exc.message},
                                   "body": values.get("body", "")}, 400)
    url = request.app.route_reverse("portal.show_ticket", ticket_id=ticket_id)
    return set_flash(redirect(request, url), "reply_sent")


@post("/tickets/{ticket_id:uuid}/reopen", name="portal.reopen_ticket", status_code=200)
async def reopen(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    data = await form_data(request)
    try:
        await intake.reopen_ticket(get_db(), actor=actor, ticket_id=ticket_id,
                                   reason=data.get("reason", ""))
    except InvalidTransition as exc:
        return await _ticket_page(request, actor, ticket_id, {"errors": {"": exc.message}}, 409)
    url = request.app.route_reverse("portal.show_ticket", ticket_id=ticket_id)
    return set_flash(redirect(request, url), "ticket_reopened")


HANDLERS = [list_tickets, new_repair, create_repair, show_ticket, reply, reopen]
