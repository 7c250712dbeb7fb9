"""The homeowner's notifications: inbox, "why did I get this", switches, web push sign-up.

The service worker is served at ``/portal/sw.js`` so its scope covers the portal; it only
imports the shared push handlers (``/static/js/push-sw.js``), which the field app's worker
imports too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException

from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.notifications import queries, services
from backend.notifications.channels import service_worker_source, vapid_public_key
from backend.notifications.messages import CATEGORY_LABELS, CHANNEL_LABELS
from backend.web.forms import form_data, safe_next
from backend.web.pages import page, redirect, set_flash


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
    note = await queries.own_notification(get_db(), actor, notification_id)
    await services.mark_read(get_db(), actor=actor, notification_id=notification_id)
    return redirect(request, safe_next(note["link"], "/portal/notifications"))


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
    prefs = await queries.preferences(get_db(), actor)
    if form is not None:  # re-show what the person typed
        prefs = {**prefs, "on": {k for k, v in form.items() if v == "on"},
                 "quiet_start": form.get("quiet_start", ""),
                 "quiet_end": form.get("quiet_end", ""),
                 "daily_cap": form.get("daily_cap", ""),
                 "surveys_opt_out": form.get("surveys_opt_out") == "on"}
    return await page(request, "portal/notifications/settings.html",
                      {"prefs": prefs, "errors": errors or {}, "tab": "notifications",
                       "vapid_key": vapid_public_key(), "category_labels": CATEGORY_LABELS,
                       "channel_labels": CHANNEL_LABELS}, status=status)


@get("/notifications/settings", name="portal.notification_settings")
async def settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _settings_page(request, actor)


@post("/notifications/settings", name="portal.save_notification_settings", status_code=200)
async def save_settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    form = await form_data(request)
    try:
        await services.save_preferences(get_db(), actor=actor, form=form)
    except ValidationFailed as exc:
        return await _settings_page(request, actor, form=form, errors=exc.errors, status=400)
    return set_flash(redirect(request, "/portal/notifications/settings"), "saved")


@post("/notifications/push", name="portal.push_subscribe", status_code=200)
async def push_subscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
    """Called by static/js/push.js with ``PushSubscription.toJSON()``."""
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="JSON expected") from exc
    await services.subscribe_push(get_db(), actor=actor, data=data if isinstance(data, dict)
                                  else {}, user_agent=request.headers.get("user-agent", ""))
    return Response({"ok": True}, status_code=200)


@post("/notifications/push/remove", name="portal.push_unsubscribe", status_code=200)
async def push_unsubscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="JSON expected") from exc
    endpoint = str(data.get("endpoint", "")) if isinstance(data, dict) else ""
    await services.unsubscribe_push(get_db(), actor=actor, endpoint=endpoint)
    return Response({"ok": True}, status_code=200)


@post("/notifications/push/renew", name="portal.push_renew", status_code=200,
      exclude_from_csrf=True)
async def push_renew(request: Request[Any, Any, Any]) -> Response:
    """From the service worker's ``pushsubscriptionchange`` (no session or CSRF token)."""
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="JSON expected") from exc
    ok = isinstance(data, dict) and await services.renew_push(
        get_db(), old_endpoint=str(data.get("old_endpoint", "")),
        data=data.get("subscription") or {})
    return Response({"ok": bool(ok)}, status_code=200 if ok else 404)


@get("/sw.js", name="portal.service_worker")
async def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    """The portal's service worker (scope /portal/): the shared push handlers."""
    source = service_worker_source(renew_url=request.app.route_reverse("portal.push_renew"))
    return Response(content=source, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/portal/"})


HANDLERS = [inbox, show, open_notification, mute, settings, save_settings, push_subscribe,
            push_unsubscribe, push_renew, service_worker]
