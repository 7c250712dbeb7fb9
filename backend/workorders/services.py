"""Changing a work order: status steps, checklist, notes, parts, signature and close-out.

Every change that edits the work order's own fields takes the ``version`` the technician's
edit was based on and bumps it: an edit made offline against an older copy never silently
overwrites what the office (or another device) saved since; it raises :class:`VersionConflict`
and the field app shows it. Photos only add rows, so they never conflict.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend import clock
from backend.access import Actor, require
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import DomainError, InvalidTransition, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.media.services import (
    discard_prepared,
    find_by_idempotency_key,
    prepare_photo,
    record_photo,
    store_photo,
)
from backend.workorders import queries

# Which status may follow which; each step stamps its time and emits ``work_order.<status>``.
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"en_route", "on_site"}),
    "en_route": frozenset({"on_site", "needs_follow_up"}),
    "on_site": frozenset({"completed", "needs_follow_up"}),
    "needs_follow_up": frozenset({"en_route", "on_site"}),
}
STAMPS = {"en_route": "en_route_at", "on_site": "on_site_at", "completed": "completed_at"}
MAX_NOTES = 5000
MAX_PARTS = 100


class VersionConflict(DomainError):
    """The work order changed on the server after the edit's base version."""

    message = N_("This work order was changed by someone else since you last synced.")

    def __init__(self, current_version: int) -> None:
        super().__init__()
        self.current_version = current_version


async def _load(db: Database, actor: Actor, work_order_id: uuid.UUID,
                base_version: int | None) -> Row:
    """The work order if ``actor`` may work it (else 404) and the base version still holds."""
    require(actor, "workorders.work")
    wo = await queries.get_work_order(db, actor, work_order_id)
    if base_version is not None and int(base_version) != wo["version"]:
        raise VersionConflict(wo["version"])
    if wo["status"] == "cancelled":
        raise InvalidTransition()
    return wo


async def _save(db: Database, wo: Row, fields: dict[str, Any]) -> int:
    """Write ``fields`` if nobody bumped the version meanwhile; returns the new version."""
    names = list(fields)
    sets = ", ".join(f"{name} = ${i + 4}" for i, name in enumerate(names))
    row = await db.fetchrow(
        f"UPDATE work_order SET {sets}, version = version + 1, updated_at = $3 "
        "WHERE id = $1 AND version = $2 RETURNING version",
        wo["id"], wo["version"], clock.now(), *[fields[n] for n in names],
    )
    if row is None:
        current = await db.fetchval("SELECT version FROM work_order WHERE id = $1", wo["id"])
        raise VersionConflict(int(current or 0))
    return int(row["version"])


def _payload(wo: Row) -> dict[str, Any]:
    return {"work_order_id": wo["id"], "number": wo["number"], "customer_id": wo["customer_id"],
            "project_id": wo["project_id"], "technician_id": wo["technician_id"],
            "kind": wo["kind"]}


def _when(at: datetime | None) -> datetime:
    """The time the technician acted (offline edits arrive later); never in the future."""
    now = clock.now()
    if at is None or at.tzinfo is None or at > now or at < now - timedelta(days=14):
        return now
    return at


def _checklist(wo: Row) -> list[dict[str, Any]]:
    return json.loads(wo["checklist"] or "[]")


async def change_status(
    db: Database, *, actor: Actor, work_order_id: uuid.UUID, status: str,
    base_version: int | None = None, reason: str = "", at: datetime | None = None,
) -> int:
    """Move a work order one step (scheduled → en_route → on_site → completed, or
    needs_follow_up with a reason). Completing needs every required checklist item done and
    advances the project's milestone. Returns the new version."""
    async with db.transaction():
        wo = await _load(db, actor, work_order_id, base_version)
        if status not in TRANSITIONS.get(wo["status"], frozenset()):
            raise InvalidTransition()
        fields: dict[str, Any] = {"status": status}
        if status in STAMPS:
            fields[STAMPS[status]] = _when(at)
        reason = reason.strip()
        if status == "needs_follow_up":
            if not reason:
                raise ValidationFailed({"reason": N_("Say what still needs to be done.")})
            fields["follow_up_reason"] = reason[:2000]
        if status == "completed":
            missing = [i for i in _checklist(wo) if i.get("required") and not i.get("done")]
            if missing:
                raise ValidationFailed({"checklist": N_(
                    "Tick every required checklist item before completing.")})
        version = await _save(db, wo, fields)
        await audit.record(db, actor=actor, action=f"work_order.{status}",
                           object_type="work_order", object_id=wo["id"],
                           before={"status": wo["status"]}, after=fields)
        await outbox.emit(db, kind=f"work_order.{status}", aggregate_type="work_order",
                          aggregate_id=wo["id"], payload={**_payload(wo), "reason": reason})
        if status == "completed" and wo["milestone_id"]:
            await advance_milestone(db, actor=actor, milestone_id=wo["milestone_id"])
    return version


