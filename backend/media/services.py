"""Storing a photo: process it off the event loop, write its files, then its row.

Files are content-addressed and written atomically before the row that points to them; if the
row cannot be written, files that no other row uses are removed again, so the database never
points to a missing or half-written file and storage keeps no orphan from a failed request.
A retried upload with the same idempotency key returns the photo stored the first time.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from backend import clock
from backend.access import Actor
from backend.audit import services as audit
from backend.config import get_settings
from backend.db import Database, Row
from backend.events import outbox
from backend.media.pipeline import PhotoLimits, ProcessedPhoto, process_photo_async
from backend.media.storage_access import get_storage


def photo_limits() -> PhotoLimits:
    settings = get_settings()
    return PhotoLimits(max_bytes=settings.max_upload_bytes,
                       keep_original=settings.keep_originals)


async def find_by_idempotency_key(db: Database, key: str | None) -> Row | None:
    if not key:
        return None
    return await db.fetchrow("SELECT * FROM media WHERE idempotency_key = $1", key)


async def store_photo(
    db: Database,
    *,
    actor: Actor,
    data: bytes,
    project_id: uuid.UUID | None = None,
    milestone_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None,
    work_order_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    caption: str = "",
    customer_visible: bool = False,
    kind: str = "photo",
    idempotency_key: str | None = None,
) -> Row:
    """Process and store one photo for records the caller has already authorized.

    Raises :class:`backend.media.pipeline.PhotoRejected` (with a translated-ready message)
    for anything that is not an acceptable photo; nothing is written in that case.
    """
    existing = await find_by_idempotency_key(db, idempotency_key)
    if existing is not None:
        return existing
    processed = await process_photo_async(data, limits=photo_limits())
    keys = await _write_files(processed)
    media_id = uuid.uuid4()
    taken = processed.taken_at_aware
    try:
        async with db.transaction():
            again = await find_by_idempotency_key(db, idempotency_key)
            if again is not None:
                return again
            await db.execute(
                "INSERT INTO media (id, sha256, kind, project_id, milestone_id, work_order_id, "
                "ticket_id, message_id, uploaded_by_staff_id, uploaded_by_customer_id, caption, "
                "customer_visible, taken_at, width, height, thumb_key, display_key, "
                "original_key, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
                media_id, processed.sha256, kind, project_id, milestone_id, work_order_id,
                ticket_id, message_id, actor.id if actor.is_staff else None,
                actor.id if actor.is_customer else None, caption[:2000], customer_visible,
                taken.astimezone(UTC) if taken else None, processed.width, processed.height,
                keys["thumb"], keys["display"], keys.get("original"), idempotency_key,
                clock.now(),
            )
            after = {"project_id": project_id, "ticket_id": ticket_id,
                     "work_order_id": work_order_id, "customer_visible": customer_visible}
            await audit.record(db, actor=actor, action="media.added", object_type="media",
                               object_id=media_id, after=after)
            await outbox.emit(db, kind="photo.added", aggregate_type="media",
                              aggregate_id=media_id, payload=after)
    except BaseException:
        await _remove_unreferenced(db, keys)
        raise
    row = await db.fetchrow("SELECT * FROM media WHERE id = $1", media_id)
    assert row is not None
    return row


async def _write_files(processed: ProcessedPhoto) -> dict[str, str]:
    storage = get_storage()
    keys: dict[str, str] = {}
    for name, variant in processed.variants.items():
        suffix = ".jpg" if variant.content_type == "image/jpeg" else _suffix(processed.mime)
        keys[name] = await storage.put(variant.data, suffix=suffix)
    return keys


def _suffix(mime: str) -> str:
    return {"image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
            "image/heif": ".heif"}.get(mime, ".bin")


async def _remove_unreferenced(db: Database, keys: dict[str, Any]) -> None:
    storage = get_storage()
    for key in keys.values():
        used = await db.fetchval(
            "SELECT count(*) AS n FROM media WHERE thumb_key = $1 OR display_key = $1 "
            "OR original_key = $1", key)
        if not used:
            await storage.delete(key)
