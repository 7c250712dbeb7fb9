"""Each shipped rule fires on its event and not otherwise; the scheduler raises events once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from backend import clock
from backend.rules.shipped import seed_rules
from tests import factories as f
from tests.notify_kit import emit, inbox, make_team_with_lead, run

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: outside quiet hours


@pytest.fixture
async def rules(db) -> None:  # type: ignore[no-untyped-def]
    await seed_rules(db)


@pytest.fixture
async def home(db, rules):  # type: ignore[no-untyped-def]
    region = await f.make_region(db)
    customer = await f.make_customer(db, email="home@example.com")
    project = await f.make_project(db, customer=customer, region_id=region)
    team, lead = await make_team_with_lead(db, region)
    pm = await f.make_staff(db, role="project_manager", region_id=region)
    async with db.transaction():
        await db.execute("UPDATE project SET team_id = $2, project_manager_id = $3 "
                         "WHERE id = $1", project["id"], team, pm["id"])
    return {"region": region, "customer": customer, "project": project, "lead": lead, "pm": pm}


def kinds(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["kind"] for r in rows]


async def test_milestone_completed_notifies_the_homeowner_only_on_completion(db, home) -> None:
    with clock.frozen(NOON):
        mid = home["project"]["milestones"][2]
        await emit(db, "milestone.started", "milestone", mid, milestone_id=mid)
        await run(db)
        assert kinds(await inbox(db, home["customer"]["id"])) == []
        await emit(db, "milestone.completed", "milestone", mid, milestone_id=mid)
        await run(db)
    got = await inbox(db, home["customer"]["id"])
    assert kinds(got) == ["milestone_completed"]
    assert "Stage 2" in got[0]["title"] and got[0]["link"].startswith("/portal/projects/")
    assert got[0]["reason"] == "Milestone completed → homeowner"


async def test_overdue_milestone_reaches_pm_and_team_lead_after_24_hours(db, home) -> None:
    mid = home["project"]["milestones"][3]
    with clock.frozen(NOON):
        await emit(db, "milestone.overdue", "milestone", mid, milestone_id=mid, overdue_hours=0)
        await run(db)
        assert kinds(await inbox(db, home["pm"]["id"])) == []
        await emit(db, "milestone.overdue", "milestone", mid, milestone_id=mid,
                   overdue_hours=24)
        await run(db)
    assert kinds(await inbox(db, home["pm"]["id"])) == ["milestone_overdue"]
    assert kinds(await inbox(db, home["lead"]["id"])) == ["milestone_overdue"]
    assert kinds(await inbox(db, home["customer"]["id"])) == []


async def test_unanswered_48h_escalates_the_ticket(db, home) -> None:
    ticket = await f.make_ticket(db, customer=home["customer"], project=home["project"],
                                 region_id=home["region"])
    with clock.frozen(NOON):
        await emit(db, "ticket.unanswered", "ticket", ticket["id"], ticket_id=ticket["id"],
                   hours=24)
        await run(db)
        assert await db.fetchval("SELECT priority FROM ticket WHERE id = $1",
                                 ticket["id"]) == "normal"
        await emit(db, "ticket.unanswered", "ticket", ticket["id"], ticket_id=ticket["id"],
                   hours=48)
        await run(db)
    assert await db.fetchval("SELECT priority FROM ticket WHERE id = $1",
                             ticket["id"]) == "urgent"
    lead_inbox = await inbox(db, home["lead"]["id"])
    assert kinds(lead_inbox) == ["ticket_escalated"] and lead_inbox[0]["urgent"]


async def test_work_order_en_route_notifies_homeowner_not_when_scheduled(db, home) -> None:
    tech = await f.make_staff(db, role="technician", name="Tina Tech")
    wo = await f.make_work_order(db, project=home["project"], technician=tech)
    with clock.frozen(NOON):
        await emit(db, "work_order.scheduled", "work_order", wo["id"], work_order_id=wo["id"])
        await run(db)
        assert kinds(await inbox(db, home["customer"]["id"])) == []
        await emit(db, "work_order.en_route", "work_order", wo["id"], work_order_id=wo["id"])
        await run(db)
    got = await inbox(db, home["customer"]["id"])
    assert kinds(got) == ["work_order_en_route"] and "Tina Tech" in got[0]["body"]


async def test_warranty_reminder_only_within_30_days(db, home) -> None:
    pid, cid = home["project"]["id"], home["customer"]["id"]
    with clock.frozen(NOON):
        await emit(db, "warranty.expiring", "project", pid, project_id=pid, days_left=45,
                   until="2027-01-08", product_en="Cabinets")
        await run(db)
        assert kinds(await inbox(db, cid)) == []
        await emit(db, "warranty.expiring", "project", pid, project_id=pid, days_left=30,
                   until="2026-12-24", product_en="Cabinets")
        await run(db)
    got = await inbox(db, cid)
    assert kinds(got) == ["warranty_expiring"]
    assert "2026-12-24" in got[0]["body"] and "inspection" in got[0]["body"]


async def _answered(db, home, kind: str, score: int):  # type: ignore[no-untyped-def]
    sid = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO survey (id, kind, customer_id, project_id, trigger, token_hash, "
            "sent_at, expires_at, used_at) VALUES ($1, $2, $3, $4, 'install_completed', $5, "
            "$6, $6, $6)", sid, kind, home["customer"]["id"], home["project"]["id"],
            uuid.uuid4().hex, clock.now())
        await db.execute("INSERT INTO survey_response (id, survey_id, customer_id, kind, score, "
                         "comment, created_at) VALUES ($1, $2, $3, $4, $5, '', $6)",
                         uuid.uuid4(), sid, home["customer"]["id"], kind, score, clock.now())
    await emit(db, "survey.answered", "survey", sid, survey_id=sid, score=score)
    return sid


async def test_detractor_opens_recovery_ticket_for_team_lead_with_24h_sla(db, home) -> None:
    cid = home["customer"]["id"]
    with clock.frozen(NOON):
        await _answered(db, home, "nps", 9)
        await _answered(db, home, "csat", 3)
        await run(db)
        assert not await db.fetch("SELECT id FROM ticket WHERE customer_id = $1 AND "
                                  "category = 'recovery'", cid)
        await _answered(db, home, "nps", 4)
        await run(db)
    rows = await db.fetch("SELECT assignee_id, resolution_due, priority FROM ticket "
                          "WHERE customer_id = $1 AND category = 'recovery'", cid)
    assert len(rows) == 1
    assert rows[0]["assignee_id"] == home["lead"]["id"]
    assert rows[0]["resolution_due"] == NOON + timedelta(hours=24)
    assert kinds(await inbox(db, home["lead"]["id"])) == ["recovery_ticket"]


async def test_survey_loop_install_then_governed_then_recovery_follow_up(db, home) -> None:
    cid = home["customer"]["id"]
    tech = await f.make_staff(db, role="technician")
    first = await f.make_work_order(db, project=home["project"], technician=tech)
    second = await f.make_work_order(db, project=home["project"], technician=tech)
    measure = await f.make_work_order(db, project=home["project"], technician=tech,
                                      kind="measure")
    with clock.frozen(NOON):
        await emit(db, "work_order.completed", "work_order", measure["id"],
                   work_order_id=measure["id"])
        await run(db)
        assert kinds(await inbox(db, cid)) == []  # a measure visit is not a survey moment
        await emit(db, "work_order.completed", "work_order", first["id"],
                   work_order_id=first["id"])
        await run(db)
        got = await inbox(db, cid)
        assert kinds(got) == ["survey_invite"] and got[0]["link"].startswith("/s/")
    with clock.frozen(NOON + timedelta(days=10)):
        await emit(db, "work_order.completed", "work_order", second["id"],
                   work_order_id=second["id"])
        await run(db)
        assert kinds(await inbox(db, cid)) == ["survey_invite"]  # 1 per 30 days
        recovery = await f.make_ticket(db, customer=home["customer"], project=home["project"])
        async with db.transaction():
            await db.execute("UPDATE ticket SET category = 'recovery' WHERE id = $1",
                             recovery["id"])
        await emit(db, "ticket.resolved", "ticket", recovery["id"], ticket_id=recovery["id"])
        await run(db)
    assert kinds(await inbox(db, cid)) == ["survey_invite", "survey_invite"]
    assert await db.fetchval("SELECT count(*) AS n FROM survey WHERE customer_id = $1 AND "
                             "trigger = 'recovery_resolved'", cid) == 1


async def test_scheduler_raises_time_based_events_once(db, home) -> None:
    from backend.events import scheduler

    mid = home["project"]["milestones"][4]
    async with db.transaction():
        await db.execute("UPDATE milestone SET planned_end = $2, status = 'in_progress' "
                         "WHERE id = $1", mid, date(2026, 11, 20))

    async def overdue_events() -> list[int]:
        rows = await db.fetch("SELECT payload FROM outbox_event WHERE kind = "
                              "'milestone.overdue' AND aggregate_id = $1", str(mid))
        return sorted(__import__("json").loads(r["payload"])["overdue_hours"] for r in rows)

    with clock.frozen(datetime(2026, 11, 20, 17, 0, tzinfo=UTC)):  # 01:00 on the 21st
        await scheduler.tick(db)
        await scheduler.tick(db)
    assert await overdue_events() == [0]
    with clock.frozen(datetime(2026, 11, 22, 4, 0, tzinfo=UTC)):
        await scheduler.tick(db)
        await scheduler.tick(db)
        await run(db)
    assert await overdue_events() == [0, 24]
    assert kinds(await inbox(db, home["pm"]["id"])) == ["milestone_overdue"]


async def test_scheduler_warranty_and_unanswered(db, home) -> None:
    from backend.events import scheduler

    line = uuid.uuid4()
    ticket = await f.make_ticket(db, customer=home["customer"], project=home["project"])
    async with db.transaction():
        await db.execute("INSERT INTO product_line (id, code, name_zh, name_en, "
                         "warranty_months, terms_zh, terms_en) VALUES ($1, $2, '橱柜', "
                         "'Cabinets', 24, '', '')", line, f"c{line.hex[:8]}")
        await db.execute("INSERT INTO project_product (id, project_id, product_line_id, "
                         "description) VALUES ($1, $2, $3, '')", uuid.uuid4(),
                         home["project"]["id"], line)
        await db.execute("UPDATE project SET accepted_on = $2 WHERE id = $1",
                         home["project"]["id"], date(2024, 12, 10))
        await db.execute("DELETE FROM ticket_message WHERE ticket_id = $1 AND "
                         "author_customer_id IS NULL", ticket["id"])
        await db.execute("UPDATE ticket SET last_customer_message_at = $2 WHERE id = $1",
                         ticket["id"], NOON - timedelta(hours=49))
    with clock.frozen(NOON):
        await scheduler.tick(db)
        await scheduler.tick(db)
        await run(db)
    assert kinds(await inbox(db, home["customer"]["id"])) == ["warranty_expiring"]
    assert await db.fetchval("SELECT priority FROM ticket WHERE id = $1",
                             ticket["id"]) == "urgent"
    assert await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE kind = "
                             "'ticket.unanswered' AND aggregate_id = $1",
                             str(ticket["id"])) == 1


async def test_dry_run_shows_what_would_fire_without_writing(db, home) -> None:
    from backend.rules.engine import dry_run

    mid = home["project"]["milestones"][1]
    await emit(db, "milestone.completed", "milestone", mid, milestone_id=mid)
    before = await db.fetchval("SELECT count(*) AS n FROM notification")
    result = await dry_run(db, event_kind="milestone.completed",
                           conditions=[{"field": "project.region", "op": "=",
                                        "value": str(await db.fetchval(
                                            "SELECT code FROM region WHERE id = $1",
                                            home["region"]))}],
                           actions=[{"do": "notify", "to": "homeowner",
                                     "message": "milestone_completed"}])
    assert len(result["fired"]) == 1
    assert result["fired"][0]["actions"][0]["people"] == [str(home["customer"]["id"])]
    assert await db.fetchval("SELECT count(*) AS n FROM notification") == before


async def test_acceptance_signed_and_repair_resolved_send_governed_surveys(db, home) -> None:
    cid, pid = home["customer"]["id"], home["project"]["id"]
    other = await f.make_customer(db)
    ticket = await f.make_ticket(db, customer=other)
    with clock.frozen(NOON):
        await emit(db, "change_request.decided", "change_request", uuid.uuid4(), project_id=pid)
        await run(db)
        assert kinds(await inbox(db, cid)) == []
        await emit(db, "acceptance.signed", "project", pid, project_id=pid, customer_id=cid)
        await emit(db, "ticket.resolved", "ticket", ticket["id"], ticket_id=ticket["id"])
        await run(db)
    assert kinds(await inbox(db, cid)) == ["survey_invite"]
    assert kinds(await inbox(db, other["id"])) == ["survey_invite"]
    triggers = await db.fetch("SELECT trigger, kind FROM survey WHERE customer_id IN ($1, $2) "
                              "ORDER BY trigger", cid, other["id"])
    assert [(t["trigger"], t["kind"]) for t in triggers] == [("acceptance_signed", "nps"),
                                                            ("repair_resolved", "csat")]


async def test_public_reply_notifies_the_homeowner_internal_note_does_not(db, home) -> None:
    from backend.access import Actor
    from backend.tickets import services as desk

    ticket = await f.make_ticket(db, customer=home["customer"], project=home["project"],
                                 region_id=home["region"])
    agent = Actor(kind="staff", id=home["pm"]["id"], role="project_manager",
                  region_id=home["region"])
    with clock.frozen(NOON):
        await desk.add_message(db, agent, ticket_id=ticket["id"], body="note", internal=True)
        await run(db)
        assert kinds(await inbox(db, home["customer"]["id"])) == []
        await desk.add_message(db, agent, ticket_id=ticket["id"], body="Monday 9:00",
                               internal=False)
        await run(db)
    got = await inbox(db, home["customer"]["id"])
    assert kinds(got) == ["ticket_update"]
    assert got[0]["link"].startswith("/portal/tickets/")
