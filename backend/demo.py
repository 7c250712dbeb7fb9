"""Seed the bilingual demo company: idempotent (does nothing when staff already exist)."""

from __future__ import annotations

import io
import json
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from backend import clock
from backend.access import SYSTEM
from backend.accounts.passwords import hash_password
from backend.audit import services as audit
from backend.db import Database
from backend.demo_data import (
    CAPTIONS,
    CHECKLISTS,
    CITIES,
    CUSTOMER_NAMES,
    DELAY_REASONS,
    DEMO_HOMEOWNER_PHONE,
    DEMO_PASSWORD,
    PRODUCT_LINES,
    REGIONS,
    STAFF,
    STAGES,
    TEAMS,
    TICKET_SUBJECTS,
)
from backend.media.pipeline import process_photo
from backend.media.storage_access import get_storage
from backend.reports import facts
from backend.rules.shipped import seed_rules
from backend.tickets.admin import seed_desk_demo

__all__ = ["DEMO_PASSWORD", "seed_demo"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKET_STATES = ["new", "open", "waiting", "scheduled", "resolved", "closed"]


def _ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def _site_photo(rng: random.Random, label: str) -> bytes:
    """A plausible 'site photo': walls, floor and cabinets in random tones."""
    img = Image.new("RGB", (960, 720), (rng.randint(200, 240),) * 3)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 480, 960, 720], fill=(rng.randint(120, 170), rng.randint(90, 120), 70))
    tone = (rng.randint(180, 250), rng.randint(170, 240), rng.randint(150, 220))
    for i in range(rng.randint(3, 6)):
        x = 60 + i * 150
        draw.rectangle([x, 220, x + 140, 480], fill=tone, outline=(90, 90, 90), width=3)
        draw.rectangle([x + 110, 330, x + 118, 380], fill=(80, 80, 80))
    draw.rectangle([40, 200, 920, 222], fill=(60, 60, 60))
    draw.text((40, 660), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


async def seed_demo(db: Database, *, photos: bool = True) -> dict[str, str]:
    """Create the demo company once; returns the sign-in identifiers to print."""
    accounts = {key: email for key, email, *_ in STAFF}
    accounts["homeowner"] = DEMO_HOMEOWNER_PHONE
    if await db.fetchval("SELECT count(*) AS n FROM staff_user"):
        return accounts
    rng = random.Random(20261124)
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    password_hash = hash_password(DEMO_PASSWORD)
    stored: list[tuple[Any, ...]] = []
    async with db.transaction():
        region_ids = {code: uuid.uuid4() for code, *_ in REGIONS}
        for code, zh, en in REGIONS:
            await db.execute("INSERT INTO region (id, code, name_zh, name_en) VALUES "
                             "($1, $2, $3, $4)", region_ids[code], code, zh, en)
        team_ids = {code: uuid.uuid4() for code, *_ in TEAMS}
        for code, zh, en in TEAMS:
            await db.execute("INSERT INTO team (id, region_id, name_zh, name_en) VALUES "
                             "($1, $2, $3, $4)", team_ids[code], region_ids[code], zh, en)
        staff: dict[str, uuid.UUID] = {}
        for i, (key, email, name, role, region, lead, skills, lang) in enumerate(STAFF):
            staff[key] = uuid.uuid4()
            await db.execute(
                "INSERT INTO staff_user (id, email, name, phone, role, region_id, team_id, "
                "is_team_lead, skills, language, timezone, password_hash, failed_logins, "
                "active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                "'Asia/Shanghai', $11, 0, TRUE, $12)",
                staff[key], email, name, f"+861390000{i:04d}", role,
                region_ids.get(region) if region else None,
                team_ids.get(region) if region else None, lead, skills, lang, password_hash,
                now - timedelta(days=400),
            )
        lines: dict[str, uuid.UUID] = {}
        for code, zh, en, months in PRODUCT_LINES:
            lines[code] = uuid.uuid4()
            await db.execute(
                "INSERT INTO product_line (id, code, name_zh, name_en, warranty_months, "
                "terms_zh, terms_en) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                lines[code], code, zh, en, months, f"自验收之日起质保{months}个月。",
                f"Warranty of {months} months from the acceptance date.")
        template_id = uuid.uuid4()
        await db.execute("INSERT INTO milestone_template (id, name_zh, name_en, project_type, "
                         "active) VALUES ($1, $2, $3, 'full_renovation', TRUE)",
                         template_id, "全屋定制标准流程", "Standard custom-home process")
        for pos, (code, zh, en, days, signoff) in enumerate(STAGES):
            await db.execute(
                "INSERT INTO template_stage (id, template_id, position, code, name_zh, name_en, "
                "default_days, customer_visible, requires_signoff) VALUES ($1, $2, $3, $4, $5, "
                "$6, $7, TRUE, $8)",
                uuid.uuid4(), template_id, pos, code, zh, en, days, signoff)
        for kind, items in CHECKLISTS.items():
            await db.execute(
                "INSERT INTO checklist_template (id, kind, items) VALUES ($1, $2, $3)",
                uuid.uuid4(), kind, json.dumps([
                    {"key": k, "label_zh": zh, "label_en": en, "required": req,
                     "requires_photo": photo} for k, zh, en, req, photo in items
                ], ensure_ascii=False))
        customers = await _seed_customers(db, rng, now, region_ids)
        projects = await _seed_projects(db, rng, now, today, customers, staff, region_ids,
                                        team_ids, lines, template_id)
        await _seed_work_orders(db, rng, now, today, projects, staff)
        await _seed_tickets(db, rng, now, customers, projects, staff, lines)
        await _seed_surveys(db, rng, now, customers)
        await seed_desk_demo(db)
        await seed_rules(db)  # the shipped, editable notification rules
        if photos:
            stored = await _seed_photos(db, rng, now, projects, staff)
        await facts.rebuild(db)  # rows above were inserted directly, not through services
        work_orders = await db.fetchval("SELECT count(*) AS n FROM work_order")
        for kind, value in (("ticket", 260030), ("work_order", work_orders),
                            ("project", len(projects))):
            await db.execute("INSERT INTO counter (id, value) VALUES ($1, $2)", kind, value)
        await audit.record(db, actor=SYSTEM, action="demo.seeded", object_type="company",
                           object_id="demo", after={"customers": len(customers),
                                                    "projects": len(projects),
                                                    "photos": len(stored)})
    return accounts


