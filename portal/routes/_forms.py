"""Form helpers shared by the portal's upload routes (photos in multipart forms)."""

from __future__ import annotations

import uuid
from typing import Any

from backend.errors import ValidationFailed
from backend.i18n import N_

# Up to 10 phone photos in one request; Litestar answers 413 above this.
UPLOAD_LIMIT = 80 * 1024 * 1024


def first_values(form: dict[str, list[Any]]) -> dict[str, str]:
    """The text fields of a multipart form, one value each (the last one wins)."""
    out: dict[str, str] = {}
    for key, values in form.items():
        texts = [v for v in values if isinstance(v, str)]
        if texts:
            out[key] = texts[-1][:20_000]
    return out


def text_list(form: dict[str, list[Any]], key: str) -> list[str]:
    return [v for v in form.get(key, []) if isinstance(v, str)]


async def read_photos(values: list[Any]) -> list[bytes]:
    """The bytes of each chosen file; the empty part a browser sends for "no file" is skipped."""
    photos: list[bytes] = []
    for value in values:
        if isinstance(value, str) or not getattr(value, "filename", ""):
            continue
        data = await value.read()
        if data:
            photos.append(data)
    return photos


def new_key() -> str:
    """An idempotency key for a form: a double tap sends the same one twice."""
    return uuid.uuid4().hex


def parse_item(raw: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The repair form's "what needs fixing": ``project:product_line``, ``project:`` or ``""``."""
    if not raw:
        return None, None
    project, _, line = raw.partition(":")
    try:
        return uuid.UUID(project), (uuid.UUID(line) if line else None)
    except ValueError:
        raise ValidationFailed({"item": N_("Choose one of the items listed.")}) from None


def group_photos(photos: list[dict[str, Any]], milestones: list[dict[str, Any]],
                 timezone: str) -> list[dict[str, Any]]:
    """The photo log as groups of (stage, local day), newest first, keeping the query's
    order; photos of no stage or of a stage hidden from the homeowner group under None."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone or "Asia/Shanghai")
    by_id = {m["id"]: m for m in milestones}
    groups: dict[tuple[Any, Any], dict[str, Any]] = {}
    for photo in photos:
        moment = photo.get("taken_at") or photo["created_at"]
        day = moment.astimezone(zone).date()
        stage = by_id.get(photo.get("milestone_id"))
        key = (stage["id"] if stage else None, day)
        if key not in groups:
            groups[key] = {"stage": stage, "day": day, "photos": []}
        groups[key]["photos"].append(photo)
    return list(groups.values())
