"""The desk over HTTP: queue (filters, views, search, polling, constant queries), ticket
actions, dispatch, customers, admin pages, and who may see what."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from backend import clock
from backend.db import Database, get_db, set_db
from backend.tickets.admin import seed_sla_defaults
from tests import factories as f

pytestmark = pytest.mark.http


class CountingDatabase(Database):
    """Delegates to the real handle and counts statements (the N+1 detector)."""

    def __init__(self, inner: Database) -> None:
        self.inner, self.kind, self.count = inner, inner.kind, 0

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        self.count += 1
        return await self.inner.fetch(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        self.count += 1
        await self.inner.execute(sql, *args)

    async def executemany(self, sql: str, rows: Any) -> None:
        self.count += 1
        await self.inner.executemany(sql, rows)

    def transaction(self):  # type: ignore[no-untyped-def]
        return self.inner.transaction()

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
async def desk(db) -> dict[str, Any]:
    async with db.transaction():
        await seed_sla_defaults(db)
    region = await f.make_region(db)
    other = await f.make_region(db)
    people = {
        "admin": await f.make_staff(db, role="admin"),
        "agent": await f.make_staff(db, role="service_agent", region_id=region),
        "dispatcher": await f.make_staff(db, role="dispatcher", region_id=region),
        "outsider": await f.make_staff(db, role="service_agent", region_id=other),
        "tech": await f.make_staff(db, role="technician", region_id=region),
    }
    customer = await f.make_customer(db, name=f"Desk {uuid.uuid4().hex[:6]}")
    project = await f.make_project(db, customer=customer, region_id=region)
    ticket = await f.make_ticket(db, customer=customer, project=project, region_id=region,
                                 internal_text="INTERNAL-DESK-NOTE hidden")
    return {"region": region, "customer": customer, "project": project, "ticket": ticket,
            **people}


async def _as(client, person: dict[str, Any]) -> None:
    await client.sign_in(realm="staff", subject_id=person["id"])


async def test_queue_filters_views_search_and_polling(client, desk) -> None:
    await _as(client, desk["agent"])
    page = await client.get("/desk/")
    assert page.status_code == 200
    number = (await get_db().fetchval("SELECT number FROM ticket WHERE id = $1",
                                      desk["ticket"]["id"]))
    assert number in page.text and 'hx-trigger="every 30s"' in page.text
    assert f'href="/desk/tickets/{desk["ticket"]["id"]}"' in page.text
    phone = desk["customer"]["phone"]  # +86139xxxxxxxx, searched as typed by a person
    spaced = f"{phone[3:6]} {phone[6:10]} {phone[10:]}"
    assert number in (await client.get("/desk/", params={"q": spaced})).text
    assert number in (await client.get("/desk/", params={"q": number.lower()})).text
    assert number not in (await client.get("/desk/", params={"q": "zzz-no-match"})).text
    assert number in (await client.get("/desk/", params={"view": "unassigned"})).text
    assert number not in (await client.get("/desk/", params={"view": "mine"})).text
    for params in ({"sla": "breached"}, {"status": "open", "category": "repair",
                                         "sort": "newest"}, {"warranty": "unknown"},
                   {"channel": "portal", "priority": "normal"}, {"sort": "priority"},
                   {"region": str(desk["region"])}, {"assignee": "none"}, {"page": "2"}):
        assert (await client.get("/desk/", params=params)).status_code == 200
    fragment = await client.get("/desk/", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith("<div id=\"queue\"") and "<html" not in fragment.text


async def test_queue_runs_a_constant_number_of_queries(client, desk) -> None:
    db = get_db()
    await _as(client, desk["agent"])
    counting = CountingDatabase(db)

    async def count() -> int:
        set_db(counting)
        counting.count = 0
        try:
            assert (await client.get("/desk/")).status_code == 200
        finally:
            set_db(db)
        return counting.count

    few = await count()
    for _ in range(12):
        await f.make_ticket(db, customer=desk["customer"], project=desk["project"],
                            region_id=desk["region"])
    assert await count() == few


async def test_bulk_assign_and_priority(client, desk) -> None:
    db = get_db()
    second = await f.make_ticket(db, customer=desk["customer"], project=desk["project"],
                                 region_id=desk["region"])
    ids = [str(desk["ticket"]["id"]), str(second["id"])]
    await _as(client, desk["dispatcher"])
    r = await client.post_form("/desk/tickets/bulk", {"ticket": ids, "action": "assign",
                                                      "assignee": str(desk["agent"]["id"])})
    assert r.status_code == 303
    r = await client.post_form("/desk/tickets/bulk", {"ticket": ids, "action": "priority",
                                                      "priority": "urgent"})
    assert r.status_code == 303
    rows = await db.fetch("SELECT assignee_id, priority FROM ticket WHERE id IN ($1, $2)",
                          desk["ticket"]["id"], second["id"])
    assert all(r["assignee_id"] == desk["agent"]["id"] and r["priority"] == "urgent"
               for r in rows)
    await _as(client, desk["agent"])  # agents may not assign
    r = await client.post_form("/desk/tickets/bulk", {"ticket": ids, "action": "assign"})
    assert r.status_code == 403


async def test_ticket_actions_and_internal_notes_stay_internal(client, desk) -> None:
    db = get_db()
    tid = desk["ticket"]["id"]
    url = f"/desk/tickets/{tid}"
    await _as(client, desk["agent"])
    page = await client.get(url)
    assert page.status_code == 200 and "INTERNAL-DESK-NOTE" in page.text
    # The composer makes the choice explicit: no visibility, no message (input kept).
    r = await client.post_form(f"{url}/messages", {"body": "Draft kept here"})
    assert r.status_code == 400 and "Draft kept here" in r.text
    r = await client.post_form(f"{url}/messages", {"body": "NOTE-ONLY-STAFF xyz",
                                                   "visibility": "internal"})
    assert r.status_code == 303
    r = await client.post_form(f"{url}/messages", {"body": "Public answer abc",
                                                   "visibility": "public",
                                                   "then_status": "waiting"})
    assert r.status_code == 303
    t = await db.fetchrow("SELECT * FROM ticket WHERE id = $1", tid)
    assert t["status"] == "waiting" and t["first_responded_at"] is not None
    for op in ({"op": "fields", "category": "leak", "priority": "high"},
               {"op": "status", "status": "open"},
               {"op": "link", "target": f"{desk['project']['id']}:"
                                         f"{desk['project']['milestones'][2]}"}):
        assert (await client.post_form(f"{url}/update", op)).status_code == 303
    t = await db.fetchrow("SELECT * FROM ticket WHERE id = $1", tid)
    assert (t["category"], t["priority"], t["status"]) == ("leak", "high", "open")
    assert t["milestone_id"] == desk["project"]["milestones"][2]
    assert (await client.post_form(f"{url}/update", {"op": "status", "status": "bogus"})
            ).status_code == 400
    # The homeowner sees the public answer, never the notes.
    await client.sign_in(realm="customer", subject_id=desk["customer"]["id"])
    portal = await client.get(f"/portal/tickets/{tid}")
    assert portal.status_code == 200 and "Public answer abc" in portal.text
    assert "NOTE-ONLY-STAFF" not in portal.text and "INTERNAL-DESK-NOTE" not in portal.text
    for path in ("/portal/", "/portal/tickets"):
        assert "NOTE-ONLY-STAFF" not in (await client.get(path)).text
    payloads = await db.fetch("SELECT payload FROM outbox_event WHERE aggregate_id = $1",
                              str(tid))
    assert payloads and all("NOTE-ONLY-STAFF" not in p["payload"] for p in payloads)


async def test_region_bound_agent_cannot_open_or_change_other_regions(client, desk) -> None:
    tid = desk["ticket"]["id"]
    await _as(client, desk["outsider"])
    assert (await client.get(f"/desk/tickets/{tid}")).status_code == 404
    assert (await client.get(f"/desk/tickets/{tid}/dispatch")).status_code == 404
    r = await client.post_form(f"/desk/tickets/{tid}/update", {"op": "status",
                                                               "status": "closed"})
    assert r.status_code == 404
    r = await client.post_form(f"/desk/tickets/{tid}/messages", {"body": "x",
                                                                 "visibility": "public"})
    assert r.status_code == 404
    number = await get_db().fetchval("SELECT number FROM ticket WHERE id = $1", tid)
    assert f"/desk/tickets/{tid}" not in (await client.get("/desk/", params={"q": number})).text
    assert (await client.get(f"/desk/customers/{desk['customer']['id']}")).status_code == 404


async def test_dispatch_and_propose_windows(client, desk) -> None:
    db = get_db()
    tid = desk["ticket"]["id"]
    await _as(client, desk["dispatcher"])
    form = await client.get(f"/desk/tickets/{tid}/dispatch")
    assert form.status_code == 200
    slots = re.findall(rf'name="slot" value="({desk["tech"]["id"]}\|[^"]+)"', form.text)
    assert slots
    slot = slots[0].replace("&#43;", "+")
    r = await client.post_form(f"/desk/tickets/{tid}/dispatch", {"kind": "repair",
                                                                 "slot": slot})
    assert r.status_code == 303, r.text[:500]
    again = await client.post_form(f"/desk/tickets/{tid}/dispatch", {"kind": "repair",
                                                                     "slot": slot})
    assert again.status_code == 400  # the same window is taken now
    assert await db.fetchval("SELECT count(*) AS n FROM work_order WHERE ticket_id = $1",
                             tid) == 1
    windows = re.findall(r'name="window" value="([^"]+)"', again.text)
    r = await client.post_form(f"/desk/tickets/{tid}/propose",
                               {"window": [w.replace("&#43;", "+") for w in windows[:2]]})
    assert r.status_code == 303
    assert (await db.fetchval("SELECT status FROM ticket WHERE id = $1", tid)) == "waiting"
    await _as(client, desk["agent"])  # agents cannot dispatch
    r = await client.post_form(f"/desk/tickets/{tid}/dispatch", {"kind": "repair",
                                                                 "slot": slot})
    assert r.status_code == 403


async def test_customers_search_phone_ticket_and_merge(client, desk) -> None:
    db = get_db()
    await _as(client, desk["agent"])
    phone = desk["customer"]["phone"]
    r = await client.get("/desk/customers", params={"q": f"{phone[3:6]}-{phone[6:]}"})
    assert desk["customer"]["name"] in r.text
    cid = desk["customer"]["id"]
    r = await client.post_form(f"/desk/customers/{cid}/tickets", {
        "subject": "Called about a drawer", "category": "door_drawer", "priority": "high",
        "project": str(desk["project"]["id"])})
    assert r.status_code == 303
    t = await db.fetchrow("SELECT * FROM ticket WHERE subject = 'Called about a drawer' AND "
                          "customer_id = $1", cid)
    assert t["channel"] == "phone" and t["region_id"] == desk["region"]
    assert t["resolution_due"] is not None
    r = await client.post_form(f"/desk/customers/{cid}/tickets", {"subject": "",
                                                                  "category": "repair"})
    assert r.status_code == 400
    dup = await f.make_customer(db, name="Dup person", phone=f"{phone[3:6]} {phone[6:]}")
    await f.make_ticket(db, customer=dup, region_id=desk["region"])
    await _as(client, desk["admin"])
    page = await client.get(f"/desk/customers/{cid}")
    assert "Dup person" in page.text
    r = await client.post_form(f"/desk/customers/{cid}/merge", {"duplicate": str(dup["id"])})
    assert r.status_code == 303
    assert await db.fetchval("SELECT merged_into_id FROM customer WHERE id = $1",
                             dup["id"]) == cid


async def test_admin_pages_changes_and_audit_view(client, desk) -> None:
    await _as(client, desk["admin"])
    for section in ("sla", "staff", "products", "checklists"):
        assert (await client.get("/desk/admin", params={"section": section})).status_code == 200
    sla = (await client.get("/desk/admin")).text
    assert "not the published one" in sla  # 2027 arrangement unpublished
    r = await client.post_form("/desk/admin", {"op": "policy", "category": "question",
                                               "priority": "low",
                                               "first_response_minutes": "480",
                                               "resolution_minutes": "2400",
                                               "active": "on"})
    assert r.status_code == 303
    r = await client.post_form("/desk/admin", {"op": "policy", "category": "question",
                                               "priority": "low",
                                               "first_response_minutes": "480",
                                               "resolution_minutes": "10"})
    assert r.status_code == 400 and 'value="480"' in r.text
    cal_id = await get_db().fetchval("SELECT id FROM business_calendar WHERE is_default = TRUE")
    assert (await client.get(f"/desk/admin/calendars/{cal_id}")).status_code == 200
    r = await client.post_form("/desk/admin", {"op": "calendar", "name": "Broken",
                                               "data": "{not json"})
    assert r.status_code == 400
    r = await client.post_form("/desk/admin", {"op": "staff",
                                               "staff_id": str(desk["tech"]["id"]),
                                               "role": "technician",
                                               "region_id": str(desk["region"]),
                                               "skills": "Repair, Doors", "active": "on"})
    assert r.status_code == 303
    audit = await client.get(f"/desk/audit/staff_user/{desk['tech']['id']}")
    assert audit.status_code == 200 and "staff_user.updated" in audit.text
    r = await client.post_form("/desk/admin", {"op": "checklist", "kind": "repair",
                                               "items": "fix | 修复 | Fixed | yes | yes"})
    assert r.status_code == 303
    await _as(client, desk["agent"])
    assert (await client.get("/desk/admin")).status_code == 403
    assert (await client.get(f"/desk/audit/staff_user/{desk['tech']['id']}")).status_code \
        == 403


async def test_explain_view_on_ticket_page(client, desk) -> None:
    await _as(client, desk["agent"])
    with clock.frozen(clock.now().replace(microsecond=0) - timedelta(minutes=1)):
        r = await client.post_form(f"/desk/customers/{desk['customer']['id']}/tickets", {
            "subject": "Explain me", "category": "repair", "priority": "normal"})
    page = await client.get(r.headers["location"])
    assert "How was this computed?" in page.text and "Clock started" in page.text


async def test_projects_from_template_plan_team_and_change_request(client, desk) -> None:
    db = get_db()
    template = uuid.uuid4()
    async with db.transaction():
        await db.execute("INSERT INTO milestone_template (id, name_zh, name_en, project_type, "
                         "active) VALUES ($1, '模板', 'Template', 'kitchen', TRUE)", template)
        for pos, (code, days) in enumerate((("measure", 3), ("design", 10), ("install", 2))):
            await db.execute(
                "INSERT INTO template_stage (id, template_id, position, code, name_zh, name_en,"
                " default_days, customer_visible, requires_signoff) VALUES ($1, $2, $3, $4, $4,"
                " $4, $5, TRUE, FALSE)", uuid.uuid4(), template, pos, code, days)
    pm = await f.make_staff(db, role="project_manager", region_id=desk["region"])
    await _as(client, pm)
    cid = desk["customer"]["id"]
    r = await client.post_form(f"/desk/customers/{cid}/projects", {
        "title": "New kitchen", "template": str(template), "start": "2026-12-01",
        "contract": "12345.5"})
    assert r.status_code == 303, r.text[:300]
    url = r.headers["location"]
    pid = uuid.UUID(url.rsplit("/", 1)[1])
    project = await db.fetchrow("SELECT * FROM project WHERE id = $1", pid)
    assert project["contract_amount_fen"] == 1234550 and project["region_id"] == desk["region"]
    stages = await db.fetch("SELECT * FROM milestone WHERE project_id = $1 ORDER BY position",
                            pid)
    assert [str(s["planned_start"]) for s in stages] == ["2026-12-01", "2026-12-04",
                                                         "2026-12-14"]
    assert (await client.get(url)).status_code == 200
    r = await client.post_form(f"{url}/update", {
        "op": "milestone", "milestone_id": str(stages[0]["id"]), "status": "done",
        "planned_start": "2026-12-01", "planned_end": "2026-12-02"})
    assert r.status_code == 303
    done = await db.fetchrow("SELECT * FROM milestone WHERE id = $1", stages[0]["id"])
    assert done["status"] == "done" and done["actual_end"] is not None
    r = await client.post_form(f"{url}/update", {
        "op": "milestone", "milestone_id": str(stages[1]["id"]), "status": "pending",
        "planned_start": "2026-12-10", "planned_end": "2026-12-01"})
    assert r.status_code == 400
    tech = desk["tech"]
    r = await client.post_form(f"{url}/update", {"op": "team",
                                                 "installer_lead_id": str(tech["id"])})
    assert r.status_code == 303
    r = await client.post_form(f"{url}/update", {"op": "change", "title": "Taller cabinets",
                                                 "cost": "800", "days": "3"})
    assert r.status_code == 303
    change = await db.fetchrow("SELECT * FROM change_request WHERE project_id = $1", pid)
    assert change["status"] == "pending" and change["cost_delta_fen"] == 80000
    kinds = {e["kind"] for e in await db.fetch(
        "SELECT kind FROM outbox_event WHERE aggregate_id IN ($1, $2)", str(pid),
        str(change["id"]))}
    assert {"milestone.completed", "change_request.raised"} <= kinds
    await _as(client, desk["outsider"])
    assert (await client.get(url)).status_code == 404
    r = await client.post_form(f"{url}/update", {"op": "change", "title": "x"})
    assert r.status_code in (403, 404)
