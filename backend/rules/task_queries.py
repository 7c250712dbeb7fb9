"""Reading follow-up tasks for the desk: the task list, its counts and who can take one over.

Every read goes through :func:`backend.access.scope_tasks`, so the list, the counts and the
single-task getter in :mod:`backend.rules.tasks` share one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from backend.access import DESK_ROLES, TASK_VIEWS, Actor, require_desk, scope_tasks, sees_all_tasks
from backend.db import Database

STATUSES = ("open", "done", "all")
LIST_LIMIT = 200


@dataclass(frozen=True)
class TaskFilters:
    view: str = "mine"  # mine | team | all (all: everything the actor may see)
    status: str = "open"  # open | done | all

    @classmethod
    def from_query(cls, params: Any) -> TaskFilters:
        view = str(params.get("view") or "mine")
        status = str(params.get("status") or "open")
        return cls(view=view if view in TASK_VIEWS else "mine",
                   status=status if status in STATUSES else "open")

    def query_string(self, **changes: str) -> str:
        return urlencode(vars(replace(self, **changes)))


def views_for(actor: Actor) -> tuple[str, ...]:
    """The tabs the actor gets: everyone "mine"; colleagues "team"; admins/managers "all"."""
    views = ["mine"]
    if actor.team_id is not None or actor.region_bound:
        views.append("team")
    if sees_all_tasks(actor):
        views.append("all")
    return tuple(views)


_LIST_SQL = (
    "SELECT k.id, k.title, k.status, k.due_at, k.done_at, k.created_at, k.assignee_id, "
    "a.name AS assignee_name, d.name AS done_by_name, r.name AS rule_name, "
    "r.code AS rule_code, t.id AS ticket_id, t.number AS ticket_number, "
    "t.subject AS ticket_subject, p.id AS project_id, p.number AS project_number, "
    "p.title AS project_title FROM staff_task k "
    "LEFT JOIN staff_user a ON a.id = k.assignee_id LEFT JOIN staff_user d ON d.id = k.done_by "
    "LEFT JOIN rule r ON r.id = k.rule_id LEFT JOIN ticket t ON t.id = k.ticket_id "
    "LEFT JOIN project p ON p.id = k.project_id "
)


async def task_page(db: Database, actor: Actor, f: TaskFilters) -> dict[str, Any]:
    """The tasks of one view and status, soonest due first (done: latest closed first)."""
    require_desk(actor)
    where, args = scope_tasks(actor, "k", 1, view=f.view)
    counts = await db.fetchrow(
        "SELECT count(*) AS total, COALESCE(sum(CASE WHEN k.status = 'open' THEN 1 ELSE 0 END), "
        f"0) AS open FROM staff_task k WHERE {where}", *args)
    if f.status != "all":
        where += f" AND k.status = ${len(args) + 1}"
        args = [*args, f.status]
    order = ("k.done_at DESC, k.created_at DESC" if f.status == "done" else
             "CASE WHEN k.status = 'open' THEN 0 ELSE 1 END, CASE WHEN k.due_at IS NULL "
             "THEN 1 ELSE 0 END, k.due_at, k.created_at")
    rows = await db.fetch(f"{_LIST_SQL} WHERE {where} ORDER BY {order} LIMIT {LIST_LIMIT}",
                          *args)
    return {"tasks": rows, "open_in_view": int(counts["open"] or 0),
            "total_in_view": int(counts["total"] or 0), "limit": LIST_LIMIT,
            "views": views_for(actor), "my_open": await open_count(db, actor)}


async def open_count(db: Database, actor: Actor) -> int:
    """How many open tasks are assigned to the actor (the desk's nav badge)."""
    if not actor.is_desk:
        return 0
    return int(await db.fetchval("SELECT count(*) AS n FROM staff_task WHERE assignee_id = $1 "
                                 "AND status = 'open'", actor.id) or 0)


async def assignee_options(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Who a task can be handed to: active desk staff (region-bound: of the same region)."""
    if not actor.can("tasks.assign"):
        return []
    marks = ", ".join(f"${i + 1}" for i in range(len(DESK_ROLES)))
    sql = (f"SELECT id, name FROM staff_user WHERE active = TRUE AND role IN ({marks})")
    args: list[object] = list(DESK_ROLES)
    if actor.region_bound:
        sql += f" AND (region_id IS NULL OR region_id = ${len(args) + 1})"
        args.append(actor.region_id)
    return await db.fetch(sql + " ORDER BY name", *args)