async def _seed_customers(db: Database, rng: random.Random, now: datetime,
                          region_ids: dict[str, uuid.UUID]) -> list[dict[str, Any]]:
    customers: list[dict[str, Any]] = []
    for i, name in enumerate(CUSTOMER_NAMES):
        cid = uuid.uuid4()
        english = name.isascii()
        region = "hz" if i % 4 == 3 else "sh"
        city, district, pattern = rng.choice(CITIES[region])
        email = (name.lower().replace(" ", ".") + "@example.com") if english else (
            f"owner{i + 1}@example.cn" if i % 3 == 0 else None)
        await db.execute(
            "INSERT INTO customer (id, name, phone, email, language, timezone, tags, "
            "value_tier, source, consent_service, consent_marketing, quiet_start, quiet_end, "
            "created_at) VALUES ($1, $2, $3, $4, $5, 'Asia/Shanghai', $6, $7, $8, TRUE, $9, "
            "'22:00', '08:00', $10)",
            cid, name, f"+86138000000{i + 1:02d}", email, "en" if english else "zh_CN",
            json.dumps(["vip"] if i % 9 == 0 else []), "vip" if i % 9 == 0 else "standard",
            rng.choice(["showroom", "referral", "online", "walk_in"]), i % 5 == 0,
            now - timedelta(days=300 - i * 3))
        property_id = uuid.uuid4()
        address = pattern.format(n=rng.randint(10, 999), m=rng.randint(1, 30),
                                 r=rng.randint(101, 2402))
        await db.execute(
            "INSERT INTO property (id, customer_id, city, district, address, layout, area_sqm, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            property_id, cid, city, district, address,
            rng.choice(["两室一厅", "三室两厅", "四室两厅"]),
            float(rng.randint(60, 180)), now - timedelta(days=300 - i * 3))
        customers.append({"id": cid, "name": name, "region": region, "property": property_id,
                          "address": f"{city}{district}{address}", "index": i})
    # The demo homeowner invited a family member, who signs in with their own code.
    await db.execute(
        "INSERT INTO household_member (id, owner_id, member_id, relation, created_at) VALUES "
        "($1, $2, $3, 'spouse', $4)", uuid.uuid4(), customers[0]["id"], customers[49]["id"],
        now - timedelta(days=20))
    return customers


