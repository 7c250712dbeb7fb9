"""Storing a photo: process it off the event loop, write its files, then its row.

Files are content-addressed and written atomically before the row that points to them; if the
row cannot be written, files that no other row uses are removed again, so the database never
points to a missing or half-written file and storage keeps no orphan from a failed request.
Two uploads of the same photo share files: the failed one's "unused? then delete" and the other
one's "files present? then record" are serialized (SQLite's one writer; an advisory lock per
key on PostgreSQL), and recording writes back anything a failed twin removed.
A retried upload with the same idempotency key returns the photo stored the first time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class PreparedPhoto:
    """A processed photo whose files are already in storage, waiting for its row."""

    processed: ProcessedPhoto
    keys: dict[str, str]


async def prepare_photo(data: bytes, *, keep_original: bool = False) -> PreparedPhoto:
    """Process ``data`` off the event loop and write its variants to storage.

    Call this BEFORE opening the transaction that records the photo: processing a phone photo
    takes a noticeable fraction of a second, and no transaction (on SQLite: the one writer)
    should wait for Pillow. Raises ``PhotoRejected`` for anything that is not a usable photo.
    """
    limits = photo_limits()
    if keep_original:  # e.g. a signature is kept as the PNG that was drawn
        limits = replace(limits, keep_original=True)
    processed = await process_photo_async(data, limits=limits)
    return PreparedPhoto(processed, await _write_files(processed))


async def discard_prepared(db: Database, prepared: list[PreparedPhoto]) -> None:
    """Remove the files of prepared photos whose rows were never written (or rolled back)."""
    for photo in prepared:
        await _remove_unreferenced(db, photo.keys)


async def record_photo(
    db: Database,
    *,
    actor: Actor,
    prepared: PreparedPhoto,
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
    """Write the row, audit entry and ``photo.added`` event of a prepared photo, inside the
    caller's transaction (records the caller has already authorized)."""
    if not db.in_transaction():
        raise RuntimeError("photos are recorded inside the change's transaction")
    existing = await find_by_idempotency_key(db, idempotency_key)
    if existing is not None:
        return existing
    processed, keys = prepared.processed, prepared.keys
    await _ensure_files(db, prepared)
    media_id = uuid.uuid4()
    taken = processed.taken_at_aware
    now = clock.now()
    values = {
        "id": media_id, "sha256": processed.sha256, "kind": kind, "project_id": project_id,
        "milestone_id": milestone_id, "work_order_id": work_order_id, "ticket_id": ticket_id,
        "message_id": message_id,
        "uploaded_by_staff_id": actor.id if actor.is_staff else None,
        "uploaded_by_customer_id": actor.id if actor.is_customer else None,
        "caption": caption[:2000], "customer_visible": customer_visible,
        "taken_at": taken.astimezone(UTC) if taken else None, "width": processed.width,
        "height": processed.height, "thumb_key": keys["thumb"], "display_key": keys["display"],
        "original_key": keys.get("original"), "idempotency_key": idempotency_key,
        "created_at": now,
    }
    columns = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await db.execute(f"INSERT INTO media ({columns}) VALUES ({marks})", *values.values())
    after = {"project_id": project_id, "ticket_id": ticket_id,
             "work_order_id": work_order_id, "customer_visible": customer_visible}
    await audit.record(db, actor=actor, action="media.added", object_type="media",
                       object_id=media_id, after=after)
    await outbox.emit(db, kind="photo.added", aggregate_type="media", aggregate_id=media_id,
                      payload=after)
    return values


async def store_photo(
    db: Database,
    *,
    actor: Actor,
    data: bytes,
    idempotency_key: str | None = None,
    **links: Any,
) -> Row:
    """Process and store one photo for records the caller has already authorized.

    ``links`` are :func:`record_photo`'s keyword arguments (project_id, ticket_id, caption,
    customer_visible ...). Raises :class:`backend.media.pipeline.PhotoRejected` (with a
    message ready to translate) for anything that is not an acceptable photo; nothing is
    written in that case. Inside an open transaction this still works, but prefer
    :func:`prepare_photo` first and :func:`record_photo` inside the transaction.
    """
    existing = await find_by_idempotency_key(db, idempotency_key)
    if existing is not None:
        return existing
    prepared = await prepare_photo(data)
    try:
        async with db.transaction():
            return await record_photo(db, actor=actor, prepared=prepared,
                                      idempotency_key=idempotency_key, **links)
    except BaseException:
        await discard_prepared(db, [prepared])
        raise


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


async def _lock_keys(db: Database, keys: dict[str, Any]) -> None:
    """Serialize "is this file still used? then delete it" with "the file is there, so record
    a row using it" for the same content. On SQLite the write transaction already does (one
    writer); on PostgreSQL a transaction-scoped advisory lock per key."""
    if db.kind == "postgres":
        for key in sorted(keys.values()):
            await db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)


async def _ensure_files(db: Database, prepared: PreparedPhoto) -> None:
    """Inside the recording transaction: a failed twin upload of the same photo (same
    content, same keys) may have removed the files after they were written for this one, so
    write again whatever is missing before the row points to it."""
    await _lock_keys(db, prepared.keys)
    storage = get_storage()
    for key in prepared.keys.values():
        if not await storage.exists(key):
            await _write_files(prepared.processed)
            return


async def _remove_unreferenced(db: Database, keys: dict[str, Any]) -> None:
    storage = get_storage()
    async with db.transaction():
        await _lock_keys(db, keys)
        for key in keys.values():
            used = await db.fetchval(
                "SELECT count(*) AS n FROM media WHERE thumb_key = $1 OR display_key = $1 "
                "OR original_key = $1", key)
            if not used:
                await storage.delete(key)