async def advance_milestone(db: Database, *, actor: Actor, milestone_id: uuid.UUID) -> None:
    """Close-out: the work order's milestone is done, the next one starts and the project's
    current stage follows. Called inside the completing transaction. A milestone that needs
    the homeowner's sign-off (acceptance) is closed by that sign-off in the portal instead."""
    ms = await db.fetchrow("SELECT * FROM milestone WHERE id = $1", milestone_id)
    if ms is None or ms["status"] == "done" or (ms["requires_signoff"]
                                                 and ms["signed_off_at"] is None):
        return
    today = clock.now().astimezone(ZoneInfo(actor.timezone)).date()
    await db.execute("UPDATE milestone SET status = 'done', actual_end = $2, "
                     "actual_start = COALESCE(actual_start, $2) WHERE id = $1", ms["id"], today)
    base = {"project_id": ms["project_id"]}
    await audit.record(db, actor=actor, action="milestone.completed", object_type="milestone",
                       object_id=ms["id"], before={"status": ms["status"]},
                       after={"status": "done"})
    await outbox.emit(db, kind="milestone.completed", aggregate_type="milestone",
                      aggregate_id=ms["id"], payload={**base, "code": ms["code"]})
    nxt = await db.fetchrow(
        "SELECT id, code, status FROM milestone WHERE project_id = $1 AND position > $2 "
        "ORDER BY position LIMIT 1", ms["project_id"], ms["position"])
    if nxt is None:
        return
    await db.execute("UPDATE project SET current_stage = $2 WHERE id = $1",
                     ms["project_id"], nxt["code"])
    if nxt["status"] != "pending":
        return
    await db.execute("UPDATE milestone SET status = 'in_progress', actual_start = $2 "
                     "WHERE id = $1", nxt["id"], today)
    await audit.record(db, actor=actor, action="milestone.started", object_type="milestone",
                       object_id=nxt["id"], before={"status": "pending"},
                       after={"status": "in_progress"})
    await outbox.emit(db, kind="milestone.started", aggregate_type="milestone",
                      aggregate_id=nxt["id"], payload={**base, "code": nxt["code"]})


async def tick_checklist(
    db: Database, *, actor: Actor, work_order_id: uuid.UUID, key: str, done: bool,
    base_version: int | None = None, photo_keys: list[str] | None = None,
) -> int:
    """Tick or untick one checklist item. An item that requires a photo can only be ticked
    with a photo of this work order (named by the upload's idempotency key)."""
    async with db.transaction():
        wo = await _load(db, actor, work_order_id, base_version)
        items = _checklist(wo)
        item = next((i for i in items if i.get("key") == key), None)
        if item is None:
            raise ValidationFailed({"checklist": N_("This checklist item does not exist.")})
        photo_ids = list(item.get("photo_ids") or [])
        keys = [k for k in (photo_keys or []) if isinstance(k, str)][:20]
        if keys:
            marks = ", ".join(f"${i + 2}" for i in range(len(keys)))
            rows = await db.fetch(
                f"SELECT id FROM media WHERE work_order_id = $1 AND idempotency_key IN ({marks})",
                wo["id"], *keys)
            photo_ids += [str(r["id"]) for r in rows if str(r["id"]) not in photo_ids]
        if done and item.get("requires_photo") and not photo_ids:
            raise ValidationFailed({"checklist": N_("Take a photo for this item first.")})
        item.update(done=bool(done), photo_ids=photo_ids,
                    done_at=clock.now().isoformat() if done else None)
        version = await _save(db, wo, {"checklist": json.dumps(items, ensure_ascii=False)})
        await audit.record(db, actor=actor, action="work_order.checklist",
                           object_type="work_order", object_id=wo["id"],
                           after={"key": key, "done": bool(done)})
    return version


