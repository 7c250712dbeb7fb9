"""The field app's JSON API: offline packets, the outbox replay and photo uploads.

Handlers stay thin: they parse the request, call one query or service, and answer JSON that
``static/js/field/outbox.js`` understands.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile

from backend import clock
from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.i18n import gettext
from backend.media.pipeline import MESSAGES, PhotoRejected
from backend.web.auth import request_locale
from backend.workorders import queries, services, sync

PHOTO_MAX_BYTES = 15 * 1024 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def _translator(request: Request[Any, Any, Any], actor: Actor) -> Any:
    locale = request_locale(request, actor)
    return lambda message: gettext(message, locale)


def _json(data: Any, status: int = 200) -> Response[Any]:
    return Response(content=data, status_code=status, media_type="application/json",
                    headers=NO_STORE)


def _photo_urls(request: Request[Any, Any, Any], media_id: Any) -> dict[str, str]:
    return {v: request.app.route_reverse("field.photo", media_id=media_id, variant=v)
            for v in ("thumb", "display")}


@get("/api/packets", name="field.api_packets")
async def packets(request: Request[Any, Any, Any], actor: Actor) -> Response[Any]:
    """Work-order packets for today and the next 7 days, for offline use."""
    zone = ZoneInfo(actor.timezone)
    start = datetime.combine(clock.now().astimezone(zone).date(), time.min, zone)
    rows = await queries.offline_packets(get_db(), actor, start - timedelta(days=1),
                                         start + timedelta(days=8))
    out = []
    for row in rows:
        out.append({
            **{k: v for k, v in row.items() if k not in ("photos", "project_id")},
            "page_url": request.app.route_reverse("field.show_work_order",
                                                  work_order_id=row["id"]),
            "photos": [{"id": p["id"], "caption": p["caption"], **_photo_urls(request, p["id"])}
                       for p in row["photos"]],
            "maps_url": f"https://uri.amap.com/search?keyword={row['address']}",
        })
    return _json({"generated_at": clock.now(), "work_orders": out})


@post("/api/sync", name="field.api_sync", status_code=200, request_max_body_size=4 * 2**20)
async def sync_outbox(request: Request[Any, Any, Any], actor: Actor) -> Response[Any]:
    """Apply queued offline changes in order; one result per item (ok, conflict, error)."""
    try:
        body = await request.json()
    except Exception:  # a malformed body is the client's error
        body = None
    items = body.get("items") if isinstance(body, dict) else None
    translate = _translator(request, actor)
    try:
        results = await sync.apply_batch(get_db(), actor=actor, items=items, translate=translate)
    except ValidationFailed as exc:
        return _json({"error": translate(exc.errors.get("items", exc.message))}, 400)
    return _json({"results": results})


@post("/api/work-orders/{work_order_id:uuid}/photos", name="field.api_photo", status_code=200,
      request_max_body_size=PHOTO_MAX_BYTES)
async def upload_photo(request: Request[Any, Any, Any], actor: Actor,
                       work_order_id: UUID) -> Response[Any]:
    """One photo (multipart ``photo``, ``caption``, ``customer_visible``), idempotent by the
    ``Idempotency-Key`` header: a retried upload returns the photo stored the first time."""
    form = await request.form()
    upload = form.get("photo")
    translate = _translator(request, actor)
    key = request.headers.get("idempotency-key") or str(form.get("key") or "")
    if not isinstance(upload, UploadFile) or not sync.KEY.fullmatch(key):
        return _json({"status": "error", "message": translate(
            MESSAGES["empty"])}, 400)
    data = await upload.read()
    try:
        media = await services.add_photo(
            get_db(), actor=actor, work_order_id=work_order_id, data=data,
            caption=str(form.get("caption") or "")[:500],
            customer_visible=str(form.get("customer_visible") or "") in ("1", "true", "on"),
            idempotency_key=key)
    except PhotoRejected as exc:
        return _json({"status": "error", "message": translate(exc.message)}, 400)
    return _json({"status": "ok", "key": key, "id": media["id"],
                  **_photo_urls(request, media["id"])})


HANDLERS = [packets, sync_outbox, upload_photo]
