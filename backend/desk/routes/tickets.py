"""The triage queue and the ticket page: assign, reply or note, status, links, merge."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.customers.queries import customer_360
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import N_
from backend.tickets import linking, queries, services
from backend.tickets.queue import QueueFilters, queue_options, queue_page, ticket_extras
from backend.web.forms import form_data, form_lists
from backend.web.media import serve_variant
from backend.web.pages import page, redirect


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@get("/", name="desk.queue")
async def queue(request: Request[Any, Any, Any], actor: Actor) -> Response:
    db = get_db()
    filters = QueueFilters.from_query(dict(request.query_params))
    result = await queue_page(db, actor, filters)
    options = await queue_options(db, actor)
    return await page(request, "desk/tickets/queue.html",
                      {**result, "f": filters, "options": options, "nav": "tickets"},
                      block="queue")


@post("/tickets/bulk", name="desk.bulk", status_code=200)
async def bulk(request: Request[Any, Any, Any], actor: Actor) -> Response:
    data = await form_lists(request)
    ids = [i for i in (_uuid(v) for v in data.get("ticket", []) if isinstance(v, str)) if i]
    action = (data.get("action") or [""])[-1]
    back = (data.get("back") or ["/desk/"])[-1]
    back = back if isinstance(back, str) and back.startswith("/desk/") else "/desk/"
    if not ids:
        raise ValidationFailed({"ticket": N_("Select at least one ticket.")})
    if action == "assign":
        raw = (data.get("assignee") or [""])[-1]
        await services.assign(get_db(), actor, ticket_ids=ids,
                              assignee_id=actor.id if raw == "me" else _uuid(raw))
    else:
        await services.bulk_set_priority(get_db(), actor, ticket_ids=ids,
                                         priority=str((data.get("priority") or [""])[-1]))
    return redirect(request, back)


async def _ticket_page(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID, *,
                       errors: dict[str, str] | None = None,
                       form: dict[str, str] | None = None, status: int = 200) -> Response:
    db = get_db()
    data = await queries.ticket_page(db, actor, ticket_id)
    panel = await customer_360(db, actor, data["ticket"]["customer_id"])
    extras = await ticket_extras(db, actor, data["ticket"])
    return await page(request, "desk/tickets/show.html",
                      {**data, **extras, "panel": panel, "nav": "tickets",
                       "errors": errors or {}, "form": form or {}}, status=status)


@get("/tickets/{ticket_id:uuid}", name="desk.show_ticket")
async def show_ticket(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    return await _ticket_page(request, actor, ticket_id)


@post("/tickets/{ticket_id:uuid}/messages", name="desk.add_message", status_code=200)
async def add_message(request: Request[Any, Any, Any], actor: Actor,
                      ticket_id: UUID) -> Response:
    data = await form_data(request)
    visibility = data.get("visibility", "")
    try:
        if visibility not in ("public", "internal"):
            raise ValidationFailed({"visibility": N_("Choose who sees this message.")})
        await services.add_message(get_db(), actor, ticket_id=ticket_id,
                                   body=data.get("body", ""),
                                   internal=visibility == "internal",
                                   status=data.get("then_status") or None)
    except ValidationFailed as exc:
        return await _ticket_page(request, actor, ticket_id, errors=exc.errors, form=data,
                                  status=400)
    return redirect(request, request.app.route_reverse("desk.show_ticket", ticket_id=ticket_id))


@post("/tickets/{ticket_id:uuid}/update", name="desk.update_ticket", status_code=200)
async def update_ticket(request: Request[Any, Any, Any], actor: Actor,
                        ticket_id: UUID) -> Response:
    """One endpoint for the side forms; ``op`` names the action."""
    data = await form_data(request)
    db, op = get_db(), data.get("op", "")
    try:
        if op == "assign":
            raw = data.get("assignee", "")
            await services.assign(db, actor, ticket_ids=[ticket_id],
                                  assignee_id=actor.id if raw == "me" else _uuid(raw))
        elif op == "status":
            await services.set_status(db, actor, ticket_id=ticket_id,
                                      status=data.get("status", ""))
        elif op == "fields":
            await services.update_fields(db, actor, ticket_id=ticket_id,
                                         category=data.get("category") or None,
                                         priority=data.get("priority") or None)
        elif op == "link":
            project_raw, _, milestone_raw = data.get("target", "").partition(":")
            project, milestone = _uuid(project_raw), _uuid(milestone_raw)
            await linking.link_project(db, actor, ticket_id=ticket_id, project_id=project,
                                       milestone_id=milestone)
        elif op == "merge":
            into = _uuid(data.get("into"))
            if into is None:
                raise ValidationFailed({"into": N_("Choose the ticket to keep.")})
            await linking.merge_tickets(db, actor, duplicate_id=ticket_id, into_id=into)
            return redirect(request, request.app.route_reverse("desk.show_ticket",
                                                               ticket_id=into))
        else:
            raise ValidationFailed({"": N_("Something in the request was not right")})
    except ValidationFailed as exc:
        return await _ticket_page(request, actor, ticket_id, errors=exc.errors, form=data,
                                  status=400)
    return redirect(request, request.app.route_reverse("desk.show_ticket", ticket_id=ticket_id))


@get("/photos/{media_id:uuid}/{variant:str}", name="desk.photo")
async def photo(actor: Actor, media_id: UUID, variant: str) -> Response:
    return await serve_variant(actor, media_id, variant)


HANDLERS = [queue, bulk, show_ticket, add_message, update_ticket, photo]
