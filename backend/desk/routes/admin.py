"""Admin configuration pages and the per-object audit view. Every change is audited."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor, require
from backend.accounts import admin as accounts_admin
from backend.audit.queries import object_history
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import N_
from backend.projects import admin as projects_admin
from backend.tickets import admin as sla_admin
from backend.tickets.calendar_data import BusinessCalendar
from backend.web.forms import form_data
from backend.web.pages import page, redirect
from backend.workorders import admin as checklist_admin

_ADMIN = {"nav": "admin"}


async def _section(request: Request[Any, Any, Any], actor: Actor, section: str, *,
                   errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                   status: int = 200) -> Response:
    """Render one admin section with its data (and the errors of a refused change)."""
    require(actor, "config.edit")
    db = get_db()
    ctx: dict[str, Any] = {**_ADMIN, "section": section, "errors": errors or {},
                           "form": form or {}}
    if section == "sla":
        ctx["policies"] = await sla_admin.list_policies(db)
        ctx["calendars"] = await sla_admin.list_calendars(db)
        ctx["china_default"] = json.dumps(BusinessCalendar.china_default().to_dict(),
                                          ensure_ascii=False, indent=1)
    elif section == "staff":
        ctx.update(await accounts_admin.staff_directory(db))
    elif section == "products":
        ctx["lines"] = await projects_admin.product_lines(db)
        ctx["templates"] = await projects_admin.milestone_templates(db)
    elif section == "checklists":
        rows = {r["kind"]: r for r in await checklist_admin.checklist_templates(db)}
        ctx["checklists"] = [(k, checklist_admin.format_items(rows[k]["items"]) if k in rows
                              else "") for k in checklist_admin.KINDS]
    return await page(request, f"desk/admin/{section}.html", ctx, status=status)


@get("/admin", name="desk.admin")
async def admin_home(request: Request[Any, Any, Any], actor: Actor,
                     section: str = "sla") -> Response:
    if section not in ("sla", "staff", "products", "checklists"):
        section = "sla"
    return await _section(request, actor, section)


@get("/admin/calendars/{calendar_id:uuid}", name="desk.edit_calendar")
async def edit_calendar(request: Request[Any, Any, Any], actor: Actor,
                        calendar_id: UUID) -> Response:
    require(actor, "config.edit")
    calendars = await sla_admin.list_calendars(get_db())
    cal = next((c for c in calendars if c["id"] == calendar_id), None)
    if cal is None:
        from backend.errors import NotFound
        raise NotFound()
    pretty = json.dumps(json.loads(cal["data"]), ensure_ascii=False, indent=1)
    return await page(request, "desk/admin/calendar.html",
                      {**_ADMIN, "calendar": cal, "data_text": pretty, "errors": {}})


@post("/admin", name="desk.admin_save", status_code=200)
async def admin_save(request: Request[Any, Any, Any], actor: Actor) -> Response:
    """One endpoint for the admin forms; ``op`` names the change."""
    data = await form_data(request)
    db, op = get_db(), data.get("op", "")
    section = {"policy": "sla", "calendar": "sla", "staff": "staff", "region": "staff",
               "team": "staff", "product": "products", "stage": "products",
               "checklist": "checklists"}.get(op, "sla")
    try:
        if op == "policy":
            await sla_admin.save_policy(
                db, actor, category=data.get("category", ""), priority=data.get("priority", ""),
                first_response_minutes=data.get("first_response_minutes", ""),
                resolution_minutes=data.get("resolution_minutes", ""),
                active=data.get("active") == "on")
        elif op == "calendar":
            raw_id = data.get("calendar_id")
            await sla_admin.save_calendar(
                db, actor, calendar_id=uuid.UUID(raw_id) if raw_id else None,
                name=data.get("name", ""), data_text=data.get("data", ""),
                is_default=data.get("is_default") == "on")
        elif op == "staff":
            await accounts_admin.update_staff(
                db, actor, staff_id=uuid.UUID(data.get("staff_id", "")),
                role=data.get("role", ""), region_id=data.get("region_id"),
                team_id=data.get("team_id"), is_team_lead=data.get("is_team_lead") == "on",
                skills=data.get("skills", ""), active=data.get("active") == "on")
        elif op == "region":
            await accounts_admin.add_region(db, actor, code=data.get("code", ""),
                                            name_zh=data.get("name_zh", ""),
                                            name_en=data.get("name_en", ""))
        elif op == "team":
            await accounts_admin.add_team(db, actor, region_id=data.get("region_id"),
                                          name_zh=data.get("name_zh", ""),
                                          name_en=data.get("name_en", ""))
        elif op == "product":
            await projects_admin.update_product_line(
                db, actor, line_id=uuid.UUID(data.get("line_id", "")),
                warranty_months=data.get("warranty_months", ""),
                terms_zh=data.get("terms_zh", ""), terms_en=data.get("terms_en", ""))
        elif op == "stage":
            await projects_admin.update_stage_days(
                db, actor, stage_id=uuid.UUID(data.get("stage_id", "")),
                default_days=data.get("default_days", ""))
        elif op == "checklist":
            await checklist_admin.save_checklist(db, actor, kind=data.get("kind", ""),
                                                 items_text=data.get("items", ""))
        else:
            raise ValueError(op)
    except ValidationFailed as exc:
        return await _section(request, actor, section, errors=exc.errors, form=data,
                              status=400)
    except ValueError:
        return await _section(request, actor, section, status=400,
                              errors={"": N_("Something in the request was not right")})
    return redirect(request, f"/desk/admin?section={section}")


@get("/audit/{object_type:str}/{object_id:str}", name="desk.audit_log")
async def audit_log(request: Request[Any, Any, Any], actor: Actor, object_type: str,
                    object_id: str) -> Response:
    rows = await object_history(get_db(), actor, object_type=object_type, object_id=object_id)
    return await page(request, "desk/admin/audit.html",
                      {**_ADMIN, "rows": rows, "object_type": object_type,
                       "object_id": object_id})


HANDLERS = [admin_home, edit_calendar, admin_save, audit_log]
