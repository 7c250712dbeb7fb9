"""The homeowner's projects: timeline and photo log, change requests to decide, and the
acceptance sign-off."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.errors import InvalidTransition, ValidationFailed
from backend.media.pipeline import PhotoRejected
from backend.projects import portal_queries, queries, services
from backend.surveys.queries import open_surveys
from backend.tickets.portal_queries import my_tickets
from backend.web.forms import form_data, form_lists
from backend.web.pages import page, redirect, set_flash

from ._forms import UPLOAD_LIMIT, first_values, group_photos, new_key, read_photos

DEFECT_SLOTS = 3
PHOTO_LIMIT = 48  # newest photos on the page; keeps it light on phones


@get("/", name="portal.home")
async def home(request: Request[Any, Any, Any], actor: Actor) -> Response:
    db = get_db()
    projects = await queries.projects_for(db, actor)
    tickets = await my_tickets(db, actor, limit=5)
    surveys = await open_surveys(db, actor)
    return await page(request, "portal/projects/index.html",
                      {"projects": projects, "tickets": tickets, "surveys": surveys,
                       "tab": "home"})


@get("/projects/{project_id:uuid}", name="portal.show_project")
async def show_project(request: Request[Any, Any, Any], actor: Actor,
                       project_id: UUID) -> Response:
    db = get_db()
    data = await queries.project_page(db, actor, project_id)
    changes = await portal_queries.change_requests_for_project(db, actor, project_id)
    groups = group_photos(data["photos"][:PHOTO_LIMIT], data["milestones"], actor.timezone)
    return await page(request, "portal/projects/show.html",
                      {**data, "changes": changes, "photo_groups": groups, "tab": "home"})


async def _change_page(request: Request[Any, Any, Any], actor: Actor, change_id: UUID,
                       extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    data = await portal_queries.change_request_page(get_db(), actor, change_id)
    context = {**data, "errors": {}, "note": "", "tab": "home", **(extra or {})}
    return await page(request, "portal/changes/show.html", context, status=status,
                      block="decision")


@get("/changes/{change_id:uuid}", name="portal.show_change")
async def show_change(request: Request[Any, Any, Any], actor: Actor,
                      change_id: UUID) -> Response:
    return await _change_page(request, actor, change_id)


@post("/changes/{change_id:uuid}/decision", name="portal.decide_change", status_code=200)
async def decide_change(request: Request[Any, Any, Any], actor: Actor,
                        change_id: UUID) -> Response:
    data = await form_data(request)
    try:
        await services.decide_change_request(get_db(), actor=actor, change_id=change_id,
                                             decision=data.get("decision", ""),
                                             note=data.get("note", ""))
    except ValidationFailed as exc:
        return await _change_page(request, actor, change_id,
                                  {"errors": exc.errors, "note": data.get("note", "")}, 400)
    except InvalidTransition as exc:
        return await _change_page(request, actor, change_id, {"errors": {"": exc.message}}, 409)
    url = request.app.route_reverse("portal.show_change", change_id=change_id)
    return set_flash(redirect(request, url), "change_decided")


async def _acceptance(request: Request[Any, Any, Any], actor: Actor, project_id: UUID,
                      extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    data = await portal_queries.acceptance_page(get_db(), actor, project_id)
    context = {**data, "errors": {}, "values": {}, "key": new_key(), "slots": DEFECT_SLOTS,
               "tab": "home", **(extra or {})}
    return await page(request, "portal/acceptance/show.html", context, status=status,
                      block="signoff")


@get("/projects/{project_id:uuid}/acceptance", name="portal.acceptance")
async def acceptance(request: Request[Any, Any, Any], actor: Actor,
                     project_id: UUID) -> Response:
    return await _acceptance(request, actor, project_id)


@post("/projects/{project_id:uuid}/acceptance", name="portal.sign_off", status_code=200,
      request_max_body_size=UPLOAD_LIMIT)
async def sign_off(request: Request[Any, Any, Any], actor: Actor, project_id: UUID) -> Response:
    form = await form_lists(request)
    values = first_values(form)
    try:
        defects = [services.Defect(values.get(f"defect_{i}", ""),
                                   await read_photos(form.get(f"defect_{i}_photos", [])))
                   for i in range(1, DEFECT_SLOTS + 1)]
        result = await services.sign_off_acceptance(
            get_db(), actor=actor, project_id=project_id,
            confirm=values.get("action") == "confirm", defects=defects,
            idempotency_key=values.get("key"))
    except ValidationFailed as exc:
        return await _acceptance(request, actor, project_id,
                                 {"errors": exc.errors, "values": values}, 400)
    except PhotoRejected as exc:
        return await _acceptance(request, actor, project_id,
                                 {"errors": {"": exc.message}, "values": values}, 400)
    except InvalidTransition as exc:
        return await _acceptance(request, actor, project_id, {"errors": {"": exc.message}}, 409)
    url = request.app.route_reverse("portal.acceptance", project_id=project_id)
    flash = "acceptance_signed" if result["status"] == "signed" else "defects_reported"
    return set_flash(redirect(request, url), flash)


HANDLERS = [home, show_project, show_change, decide_change, acceptance, sign_off]
