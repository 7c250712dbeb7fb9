"""A technician's notifications in the field app: the inbox with "why did I get this", the
switches (push on this phone, channels for work alerts, quiet hours) and web push sign-up.

The push endpoints mirror the portal's and call the same services; the field app's service
worker (``/field/sw.js``, scope /field/) imports the shared handlers in
``/static/js/push-sw.js`` and reports ``pushsubscriptionchange`` to ``field.push_renew``.
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
from backend.notifications.channels import vapid_public_key
from backend.notifications.messages import CATEGORY_LABELS, CHANNEL_LABELS
from backend.web.forms import form_data, safe_next
from backend.web.pages import page, redirect, set_flash

INBOX_SHOWN = 30


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="JSON expected") from exc
    return data if isinstance(data, dict) else {}


async def _page(request: Request[Any, Any, Any], actor: Actor, *,
                form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                status: int = 200) -> Response:
    db = get_db()
    prefs = await queries.preferences(db, actor)
    if form is not None:  # re-show what the technician typed
        prefs = {**prefs, "on": {k for k, v in form.items() if v == "on"},
                 "quiet_start": form.get("quiet_start", ""),
                 "quiet_end": form.get("quiet_end", ""),
                 "daily_cap": form.get("daily_cap", "")}
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
    form = await form_data(request)
    try:
        await services.save_preferences(get_db(), actor=actor, form=form)
    except ValidationFailed as exc:
        return await _page(request, actor, form=form, errors=exc.errors, status=400)
    url = request.app.route_reverse("field.notifications")
    return set_flash(redirect(request, url), "saved")


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
    note = await queries.own_notification(get_db(), actor, notification_id)
    await services.mark_read(get_db(), actor=actor, notification_id=notification_id)
    return redirect(request, safe_next(note["link"],
                                       request.app.route_reverse("field.notifications")))


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


@post("/notifications/push", name="field.push_subscribe", status_code=200)
async def push_subscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
    """Called by static/js/push.js with ``PushSubscription.toJSON()``."""
    await services.subscribe_push(get_db(), actor=actor, data=await _json(request),
                                  user_agent=request.headers.get("user-agent", ""))
    return Response({"ok": True}, status_code=200)


@post("/notifications/push/remove", name="field.push_unsubscribe", status_code=200)
async def push_unsubscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
    data = await _json(request)
    await services.unsubscribe_push(get_db(), actor=actor,
                                    endpoint=str(data.get("endpoint", "")))
    return Response({"ok": True}, status_code=200)


@post("/notifications/push/renew", name="field.push_renew", status_code=200,
      exclude_from_csrf=True)
async def push_renew(request: Request[Any, Any, Any]) -> Response:
    """From the field service worker's ``pushsubscriptionchange`` (no session or CSRF token:
    the old endpoint proves ownership); renews only staff subscriptions."""
    data = await _json(request)
    ok = await services.renew_push(get_db(), old_endpoint=str(data.get("old_endpoint", "")),
                                   data=data.get("subscription") or {},
                                   person_kind="staff")
    return Response({"ok": ok}, status_code=200 if ok else 404)


HANDLERS = [notifications, save_settings, show, open_notification, mute, push_key,
            push_subscribe, push_unsubscribe, push_renew]
