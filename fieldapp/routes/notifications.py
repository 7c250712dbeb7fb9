"""A technician's notifications in the field app: the inbox with "why did I get this", the
switches (push on this phone, channels for work alerts, quiet hours) and web push sign-up.

The push endpoints are the portal's (``backend.web.push``), renewing only staff subscriptions;
the field app's service worker (``/field/sw.js``, scope /field/) imports the shared handlers in
``/static/js/push-sw.js`` and reports ``pushsubscriptionchange`` to ``field.push_renew``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.db import get_db
from backend.notifications import queries, services
from backend.notifications.channels import vapid_public_key
from backend.notifications.messages import CATEGORY_LABELS, CHANNEL_LABELS
from backend.web.forms import safe_next
from backend.web.pages import page, redirect, set_flash
from backend.web.preferences_form import preferences_to_show, save_preferences_form
from backend.web.push import push_handlers

INBOX_SHOWN = 30


async def _page(request: Request[Any, Any, Any], actor: Actor, *,
                form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                status: int = 200) -> Response:
    db = get_db()
    prefs = await preferences_to_show(actor, form)
    items = (await queries.inbox(db, actor))[:INBOX_SHOWN]
    return await page(request, "fieldapp/notifications/index.html",
                      {"prefs": prefs, "items": items, "errors": errors or {},
                       "category_labels": CATEGORY_LABELS, "channel_labels": CHANNEL_LABELS},
                      status=status)


@get("/notifications", name="field.notifications")
async def notifications(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _page(request, actor)


@post("/notifications/settings", name="field.save_notification_settings", status_code=200)
async def save_settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await save_preferences_form(
        request, actor, show_again=_page,
        saved_url=request.app.route_reverse("field.notifications"))


@get("/notifications/{notification_id:uuid}", name="field.show_notification")
async def show(request: Request[Any, Any, Any], actor: Actor,
               notification_id: UUID) -> Response:
    note = await queries.own_notification(get_db(), actor, notification_id)
    return await page(request, "fieldapp/notifications/show.html",
                      {"note": note, "category_labels": CATEGORY_LABELS})


@post("/notifications/{notification_id:uuid}/open", name="field.open_notification",
      status_code=303)
async def open_notification(request: Request[Any, Any, Any], actor: Actor,
                            notification_id: UUID) -> Response:
    link = await services.open_notification(get_db(), actor=actor,
                                            notification_id=notification_id)
    return redirect(request, safe_next(link, request.app.route_reverse("field.notifications")))


@post("/notifications/{notification_id:uuid}/mute", name="field.mute_notification",
      status_code=303)
async def mute(request: Request[Any, Any, Any], actor: Actor,
               notification_id: UUID) -> Response:
    await services.mute_kind(get_db(), actor=actor, notification_id=notification_id)
    url = request.app.route_reverse("field.show_notification",
                                    notification_id=notification_id)
    return set_flash(redirect(request, f"{url}?muted=1"), "saved")


@get("/notifications/push/key", name="field.push_key")
async def push_key(actor: Actor) -> Response:
    """The VAPID public key (``applicationServerKey``) for a signed-in technician."""
    return Response({"key": vapid_public_key()}, headers={"Cache-Control": "no-store"})


HANDLERS = [notifications, save_settings, show, open_notification, mute, push_key,
            *push_handlers("field", person_kind="staff")]
