"""Factories: each states what matters for a test and randomises the rest.

They insert rows directly (test setup, not product behaviour); product code paths are
exercised by the tests themselves through services and HTTP.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from backend import clock
from backend.accounts.passwords import hash_password
from backend.db import Database

PASSWORD = "correct horse battery"
_HASH: str | None = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def random_phone() -> str:
    return f"+86139{random.randint(10_000_000, 99_999_999)}"


async def make_region(db: Database, code: str | None = None) -> uuid.UUID:
    rid = uuid.uuid4()
    code = code or f"r{rid.hex[:8]}"
    async with db.transaction():
        await db.execute("INSERT INTO region (id, code, name_zh, name_en) VALUES ($1, $2, $3, $4)",
                         rid, code, f"区域{code}", f"Region {code}")
    return rid


async def make_staff(db: Database, *, role: str, region_id: uuid.UUID | None = None,
                     name: str | None = None, email: str | None = None,
                     language: str = "en") -> dict[str, Any]:
    sid = uuid.uuid4()
    email = email or f"{role}-{sid.hex[:10]}@test.homeloop.cn"
    async with db.transaction():
        await db.execute(
            "INSERT INTO staff_user (id, email, name, phone, role, region_id, is_team_lead, "
            "skills, language, timezone, password_hash, failed_logins, active, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, FALSE, '', $7, 'Asia/Shanghai', $8, 0, TRUE, $9)",
            sid, email, name or f"{role.title()} {sid.hex[:4]}", random_phone(), role,
            region_id, language, _password_hash(), clock.now())
    return {"id": sid, "email": email, "role": role, "region_id": region_id}


async def make_customer(db: Database, *, name: str | None = None, phone: str | None = None,
                        email: str | None = None, language: str = "en") -> dict[str, Any]:
    cid = uuid.uuid4()
    phone = phone or random_phone()
    async with db.transaction():
        await db.execute(
            "INSERT INTO customer (id, name, phone, email, language, timezone, tags, value_tier, "
            "source, consent_service, consent_marketing, created_at) VALUES ($1, $2, $3, $4, $5, "
            "'Asia/Shanghai', '[]', 'standard', 'referral', TRUE, FALSE, $6)",
            cid, name or f"Customer {cid.hex[:6]}", phone, email, language, clock.now())
    return {"id": cid, "phone": phone, "email": email, "name": name}


async def add_household_member(db: Database, owner: dict[str, Any],
                               member: dict[str, Any]) -> None:
    async with db.transaction():
        await db.execute(
            "INSERT INTO household_member (id, owner_id, member_id, relation, created_at) "
            "VALUES ($1, $2, $3, 'family', $4)", uuid.uuid4(), owner["id"], member["id"],
            clock.now())


async def make_project(db: Database, *, customer: dict[str, Any],
                       region_id: uuid.UUID | None = None, stages: int = 8,
                       current: int = 3) -> dict[str, Any]:
    pid, prop = uuid.uuid4(), uuid.uuid4()
    today = date.today()
    async with db.transaction():
        await db.execute(
            "INSERT INTO property (id, customer_id, city, district, address, layout, created_at)"
            " VALUES ($1, $2, '上海', '浦东新区', $3, '', $4)",
            prop, customer["id"], f"测试路{random.randint(1, 999)}号", clock.now())
        await db.execute(
            "INSERT INTO project (id, number, title, customer_id, property_id, project_type, "
            "contract_amount_fen, region_id, status, current_stage, design_notes, created_at) "
            "VALUES ($1, $2, $3, $4, $5, 'full_renovation', 12345600, $6, 'active', 'production', "
            "'', $7)",
            pid, f"P-{pid.hex[:10]}", f"Project {pid.hex[:6]}", customer["id"], prop, region_id,
            clock.now())
        milestones = []
        for pos in range(stages):
            mid = uuid.uuid4()
            milestones.append(mid)
            status = "done" if pos < current else ("in_progress" if pos == current else "pending")
            await db.execute(
                "INSERT INTO milestone (id, project_id, position, code, name_zh, name_en, status, "
                "planned_start, planned_end, delay_reason, customer_visible, requires_signoff) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', TRUE, FALSE)",
                mid, pid, pos, f"stage{pos}", f"阶段{pos}", f"Stage {pos}", status,
                today + timedelta(days=pos * 5 - 15), today + timedelta(days=pos * 5 - 10))
    return {"id": pid, "customer": customer, "milestones": milestones, "region_id": region_id}


async def make_ticket(db: Database, *, customer: dict[str, Any],
                      project: dict[str, Any] | None = None, region_id: uuid.UUID | None = None,
                      public_text: str = "We will come on Monday.",
                      internal_text: str = "INTERNAL: customer is difficult") -> dict[str, Any]:
    tid = uuid.uuid4()
    now = clock.now()
    async with db.transaction():
        await db.execute(
            "INSERT INTO ticket (id, number, customer_id, project_id, channel, category, "
            "priority, status, subject, description, preferred_windows, region_id, "
            "warranty_status, sla_snapshot, reopen_count, created_at, updated_at) VALUES ($1, $2, "
            "$3, $4, 'portal', 'repair', 'normal', 'open', $5, 'Door hinge broken', '[]', $6, "
            "'unknown', '{}', 0, $7, $7)",
            tid, f"T-{tid.hex[:10]}", customer["id"], project["id"] if project else None,
            f"Ticket {tid.hex[:6]}", region_id, now)
        await db.execute(
            "INSERT INTO ticket_message (id, ticket_id, author_customer_id, body, internal, "
            "created_at) VALUES ($1, $2, $3, 'The hinge broke.', FALSE, $4)",
            uuid.uuid4(), tid, customer["id"], now)
        await db.execute(
            "INSERT INTO ticket_message (id, ticket_id, body, internal, created_at) VALUES "
            "($1, $2, $3, FALSE, $4)", uuid.uuid4(), tid, public_text, now + timedelta(seconds=1))
        await db.execute(
            "INSERT INTO ticket_message (id, ticket_id, body, internal, created_at) VALUES "
            "($1, $2, $3, TRUE, $4)", uuid.uuid4(), tid, internal_text, now + timedelta(seconds=2))
    return {"id": tid, "customer": customer}


async def make_work_order(db: Database, *, project: dict[str, Any],
                          technician: dict[str, Any] | None, kind: str = "install",
                          start: datetime | None = None,
                          ticket: dict[str, Any] | None = None) -> dict[str, Any]:
    wid = uuid.uuid4()
    start = start or clock.now() + timedelta(hours=2)
    checklist = [{"key": "level", "label_zh": "调平", "label_en": "Level", "required": True,
                  "requires_photo": False, "done": False}]
    async with db.transaction():
        await db.execute(
            "INSERT INTO work_order (id, number, kind, status, customer_id, project_id, ticket_id,"
            " technician_id, window_start, window_end, address, checklist, notes, parts, version,"
            " created_at, updated_at) VALUES ($1, $2, $3, 'scheduled', $4, $5, $6, $7, $8, $9, "
            "'Test road 1', $10, '', '[]', 1, $11, $11)",
            wid, f"W-{wid.hex[:10]}", kind, project["customer"]["id"], project["id"],
            ticket["id"] if ticket else None, technician["id"] if technician else None, start,
            start + timedelta(hours=2), json.dumps(checklist), clock.now())
    return {"id": wid, "project": project}


async def make_media(db: Database, *, project: dict[str, Any], customer_visible: bool = True,
                     caption: str = "Cabinets installed") -> dict[str, Any]:
    """A stored photo with real JPEG variants in storage."""
    import io

    from PIL import Image

    from backend.media.pipeline import process_photo
    from backend.media.storage_access import get_storage

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (random.randint(0, 255), 120, 90)).save(buf, "JPEG")
    processed = process_photo(buf.getvalue())
    storage = get_storage()
    thumb = await storage.put(processed.variants["thumb"].data, suffix=".jpg")
    display = await storage.put(processed.variants["display"].data, suffix=".jpg")
    mid = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO media (id, sha256, kind, project_id, caption, customer_visible, width, "
            "height, thumb_key, display_key, created_at) VALUES ($1, $2, 'photo', $3, $4, $5, "
            "$6, $7, $8, $9, $10)",
            mid, processed.sha256, project["id"], caption, customer_visible, processed.width,
            processed.height, thumb, display, clock.now())
    return {"id": mid}
