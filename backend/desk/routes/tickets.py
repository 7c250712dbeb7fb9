"""The ticket queue and the ticket page with the customer's 360° panel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get

from backend.access import Actor
from backend.customers.queries import customer_360
from backend.db import get_db
from backend.tickets import queries
from backend.web.media import serve_variant
from backend.web.pages import page


@get("/", name="desk.queue")
async def queue(request: Request[Any, Any, Any], actor: Actor) -> Response:
    tickets = await queries.desk_queue(get_db(), actor)
    return await page(request, "desk/tickets/queue.html", {"tickets": tickets,
                                                           "nav": "tickets"})


@get("/tickets/{ticket_id:uuid}", name="desk.show_ticket")
async def show_ticket(request: Request[Any, Any, Any], actor: Actor, ticket_id: UUID) -> Response:
    db = get_db()
    data = await queries.ticket_page(db, actor, ticket_id)
    panel = await customer_360(db, actor, data["ticket"]["customer_id"])
    return await page(request, "desk/tickets/show.html", {**data, "panel": panel,
                                                          "nav": "tickets"})


@get("/photos/{media_id:uuid}/{variant:str}", name="desk.photo")
async def photo(actor: Actor, media_id: UUID, variant: str) -> Response:
    return await serve_variant(actor, media_id, variant)


HANDLERS = [queue, show_ticket, photo]