async def save_notes(db: Database, *, actor: Actor, work_order_id: uuid.UUID, notes: str,
                     base_version: int | None = None) -> int:
    """Replace the technician's notes on the work order."""
    if len(notes) > MAX_NOTES:
        raise ValidationFailed({"notes": N_("Notes are too long.")})
    async with db.transaction():
        wo = await _load(db, actor, work_order_id, base_version)
        version = await _save(db, wo, {"notes": notes.strip()})
        before, after = audit.diff({"notes": wo["notes"]}, {"notes": notes.strip()})
        await audit.record(db, actor=actor, action="work_order.notes",
                           object_type="work_order", object_id=wo["id"], before=before,
                           after=after)
    return version


async def add_part(db: Database, *, actor: Actor, work_order_id: uuid.UUID, name: str,
                   quantity: int, part_id: str = "", base_version: int | None = None) -> int:
    """Record a part used on site (name and quantity)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed({"part": N_("Enter the part's name.")})
    if not 1 <= int(quantity) <= 9999:
        raise ValidationFailed({"quantity": N_("Enter a quantity between 1 and 9999.")})
    async with db.transaction():
        wo = await _load(db, actor, work_order_id, base_version)
        parts = json.loads(wo["parts"] or "[]")
        if len(parts) >= MAX_PARTS:
            raise ValidationFailed({"part": N_("Too many parts on one work order.")})
        parts.append({"id": part_id[:64] or uuid.uuid4().hex, "name": name,
                      "quantity": int(quantity)})
        version = await _save(db, wo, {"parts": json.dumps(parts, ensure_ascii=False)})
        await audit.record(db, actor=actor, action="work_order.part_added",
                           object_type="work_order", object_id=wo["id"],
                           after={"name": name, "quantity": int(quantity)})
    return version


async def add_photo(
    db: Database, *, actor: Actor, work_order_id: uuid.UUID, data: bytes, caption: str = "",
    customer_visible: bool = False, idempotency_key: str | None = None,
) -> Row:
    """Store a site photo on the work order and on its project and milestone, so customer-
    visible ones show in the portal's site log. A replayed key returns the first photo."""
    require(actor, "workorders.work")
    wo = await queries.get_work_order(db, actor, work_order_id)
    return await store_photo(
        db, actor=actor, data=data, project_id=wo["project_id"],
        milestone_id=wo["milestone_id"], work_order_id=wo["id"], caption=caption.strip(),
        customer_visible=customer_visible, idempotency_key=idempotency_key)


async def sign_work_order(
    db: Database, *, actor: Actor, work_order_id: uuid.UUID, signer_name: str, png: bytes,
    base_version: int | None = None, idempotency_key: str | None = None,
    at: datetime | None = None,
) -> int:
    """Store the customer's signature (PNG, media kind "signature") with the signer's name
    and time. Internal: signatures are not shown in the portal's site log."""
    signer_name = signer_name.strip()
    if not signer_name or len(signer_name) > 100:
        raise ValidationFailed({"signer_name": N_("Enter the name of the person signing.")})
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationFailed({"signature": N_("The signature is missing.")})
    await _load(db, actor, work_order_id, base_version)  # fail fast before storing files
    existing = await find_by_idempotency_key(db, idempotency_key)
    prepared = None if existing else await prepare_photo(png, keep_original=True)
    try:
        async with db.transaction():
            wo = await _load(db, actor, work_order_id, base_version)
            media = existing or await record_photo(
                db, actor=actor, prepared=prepared, work_order_id=wo["id"], kind="signature",
                customer_visible=False, idempotency_key=idempotency_key)
            fields = {"signer_name": signer_name, "signed_at": _when(at),
                      "signature_media_id": media["id"]}
            version = await _save(db, wo, fields)
            await audit.record(db, actor=actor, action="work_order.signed",
                               object_type="work_order", object_id=wo["id"], after=fields)
    except BaseException:
        if prepared is not None:
            await discard_prepared(db, [prepared])
        raise
    return version
