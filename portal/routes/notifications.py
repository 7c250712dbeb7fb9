"""The homeowner's notifications: inbox, "why did I get this", switches, web push sign-up.

The service worker is served at ``/portal/sw.js`` so its scope covers the portal; it only
imports the shared push handlers (``/static/js/push-sw.js``), which the field app's worker
imports too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.notifications import queries, services
from backend.notifications.channels import service_worker_source, vapid_public_key
from backend.notifications.messages import CATEGORY_LABELS, CHANNEL_LABELS
from backend.web.forms import safe_next
from backend.web.pages import page, redirect, set_flash
from backend.web.preferences_form import preferences_to_show, save_preferences_form
from backend.web.push import push_handlers


@get("/notifications", name="portal.inbox")
async def inbox(request: Request[Any, Any, Any], actor: Actor) -> Response:
    items = await queries.inbox(get_db(), actor)
    return await page(request, "portal/notifications/index.html",
                      {"items": items, "tab": "notifications"})


@get("/notifications/{notification_id:uuid}", name="portal.show_notification")
async def show(request: Request[Any, Any, Any], actor: Actor,
               notification_id: UUID) -> Response:
    note = await queries.own_notification(get_db(), actor, notification_id)
    return await page(request, "portal/notifications/show.html",
                      {"note": note, "tab": "notifications",
                       "category_labels": CATEGORY_LABELS})


@post("/notifications/{notification_id:uuid}/open", name="portal.open_notification",
      status_code=303)
async def open_notification(request: Request[Any, Any, Any], actor: Actor,
                            notification_id: UUID) -> Response:
    link = await services.open_notification(get_db(), actor=actor,
                                            notification_id=notification_id)
    return redirect(request, safe_next(link, "/portal/notifications"))


@post("/notifications/{notification_id:uuid}/mute", name="portal.mute_notification",
      status_code=303)
async def mute(request: Request[Any, Any, Any], actor: Actor,
               notification_id: UUID) -> Response:
    await services.mute_kind(get_db(), actor=actor, notification_id=notification_id)
    return set_flash(redirect(request, f"/portal/notifications/{notification_id}?muted=1"),
                     "saved")


async def _settings_page(request: Request[Any, Any, Any], actor: Actor, *,
                         form: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    prefs = await preferences_to_show(actor, form)
    return await page(request, "portal/notifications/settings.html",
                      {"prefs": prefs, "errors": errors or {}, "tab": "notifications",
                       "vapid_key": vapid_public_key(), "category_labels": CATEGORY_LABELS,
                       "channel_labels": CHANNEL_LABELS}, status=status)


@get("/notifications/settings", name="portal.notification_settings")
async def settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _settings_page(request, actor)


@post("/notifications/settings", name="portal.save_notification_settings", status_code=200)
async def save_settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await save_preferences_form(request, actor, show_again=_settings_page,
                                       saved_url="/portal/notifications/settings")


@get("/sw.js", name="portal.service_worker")
async def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    """The portal's service worker (scope /portal/): the shared push handlers."""
    source = service_worker_source(renew_url=request.app.route_reverse("portal.push_renew"))
    return Response(content=source, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/portal/"})


HANDLERS = [inbox, show, open_notification, mute, settings, save_settings,
            *push_handlers("portal"), service_worker]
