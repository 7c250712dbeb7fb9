"""The homeowner's projects and each project's milestone timeline and photo log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get

from backend.access import Actor
from backend.db import get_db
from backend.projects import queries
from backend.tickets.queries import tickets_for
from backend.web.pages import page


@get("/", name="portal.home")
async def home(request: Request[Any, Any, Any], actor: Actor) -> Response:
    db = get_db()
    projects = await queries.projects_for(db, actor)
    tickets = await tickets_for(db, actor, limit=5)
    return await page(request, "portal/projects/index.html",
                      {"projects": projects, "tickets": tickets, "tab": "home"})


@get("/projects/{project_id:uuid}", name="portal.show_project")
async def show_project(request: Request[Any, Any, Any], actor: Actor,
                       project_id: UUID) -> Response:
    data = await queries.project_page(get_db(), actor, project_id)
    return await page(request, "portal/projects/show.html", {**data, "tab": "home"})


HANDLERS = [home, show_project]
