"""Repair requests as the homeowner sees them: public messages only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get

from backend.access import Actor
from backend.db import get_db
from backend.tickets import queries
from backend.web.pages import page


@get("/tickets", name="portal.list_tickets")
async def list_tickets(request: Request[Any, Any, Any], actor: Actor) -> Response:
    tickets = await queries.tickets_for(get_db(), actor)
    return await page(request, "portal/tickets/index.html", {"tickets": tickets,
                                                             "tab": "tickets"})


@get("/tickets/{ticket_id:uuid}", name="portal.show_ticket")
async def show_ticket(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    data = await queries.ticket_page(get_db(), actor, ticket_id)
    return await page(request, "portal/tickets/show.html", {**data, "tab": "tickets"})


HANDLERS = [list_tickets, show_ticket]