async def _seed_projects(db: Database, rng: random.Random, now: datetime, today: date,
                         customers: list[dict[str, Any]], staff: dict[str, uuid.UUID],
                         region_ids: dict[str, uuid.UUID], team_ids: dict[str, uuid.UUID],
                         lines: dict[str, uuid.UUID], template_id: uuid.UUID
                         ) -> list[dict[str, Any]]:
    projects: list[dict[str, Any]] = []
    for i, cust in enumerate(customers[:48]):
        pid = uuid.uuid4()
        current = i % len(STAGES)  # every stage is represented
        if i == 0:
            current = 5  # the demo homeowner is at installation, with a pending change
        delayed = i % 5 == 2
        duration = sum(d for _, _, _, d, _ in STAGES[:7])
        start = today - timedelta(days=sum(d for _, _, _, d, _ in STAGES[:current]) + 2)
        accepted = None
        if current == 7:
            accepted = today - timedelta(days=rng.randint(30, 700))
            start = accepted - timedelta(days=duration)
        lines_used = rng.sample(sorted(lines), k=2)
        await db.execute(
            "INSERT INTO project (id, number, title, customer_id, property_id, project_type, "
            "contract_amount_fen, region_id, team_id, designer_id, project_manager_id, "
            "installer_lead_id, template_id, status, current_stage, accepted_on, design_notes, "
            "created_at) VALUES ($1, $2, $3, $4, $5, 'full_renovation', $6, $7, $8, $9, $10, "
            "$11, $12, $13, $14, $15, $16, $17)",
            pid, f"P-{i + 1:06d}",
            ("Home of " + cust["name"]) if cust["name"].isascii() else f"{cust['name']}的家",
            cust["id"], cust["property"], rng.randint(30_000, 400_000) * 100,
            region_ids[cust["region"]], team_ids[cust["region"]], staff["designer"],
            staff["pm"], staff["technician"] if cust["region"] == "sh" else staff["technician2"],
            template_id, "active" if current < 7 else "completed", STAGES[current][0], accepted,
            "厨房L型布局，吊柜到顶；主卧衣柜带灯带。", datetime.combine(start, time(2), UTC))
        for code in lines_used:
            await db.execute("INSERT INTO project_product (id, project_id, product_line_id, "
                             "description) VALUES ($1, $2, $3, '')", uuid.uuid4(), pid,
                             lines[code])
        cursor = start
        milestone_ids: dict[str, uuid.UUID] = {}
        for pos, (code, zh, en, days, signoff) in enumerate(STAGES):
            mid = uuid.uuid4()
            milestone_ids[code] = mid
            planned_start, planned_end = cursor, cursor + timedelta(days=days)
            cursor = planned_end
            status = "done" if pos < current else ("in_progress" if pos == current else
                                                   "pending")
            estimated, reason = None, ""
            if delayed and pos == current and code != "warranty":
                estimated = planned_end + timedelta(days=rng.randint(3, 10))
                reason = rng.choice(DELAY_REASONS)
            await db.execute(
                "INSERT INTO milestone (id, project_id, position, code, name_zh, name_en, "
                "status, planned_start, planned_end, estimated_end, actual_start, actual_end, "
                "delay_reason, customer_visible, requires_signoff, signed_off_at) VALUES ($1, "
                "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, TRUE, $14, $15)",
                mid, pid, pos, code, zh, en, status, planned_start, planned_end, estimated,
                planned_start if status != "pending" else None,
                planned_end if status == "done" else None, reason, signoff,
                now - timedelta(days=5) if signoff and status == "done" else None)
        projects.append({"id": pid, "customer": cust, "stage": STAGES[current][0],
                         "milestones": milestone_ids, "index": i, "lines": lines_used,
                         "accepted": accepted})
        if i % 6 == 0 and current in (1, 2, 3, 4, 5):
            await db.execute(
                "INSERT INTO change_request (id, project_id, milestone_id, title, description, "
                "cost_delta_fen, schedule_delta_days, status, deadline, raised_by_id, "
                "created_at, decision_note) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, "
                "$9, $10, '')",
                uuid.uuid4(), pid, milestone_ids[STAGES[current][0]],
                "吊柜改为到顶设计" if i % 12 == 0 else "Add a pull-out pantry unit",
                "将吊柜高度由720mm改为到顶，增加储物空间。", 380_000, 3,
                now + timedelta(days=3), staff["designer"], now - timedelta(days=1))
    return projects


