"""Web push sign-up for the portal and the field app (one implementation, two surfaces).

static/js/push.js posts to the subscribe and remove endpoints; a surface's service worker posts
``pushsubscriptionchange`` to the renew endpoint (see ``/static/js/push-sw.js``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import HTTPException, SerializationException
from litestar.handlers import HTTPRouteHandler

from backend.access import Actor
from backend.db import get_db
from backend.notifications import services


async def push_payload(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What push.js or a service worker posted (``PushSubscription.toJSON()``, ``{"endpoint"}``
    or ``{"old_endpoint", "subscription"}``): 400 when the body is not JSON, ``{}`` when it is
    not an object, so the push services refuse it like an incomplete subscription."""
    try:
        data = await request.json()
    except (ValueError, SerializationException) as exc:  # Litestar wraps decode errors
        raise HTTPException(status_code=400, detail="JSON expected") from exc
    return data if isinstance(data, dict) else {}


def push_handlers(surface: str, *, person_kind: str | None = None) -> list[HTTPRouteHandler]:
    """Subscribe, unsubscribe and renew handlers for ``surface`` ("portal" or "field");
    ``person_kind`` limits renewal to that surface's people (the field app: "staff")."""

    @post("/notifications/push", name=f"{surface}.push_subscribe", status_code=200)
    async def push_subscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
        """Called by static/js/push.js with ``PushSubscription.toJSON()``."""
        await services.subscribe_push(get_db(), actor=actor, data=await push_payload(request),
                                      user_agent=request.headers.get("user-agent", ""))
        return Response({"ok": True}, status_code=200)

    @post("/notifications/push/remove", name=f"{surface}.push_unsubscribe", status_code=200)
    async def push_unsubscribe(request: Request[Any, Any, Any], actor: Actor) -> Response:
        data = await push_payload(request)
        await services.unsubscribe_push(get_db(), actor=actor,
                                        endpoint=str(data.get("endpoint", "")))
        return Response({"ok": True}, status_code=200)

    @post("/notifications/push/renew", name=f"{surface}.push_renew", status_code=200,
          exclude_from_csrf=True)
    async def push_renew(request: Request[Any, Any, Any]) -> Response:
        """From the service worker's ``pushsubscriptionchange`` (no session or CSRF token: the
        old endpoint proves ownership)."""
        data = await push_payload(request)
        ok = await services.renew_push(get_db(), old_endpoint=str(data.get("old_endpoint", "")),
                                       data=data.get("subscription") or {},
                                       person_kind=person_kind)
        return Response({"ok": ok}, status_code=200 if ok else 404)

    return [push_subscribe, push_unsubscribe, push_renew]
