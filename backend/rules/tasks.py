"""Working the follow-up tasks rules create (``create_task``): done, reopen, hand over.

A task outside the actor's task scope (:func:`backend.access.scope_tasks`: their own and their
team's; admins and managers every task) is simply not found. Handing a task to someone else
needs ``tasks.assign``. Each change writes its audit row and its domain event
(``task.completed``, ``task.reopened``, ``task.reassigned``) in the same transaction; asking
for the state a task is already in changes nothing and records nothing (a double click is
harmless).
"""

from __future__ import annotations

import uuid
from typing import Any

from backend import clock
from backend.access import DESK_ROLES, Actor, require, require_desk, scope_tasks
from backend.audit import services as audit
from backend.db import Database
from backend.errors import NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_

_COLUMNS = "id, title, status, assignee_id, ticket_id, project_id, rule_id"


async def get_task_for_actor(db: Database, actor: Actor, task_id: uuid.UUID) -> dict[str, Any]:
    """One task the actor may see; others' answer NotFound (existence does not leak)."""
    require_desk(actor)
    where, args = scope_tasks(actor, "staff_task", 2)
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM staff_task WHERE id = $1 AND {where}",
                            task_id, *args)
    if row is None:
        raise NotFound("task")
    return row


def _payload(task: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"task_id": str(task["id"]), "title": task["title"],
            "ticket_id": str(task["ticket_id"]) if task["ticket_id"] else None,
            "project_id": str(task["project_id"]) if task["project_id"] else None,
            "rule_id": str(task["rule_id"]) if task["rule_id"] else None, **extra}


async def _set_status(db: Database, actor: Actor, task_id: uuid.UUID, *, status: str,
                      event: str) -> bool:
    now = clock.now()
    async with db.transaction():
        task = await get_task_for_actor(db, actor, task_id)
        if task["status"] == status:
            return False
        done = status == "done"
        changed = await db.fetchval(
            "UPDATE staff_task SET status = $2, done_at = $3, done_by = $4, updated_at = $5 "
            "WHERE id = $1 AND status = $6 RETURNING id", task_id, status,
            now if done else None, actor.id if done else None, now, task["status"])
        if changed is None:  # another desk user changed it first (PostgreSQL, read committed)
            return False
        await audit.record(db, actor=actor, action=event, object_type="task",
                           object_id=task_id, before={"status": task["status"]},
                           after={"status": status})
        await outbox.emit(db, kind=event, aggregate_type="task", aggregate_id=task_id,
                          payload=_payload(task, assignee_id=str(task["assignee_id"] or ""),
                                           by=str(actor.id)))
    return True


async def complete_task(db: Database, *, actor: Actor, task_id: uuid.UUID) -> bool:
    """Mark a task in the actor's scope done; False when it already was."""
    return await _set_status(db, actor, task_id, status="done", event="task.completed")


async def reopen_task(db: Database, *, actor: Actor, task_id: uuid.UUID) -> bool:
    """Open a done task again (it was closed too early); False when it was open."""
    return await _set_status(db, actor, task_id, status="open", event="task.reopened")


async def reassign_task(db: Database, *, actor: Actor, task_id: uuid.UUID,
                        assignee_id: uuid.UUID | None) -> bool:
    """Hand an open task to another active desk colleague (``tasks.assign``).

    Region-bound assigners hand over within their region (or to staff without one). The new
    assignee hears about it through the ``task.reassigned`` event and its rule.
    """
    require(actor, "tasks.assign")
    if assignee_id is None:
        raise ValidationFailed({"assignee": N_("Choose who takes over the task.")})
    now = clock.now()
    async with db.transaction():
        task = await get_task_for_actor(db, actor, task_id)
        if task["status"] != "open":
            raise ValidationFailed({"assignee": N_("Reopen the task before handing it over.")})
        if task["assignee_id"] == assignee_id:
            return False
        marks = ", ".join(f"${i + 2}" for i in range(len(DESK_ROLES)))
        person = await db.fetchrow(
            "SELECT id, name, region_id FROM staff_user WHERE id = $1 AND active = TRUE AND "
            f"role IN ({marks})", assignee_id, *DESK_ROLES)
        if person is None or (actor.region_bound and person["region_id"] is not None
                              and person["region_id"] != actor.region_id):
            raise ValidationFailed({"assignee": N_("Choose an active desk colleague of your "
                                                   "region.")})
        await db.execute("UPDATE staff_task SET assignee_id = $2, updated_at = $3 WHERE id = $1",
                         task_id, assignee_id, now)
        await audit.record(db, actor=actor, action="task.reassigned", object_type="task",
                           object_id=task_id, before={"assignee": task["assignee_id"]},
                           after={"assignee": assignee_id})
        await outbox.emit(db, kind="task.reassigned", aggregate_type="task",
                          aggregate_id=task_id,
                          payload=_payload(task, assignee_id=str(assignee_id),
                                           previous_assignee_id=str(task["assignee_id"] or ""),
                                           by=str(actor.id)))
    return True
