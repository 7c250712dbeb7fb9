"""Dispatch a repair or inspection visit from a ticket, and propose windows to the customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import N_
from backend.parsing import parse_window
from backend.tickets import queries
from backend.tickets.services import default_calendar
from backend.web.forms import form_data, form_lists
from backend.web.pages import page, redirect
from backend.workorders import dispatch


def _window(raw: str) -> tuple[datetime, datetime]:
    """``<start iso>/<end iso>`` from a slot choice."""
    return parse_window(raw)


async def _form(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID, *,
                kind: str = "repair", errors: dict[str, str] | None = None,
                form: dict[str, str] | None = None, status: int = 200) -> Response:
    db = get_db()
    ticket = await queries.get_ticket(db, actor, ticket_id)
    calendar = await default_calendar(db)
    found = await dispatch.candidates(db, actor, ticket_id=ticket_id, kind=kind,
                                      calendar=calendar)
    windows = sorted({w for c in found for w in c["free"]})
    return await page(request, "desk/dispatch/new.html",
                      {"ticket": ticket, "candidates": found, "kind": kind, "windows": windows,
                       "errors": errors or {}, "form": form or {}, "nav": "tickets"},
                      status=status)


@get("/tickets/{ticket_id:uuid}/dispatch", name="desk.dispatch_form")
async def dispatch_form(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID,
                        kind: str = "repair") -> Response:
    return await _form(request, actor, ticket_id,
                       kind=kind if kind in dispatch.KINDS else "repair")


@post("/tickets/{ticket_id:uuid}/dispatch", name="desk.dispatch", status_code=200)
async def dispatch_visit(request: Request[Any, Any, Any], actor: Actor,
                         ticket_id: UUID) -> Response:
    data = await form_data(request)
    try:
        tech_raw, _, window_raw = data.get("slot", "").partition("|")
        try:
            technician = uuid.UUID(tech_raw)
        except ValueError as exc:
            raise ValidationFailed({"slot": N_("Choose a technician and a window.")}) from exc
        start, end = _window(window_raw)
        await dispatch.dispatch_work_order(get_db(), actor, ticket_id=ticket_id,
                                           kind=data.get("kind", ""), technician_id=technician,
                                           window_start=start, window_end=end,
                                           notes=data.get("notes", ""))
    except ValidationFailed as exc:
        return await _form(request, actor, ticket_id, errors=exc.errors, form=data, status=400,
                           kind=data.get("kind") if data.get("kind") in dispatch.KINDS
                           else "repair")
    return redirect(request, request.app.route_reverse("desk.show_ticket", ticket_id=ticket_id))


@post("/tickets/{ticket_id:uuid}/propose", name="desk.propose", status_code=200)
async def propose(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    data = await form_lists(request)
    try:
        windows = [_window(str(v)) for v in data.get("window", [])]
        await dispatch.propose_windows(get_db(), actor, ticket_id=ticket_id, windows=windows)
    except ValidationFailed as exc:
        return await _form(request, actor, ticket_id, errors=exc.errors, status=400)
    return redirect(request, request.app.route_reverse("desk.show_ticket", ticket_id=ticket_id))


HANDLERS = [dispatch_form, dispatch_visit, propose]
