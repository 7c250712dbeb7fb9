"""Which stored photo an actor may load. Portal viewers only get customer-visible,
metadata-stripped variants; originals are never served to them."""

from __future__ import annotations

import uuid

from backend.access import Actor, scope_projects, scope_tickets, scope_work_orders
from backend.db import Database, Row
from backend.errors import NotFound

VARIANTS = ("thumb", "display")


async def get_media(db: Database, actor: Actor, media_id: uuid.UUID) -> Row:
    row = await db.fetchrow(
        "SELECT id, project_id, ticket_id, work_order_id, customer_visible, thumb_key, "
        "display_key, kind FROM media WHERE id = $1",
        media_id,
    )
    if row is None:
        raise NotFound()
    if actor.is_customer and not row["customer_visible"]:
        raise NotFound()
    checks: list[tuple[str, object]] = []
    if row["project_id"]:
        checks.append(("project", row["project_id"]))
    if row["ticket_id"]:
        checks.append(("ticket", row["ticket_id"]))
    if row["work_order_id"]:
        checks.append(("work_order", row["work_order_id"]))
    for kind, object_id in checks:
        if await _can_see(db, actor, kind, object_id):
            return row
    raise NotFound()


async def _can_see(db: Database, actor: Actor, kind: str, object_id: object) -> bool:
    if kind == "project":
        cond, args = scope_projects(actor, "p", start=2)
        sql = f"SELECT 1 AS ok FROM project p WHERE p.id = $1 AND {cond}"
    elif kind == "ticket":
        cond, args = scope_tickets(actor, "t", start=2)
        sql = f"SELECT 1 AS ok FROM ticket t WHERE t.id = $1 AND {cond}"
    else:
        cond, args = scope_work_orders(actor, "w", start=2)
        sql = f"SELECT 1 AS ok FROM work_order w WHERE w.id = $1 AND {cond}"
    return await db.fetchval(sql, object_id, *args) is not None