async def _seed_work_orders(db: Database, rng: random.Random, now: datetime, today: date,
                            projects: list[dict[str, Any]], staff: dict[str, uuid.UUID]) -> None:
    kinds = {"measure": "measure", "delivery": "delivery", "install": "install",
             "acceptance": "inspection", "production": "delivery"}
    n = 0
    for p in projects:
        kind = kinds.get(p["stage"])
        if not kind:
            continue
        n += 1
        day = today + timedelta(days=(n % 5))
        hour = 9 + (n % 4) * 2
        start = datetime.combine(day, time(hour), SHANGHAI).astimezone(UTC)
        tech = staff["technician"] if p["customer"]["region"] == "sh" else staff["technician2"]
        checklist = [{"key": k, "label_zh": zh, "label_en": en, "required": req,
                      "requires_photo": ph, "done": False}
                     for k, zh, en, req, ph in CHECKLISTS[kind]]
        await db.execute(
            "INSERT INTO work_order (id, number, kind, status, customer_id, project_id, "
            "milestone_id, technician_id, window_start, window_end, address, checklist, notes, "
            "parts, version, created_at, updated_at) VALUES ($1, $2, $3, 'scheduled', $4, $5, "
            "$6, $7, $8, $9, $10, $11, '', '[]', 1, $12, $12)",
            uuid.uuid4(), f"W-{n:06d}", kind, p["customer"]["id"], p["id"],
            p["milestones"][p["stage"]], tech, start, start + timedelta(hours=2),
            p["customer"]["address"], json.dumps(checklist, ensure_ascii=False),
            now - timedelta(days=2))


async def _seed_tickets(db: Database, rng: random.Random, now: datetime,
                        customers: list[dict[str, Any]], projects: list[dict[str, Any]],
                        staff: dict[str, uuid.UUID], lines: dict[str, uuid.UUID]) -> None:
    delivered = [p for p in projects if p["stage"] in ("acceptance", "warranty")]
    delivered.insert(0, projects[0])
    for n in range(30):
        p = delivered[n % len(delivered)]
        status = TICKET_STATES[n % len(TICKET_STATES)]
        category, zh, en = TICKET_SUBJECTS[n % len(TICKET_SUBJECTS)]
        english = p["customer"]["name"].isascii()
        created = now - timedelta(hours=3 + n * 11)
        tid = uuid.uuid4()
        accepted = p["accepted"]
        line_code = p["lines"][0]
        warranty_until = None
        warranty = "unknown"
        if accepted:
            months = next(m for c, _, _, m in PRODUCT_LINES if c == line_code)
            warranty_until = accepted + timedelta(days=int(months * 30.44))
            warranty = "in_warranty" if warranty_until >= now.date() else "expired"
        await db.execute(
            "INSERT INTO ticket (id, number, customer_id, project_id, product_line_id, channel, "
            "category, priority, status, subject, description, preferred_windows, assignee_id, "
            "region_id, warranty_status, warranty_until, sla_snapshot, reopen_count, "
            "created_at, updated_at, resolved_at, first_responded_at) VALUES ($1, $2, $3, $4, "
            "$5, $6, $7, $8, $9, $10, $11, '[]', $12, (SELECT region_id FROM project WHERE "
            "id = $4), $13, $14, '{}', $15, $16, $16, $17, $18)",
            tid, f"T{260001 + n}", p["customer"]["id"], p["id"], lines[line_code],
            "portal" if n % 3 else "phone", category,
            ["normal", "high", "urgent", "low"][n % 4], status, en if english else zh,
            (en if english else zh) + ("。" if not english else "."),
            staff["agent"] if status != "new" else None, warranty, warranty_until,
            1 if n % 7 == 0 else 0, created,
            created + timedelta(hours=20) if status in ("resolved", "closed") else None,
            created + timedelta(hours=1) if status != "new" else None)
        await db.execute(
            "INSERT INTO ticket_status_change (id, ticket_id, from_status, to_status, at) "
            "VALUES ($1, $2, NULL, 'new', $3)", uuid.uuid4(), tid, created)
        if status != "new":
            await db.execute(
                "INSERT INTO ticket_message (id, ticket_id, author_staff_id, body, internal, "
                "created_at) VALUES ($1, $2, $3, $4, FALSE, $5)", uuid.uuid4(), tid,
                staff["agent"], "您好，我们已收到您的报修，会尽快安排师傅上门。" if not english else
                "Thanks, we have your request and will schedule a technician.",
                created + timedelta(hours=1))
            await db.execute(
                "INSERT INTO ticket_message (id, ticket_id, author_staff_id, body, internal, "
                "created_at) VALUES ($1, $2, $3, $4, TRUE, $5)", uuid.uuid4(), tid,
                staff["agent"], "内部备注：客户上次投诉过安装延期，注意沟通语气。",
                created + timedelta(hours=1, minutes=5))


