"""Replaying a phone's offline outbox: items in order, each with an idempotency key.

Each item runs in its own transaction together with its :class:`SyncReceipt`, so an item is
either applied and remembered, or not applied at all. A replay of a remembered key (the
phone lost the answer, Background Sync and the page both sent it) returns the stored result
and changes nothing. Conflicts and refused items are not remembered: the technician can
rebase or fix them and send the same key again.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from backend import clock
from backend.access import Actor
from backend.db import Database
from backend.errors import DomainError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.media.pipeline import PhotoRejected
from backend.workorders import services
from backend.workorders.services import VersionConflict

KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
KINDS = ("status", "check", "notes", "part", "signature")
MAX_ITEMS = 100


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _png(data_url: Any) -> bytes:
    text = str(data_url or "")
    prefix = "data:image/png;base64,"
    if not text.startswith(prefix):
        raise ValidationFailed({"signature": N_("The signature is missing.")})
    try:
        return base64.b64decode(text[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({"signature": N_("The signature is missing.")}) from None


async def _dispatch(db: Database, actor: Actor, item: dict[str, Any]) -> int:
    kind, data = item["type"], item.get("payload") or {}
    common: dict[str, Any] = {"actor": actor, "work_order_id": item["work_order_id"],
                              "base_version": item.get("base_version")}
    if kind == "status":
        return await services.change_status(db, **common, status=str(data.get("status", "")),
                                            reason=str(data.get("reason", "")),
                                            at=_at(item.get("at")))
    if kind == "check":
        keys = data.get("photo_keys") or []
        return await services.tick_checklist(
            db, **common, key=str(data.get("key", "")), done=bool(data.get("done")),
            photo_keys=[str(k) for k in keys] if isinstance(keys, list) else [])
    if kind == "notes":
        return await services.save_notes(db, **common, notes=str(data.get("notes", "")))
    if kind == "part":
        try:
            quantity = int(data.get("quantity", 1))
        except (TypeError, ValueError):
            raise ValidationFailed({"quantity": N_("Enter a quantity between 1 and 9999.")}
                                   ) from None
        return await services.add_part(db, **common, name=str(data.get("name", "")),
                                       quantity=quantity, part_id=str(data.get("id", "")))
    return await services.sign_work_order(
        db, **common, signer_name=str(data.get("signer_name", "")),
        png=_png(data.get("image")), idempotency_key=item["key"], at=_at(item.get("at")))


def _parse(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not KEY.fullmatch(str(raw.get("key", ""))):
        raise ValidationFailed({"key": N_("This item has no valid idempotency key.")})
    if raw.get("type") not in KINDS:
        raise ValidationFailed({"type": N_("This kind of change is not supported.")})
    try:
        work_order_id = uuid.UUID(str(raw.get("work_order_id")))
        base = raw.get("base_version")
        base_version = int(base) if base is not None else None
    except (TypeError, ValueError):
        raise NotFound() from None
    return {**raw, "work_order_id": work_order_id, "base_version": base_version}


async def _receipt(db: Database, key: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT technician_id, result FROM sync_receipt WHERE key = $1", key)
    return dict(json.loads(row["result"]), technician_id=row["technician_id"]) if row else None


async def apply_item(db: Database, *, actor: Actor, raw: Any,
                     translate: Callable[[str], str]) -> dict[str, Any]:
    """Apply one outbox item unless its key was applied before; the per-item result."""
    key = str(raw.get("key", "")) if isinstance(raw, dict) else ""
    try:
        item = _parse(raw)
        done = await _receipt(db, key)
        if done is None:
            try:
                async with db.transaction():
                    version = await _dispatch(db, actor, item)
                    result = {"status": "ok", "version": version}
                    await db.execute(
                        "INSERT INTO sync_receipt (id, key, technician_id, work_order_id, kind, "
                        "result, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        uuid.uuid4(), key, actor.id, item["work_order_id"], item["type"],
                        json.dumps(result), clock.now())
                return {"key": key, **result}
            except DomainError:
                raise
            except Exception:
                done = await _receipt(db, key)  # a concurrent replay won the race
                if done is None:
                    raise
        if done.pop("technician_id") != actor.id:
            raise NotFound()
        return {"key": key, **done, "replayed": True}
    except VersionConflict as exc:
        return {"key": key, "status": "conflict", "current_version": exc.current_version,
                "message": translate(exc.message)}
    except ValidationFailed as exc:
        first = next(iter(exc.errors.values()), exc.message)
        return {"key": key, "status": "error", "message": translate(first),
                "errors": {k: translate(v) for k, v in exc.errors.items()}}
    except PhotoRejected as exc:
        return {"key": key, "status": "error", "message": translate(exc.message)}
    except NotFound as exc:
        return {"key": key, "status": "error", "code": "not_found",
                "message": translate(exc.message)}
    except DomainError as exc:
        return {"key": key, "status": "error", "message": translate(exc.message)}


async def apply_batch(db: Database, *, actor: Actor, items: Any,
                      translate: Callable[[str], str]) -> list[dict[str, Any]]:
    """Apply items in the order the phone queued them; one result per item."""
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ValidationFailed({"items": N_("Send between 1 and 100 items at a time.")})
    return [await apply_item(db, actor=actor, raw=raw, translate=translate) for raw in items]
