"""A technician's day and each work order's page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request, Response, get

from backend import clock
from backend.access import Actor
from backend.db import get_db
from backend.web.media import serve_variant
from backend.web.pages import page
from backend.workorders import queries
from backend.workorders.services import TRANSITIONS


@get("/", name="field.my_day")
async def my_day(request: Request[Any, Any, Any], actor: Actor) -> Response:
    zone = ZoneInfo(actor.timezone)
    today = clock.now().astimezone(zone).date()
    start = datetime.combine(today, time.min, zone)
    orders = await queries.work_orders_between(get_db(), actor, start - timedelta(days=1),
                                               start + timedelta(days=8))
    now = clock.now()
    for wo in orders:
        wo["overdue"] = wo["window_end"] < now and wo["status"] not in ("completed",
                                                                      "cancelled")
        wo["is_today"] = wo["window_start"].astimezone(zone).date() == today
        # Rescheduled or edited by the office lately, before the technician started on it.
        wo["changed"] = (wo["status"] == "scheduled" and wo["version"] > 1
                         and wo["updated_at"] > now - timedelta(days=1))
    return await page(request, "fieldapp/work_orders/index.html",
                      {"today_orders": [w for w in orders if w["is_today"] or w["overdue"]],
                       "upcoming": [w for w in orders if not w["is_today"] and not w["overdue"]
                                    and w["window_start"] >= start]})


@get("/work-orders/{work_order_id:uuid}", name="field.show_work_order")
async def show_work_order(request: Request[Any, Any, Any], actor: Actor,
                          work_order_id: UUID) -> Response:
    data = await queries.work_order_page(get_db(), actor, work_order_id)
    return await page(request, "fieldapp/work_orders/show.html",
                      {**data, "transitions": TRANSITIONS, "rendered_at": clock.now()})


@get("/photos/{media_id:uuid}/{variant:str}", name="field.photo")
async def photo(actor: Actor, media_id: UUID, variant: str) -> Response:
    return await serve_variant(actor, media_id, variant)


HANDLERS = [my_day, show_work_order, photo]