async def _seed_surveys(db: Database, rng: random.Random, now: datetime,
                        customers: list[dict[str, Any]]) -> None:
    for n, cust in enumerate(customers[:40]):
        kind = "nps" if n % 2 == 0 else "csat"
        score = rng.choice([10, 9, 9, 8, 7, 10, 6, 3]) if kind == "nps" else rng.choice(
            [5, 5, 4, 4, 3, 2])
        sid = uuid.uuid4()
        sent = now - timedelta(days=n * 2 + 1)
        await db.execute(
            "INSERT INTO survey (id, kind, customer_id, trigger, token_hash, sent_at, "
            "expires_at, used_at) VALUES ($1, $2, $3, 'install_completed', $4, $5, $6, $7)",
            sid, kind, cust["id"], uuid.uuid4().hex, sent, sent + timedelta(days=14),
            sent + timedelta(hours=5))
        await db.execute(
            "INSERT INTO survey_response (id, survey_id, customer_id, kind, score, comment, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            uuid.uuid4(), sid, cust["id"], kind, score,
            "师傅很专业，现场很干净。" if score >= 8 or (kind == "csat" and score >= 4)
            else "工期拖延，沟通不及时。", sent + timedelta(hours=5))


async def _seed_photos(db: Database, rng: random.Random, now: datetime,
                       projects: list[dict[str, Any]], staff: dict[str, uuid.UUID]
                       ) -> list[tuple[Any, ...]]:
    storage = get_storage()
    stored: list[tuple[Any, ...]] = []
    for p in projects[:10]:
        for k in range(4):
            zh, en = CAPTIONS[(p["index"] + k) % len(CAPTIONS)]
            processed = process_photo(_site_photo(rng, en))
            thumb = await storage.put(processed.variants["thumb"].data, suffix=".jpg")
            display = await storage.put(processed.variants["display"].data, suffix=".jpg")
            stage = p["stage"] if p["stage"] in p["milestones"] else "install"
            await db.execute(
                "INSERT INTO media (id, sha256, kind, project_id, milestone_id, "
                "uploaded_by_staff_id, caption, customer_visible, width, height, thumb_key, "
                "display_key, created_at) VALUES ($1, $2, 'photo', $3, $4, $5, $6, $7, $8, $9, "
                "$10, $11, $12)",
                uuid.uuid4(), processed.sha256, p["id"], p["milestones"][stage],
                staff["technician"], zh, k != 3, processed.width, processed.height, thumb,
                display, now - timedelta(days=k, hours=p["index"]))
            stored.append((thumb, display))
    return stored
