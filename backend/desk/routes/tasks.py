"""Follow-up tasks created by rules: the list (mine / team / all, open / done), mark done,
reopen, hand over. One template: the full page, or for htmx its ``tasks`` block (which also
refreshes the nav count out of band)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend import clock
from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.rules import task_queries, tasks
from backend.rules.task_queries import TaskFilters
from backend.web.auth import request_locale
from backend.web.forms import form_data
from backend.web.pages import page, redirect, set_flash
from backend.web.templating import html_response, is_htmx, render_html


async def _list(request: Request[Any, Any, Any], actor: Actor, f: TaskFilters, *,
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    db = get_db()
    data = await task_queries.task_page(db, actor, f)
    people = await task_queries.assignee_options(db, actor)
    return await page(request, "desk/tasks/index.html",
                      {**data, "f": f, "people": people, "nav": "tasks", "now": clock.now(),
                       "errors": errors or {}, "oob": is_htmx(request)},
                      block="tasks", status=status)


@get("/tasks", name="desk.tasks")
async def list_tasks(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _list(request, actor, TaskFilters.from_query(request.query_params))


@get("/tasks/count", name="desk.task_count")
async def task_count(request: Request[Any, Any, Any], actor: Actor) -> Response:
    """The nav badge (loaded by htmx once per desk page): the actor's open tasks."""
    count = await task_queries.open_count(get_db(), actor)
    # Rendered directly, not through page(): a fragment must not consume the flash message.
    html = render_html("desk/tasks/_count.html", {"count": count},
                       locale=request_locale(request, actor), timezone=actor.timezone)
    return html_response(html, headers={"Cache-Control": "no-store"})


async def _act(request: Request[Any, Any, Any], actor: Actor, task_id: UUID,
               op: str) -> Response:
    form = await form_data(request)
    f = TaskFilters.from_query(form)
    db = get_db()
    try:
        if op == "done":
            await tasks.complete_task(db, actor=actor, task_id=task_id)
        elif op == "reopen":
            await tasks.reopen_task(db, actor=actor, task_id=task_id)
        else:
            await tasks.reassign_task(db, actor=actor, task_id=task_id,
                                      assignee_id=_uuid(form.get("assignee")))
    except ValidationFailed as exc:
        return await _list(request, actor, f, errors=exc.errors, status=400)
    if is_htmx(request):
        return await _list(request, actor, f)
    url = request.app.route_reverse("desk.tasks") + "?" + f.query_string()
    return set_flash(redirect(request, url), "saved")


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@post("/tasks/{task_id:uuid}/done", name="desk.complete_task", status_code=200)
async def complete(request: Request[Any, Any, Any], actor: Actor, task_id: UUID) -> Response:
    return await _act(request, actor, task_id, "done")


@post("/tasks/{task_id:uuid}/reopen", name="desk.reopen_task", status_code=200)
async def reopen(request: Request[Any, Any, Any], actor: Actor, task_id: UUID) -> Response:
    return await _act(request, actor, task_id, "reopen")


@post("/tasks/{task_id:uuid}/assign", name="desk.reassign_task", status_code=200)
async def reassign(request: Request[Any, Any, Any], actor: Actor, task_id: UUID) -> Response:
    return await _act(request, actor, task_id, "assign")


HANDLERS = [list_tasks, task_count, complete, reopen, reassign]
