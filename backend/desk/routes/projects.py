"""Projects in the desk: create from a milestone template, plan, staff, change requests."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import N_
from backend.projects import planning
from backend.projects.queries import project_page
from backend.web.forms import form_data
from backend.web.pages import page, redirect


async def _show(request: Request[Any, Any, Any], actor: Actor, project_id: UUID, *,
                errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                status: int = 200) -> Response:
    db = get_db()
    data = await project_page(db, actor, project_id)
    options = await planning.project_form_options(db)
    return await page(request, "desk/projects/show.html",
                      {**data, **options, "nav": "customers", "errors": errors or {},
                       "form": form or {}}, status=status)


@get("/projects/{project_id:uuid}", name="desk.show_project")
async def show_project(request: Request[Any, Any, Any], actor: Actor,
                       project_id: UUID) -> Response:
    return await _show(request, actor, project_id)


@post("/customers/{customer_id:uuid}/projects", name="desk.create_project", status_code=200)
async def create_project(request: Request[Any, Any, Any], actor: Actor,
                         customer_id: UUID) -> Response:
    data = await form_data(request)
    try:
        pid = await planning.create_project(
            get_db(), actor, customer_id=customer_id, template_id=data.get("template", ""),
            title=data.get("title", ""), start=data.get("start", ""),
            contract_yuan=data.get("contract", "0"))
    except ValidationFailed as exc:
        from backend.desk.routes.customers import _customer_page

        return await _customer_page(request, actor, customer_id, errors=exc.errors,
                                    form=data, status=400)
    return redirect(request, request.app.route_reverse("desk.show_project", project_id=pid))


@post("/projects/{project_id:uuid}/update", name="desk.update_project", status_code=200)
async def update_project(request: Request[Any, Any, Any], actor: Actor,
                         project_id: UUID) -> Response:
    data = await form_data(request)
    db, op = get_db(), data.get("op", "")
    try:
        if op == "milestone":
            try:
                milestone = uuid.UUID(data.get("milestone_id", ""))
            except ValueError as exc:
                raise ValidationFailed({"": N_("Something in the request was not right")}) \
                    from exc
            await planning.update_milestone(
                db, actor, project_id=project_id, milestone_id=milestone,
                planned_start=data.get("planned_start", ""),
                planned_end=data.get("planned_end", ""), status=data.get("status", ""))
        elif op == "team":
            await planning.assign_team(db, actor, project_id=project_id, values=data)
        elif op == "change":
            await planning.raise_change_request(
                db, actor, project_id=project_id, title=data.get("title", ""),
                description=data.get("description", ""), cost_yuan=data.get("cost", "0"),
                schedule_days=data.get("days", "0"))
        else:
            raise ValidationFailed({"": N_("Something in the request was not right")})
    except ValidationFailed as exc:
        return await _show(request, actor, project_id, errors=exc.errors, form=data,
                           status=400)
    return redirect(request, request.app.route_reverse("desk.show_project",
                                                       project_id=project_id))


HANDLERS = [show_project, create_project, update_project]
