"""Admin configuration of checklist templates per work-order type (audited)."""

from __future__ import annotations

import json
import uuid

from backend.access import Actor, require
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import ValidationFailed
from backend.i18n import N_

KINDS = ("measure", "delivery", "install", "repair", "inspection")


async def checklist_templates(db: Database) -> list[Row]:
    return await db.fetch("SELECT * FROM checklist_template ORDER BY kind")


def parse_items(text: str) -> list[dict[str, object]]:
    """One item per line: ``key | 中文 | English | required | photo`` (last two: yes/no)."""
    items, seen = [], set()
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3 or not parts[0] or parts[0] in seen:
            raise ValidationFailed({"items": N_("Each line needs a unique key, a Chinese and "
                                                "an English label.")})
        seen.add(parts[0])
        flag = [p.lower() in ("yes", "y", "1", "true", "是") for p in parts[3:5]] + [False] * 2
        items.append({"key": parts[0][:40], "label_zh": parts[1][:200],
                      "label_en": parts[2][:200], "required": flag[0], "requires_photo": flag[1]})
    return items


def format_items(raw: str) -> str:
    """The stored JSON as editable lines (the inverse of :func:`parse_items`)."""
    yes = {True: "yes", False: "no"}
    return "\n".join(
        f"{i['key']} | {i['label_zh']} | {i['label_en']} | {yes[bool(i.get('required'))]} | "
        f"{yes[bool(i.get('requires_photo'))]}" for i in json.loads(raw or "[]"))


async def save_checklist(db: Database, actor: Actor, *, kind: str, items_text: str) -> None:
    """Replace the checklist of a work-order type; visits already booked keep their copy."""
    require(actor, "config.edit")
    if kind not in KINDS:
        raise ValidationFailed({"kind": N_("Choose a work-order type.")})
    items = parse_items(items_text)
    text = json.dumps(items, ensure_ascii=False)
    async with db.transaction():
        old = await db.fetchrow("SELECT id, items FROM checklist_template WHERE kind = $1", kind)
        tid = old["id"] if old else uuid.uuid4()
        await db.execute(
            "INSERT INTO checklist_template (id, kind, items) VALUES ($1, $2, $3) "
            "ON CONFLICT (kind) DO UPDATE SET items = excluded.items", tid, kind, text)
        await audit.record(db, actor=actor, action="checklist_template.saved",
                           object_type="checklist_template", object_id=tid,
                           before={"items": len(json.loads(old["items"])) if old else 0},
                           after={"kind": kind, "items": len(items)})
