"""Customers for staff: search, the 360° page, merging duplicates, filing a phone ticket."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.customers import merge
from backend.customers.queries import customer_360
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import N_
from backend.projects import planning
from backend.tickets import linking
from backend.web.forms import form_data
from backend.web.pages import page, redirect


@get("/customers", name="desk.customers")
async def search(request: Request[Any, Any, Any], actor: Actor, q: str = "") -> Response:
    rows = await merge.search_customers(get_db(), actor, q)
    return await page(request, "desk/customers/index.html",
                      {"customers": rows, "q": q, "nav": "customers"}, block="results")


async def _customer_page(request: Request[Any, Any, Any], actor: Actor, customer_id: UUID, *,
                         errors: dict[str, str] | None = None,
                         form: dict[str, str] | None = None, status: int = 200) -> Response:
    db = get_db()
    panel = await customer_360(db, actor, customer_id)
    duplicates = await merge.duplicates_of(db, actor, customer_id)
    options = await planning.project_form_options(db)
    return await page(request, "desk/customers/show.html",
                      {"panel": panel, "duplicates": duplicates, "nav": "customers",
                       "templates": options["templates"],
                       "errors": errors or {}, "form": form or {}}, status=status)


@get("/customers/{customer_id:uuid}", name="desk.show_customer")
async def show_customer(request: Request[Any, Any, Any], actor: Actor,
                        customer_id: UUID) -> Response:
    return await _customer_page(request, actor, customer_id)


@post("/customers/{customer_id:uuid}/merge", name="desk.merge_customer", status_code=200)
async def merge_customer(request: Request[Any, Any, Any], actor: Actor,
                         customer_id: UUID) -> Response:
    data = await form_data(request)
    try:
        try:
            duplicate = uuid.UUID(data.get("duplicate", ""))
        except ValueError as exc:
            raise ValidationFailed({"duplicate": N_("Choose the duplicate to merge.")}) from exc
        await merge.merge_customers(get_db(), actor, keep_id=customer_id,
                                    duplicate_id=duplicate)
    except ValidationFailed as exc:
        return await _customer_page(request, actor, customer_id, errors=exc.errors, status=400)
    return redirect(request, request.app.route_reverse("desk.show_customer",
                                                       customer_id=customer_id))


@post("/customers/{customer_id:uuid}/tickets", name="desk.phone_ticket", status_code=200)
async def phone_ticket(request: Request[Any, Any, Any], actor: Actor,
                       customer_id: UUID) -> Response:
    """The agent files a ticket on the customer's behalf during a call."""
    data = await form_data(request)
    try:
        project = uuid.UUID(data["project"]) if data.get("project") else None
        ticket_id = await linking.create_phone_ticket(
            get_db(), actor, customer_id=customer_id, subject=data.get("subject", ""),
            description=data.get("description", ""), category=data.get("category", ""),
            priority=data.get("priority", "normal"), project_id=project)
    except (ValidationFailed, ValueError) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {
            "project": N_("Choose one of this customer's projects.")}
        return await _customer_page(request, actor, customer_id, errors=errors, form=data,
                                    status=400)
    return redirect(request, request.app.route_reverse("desk.show_ticket", ticket_id=ticket_id))


HANDLERS = [search, show_customer, merge_customer, phone_ticket]
