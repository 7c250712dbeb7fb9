"""A customer's whole picture for staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get

from backend.access import Actor
from backend.customers.queries import customer_360
from backend.db import get_db
from backend.web.pages import page


@get("/customers/{customer_id:uuid}", name="desk.show_customer")
async def show_customer(request: Request[Any, Any, Any], actor: Actor,
                        customer_id: UUID) -> Response:
    panel = await customer_360(get_db(), actor, customer_id)
    return await page(request, "desk/customers/show.html", {"panel": panel,
                                                            "nav": "customers"})


HANDLERS = [show_customer]
