"""The facts the dashboards read (backend/reports/facts.py) stay equal to their definitions
through every service that changes what they derive from: ticket created, replied, resolved,
reopened, dispatched and merged; survey answered; project created; household invitation;
customer merge; default business calendar edited."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend import clock
from backend.access import Actor
from backend.customers import merge
from backend.customers import services as customers
from backend.projects import planning
from backend.projects import services as projects
from backend.reports import facts
from backend.surveys import queries as survey_queries
from backend.surveys import services as surveys
from backend.tickets import linking, services
from backend.tickets.admin import save_calendar
from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.sla import business_seconds_between
from backend.workorders import dispatch
from tests import factories as f
from tests.portal_helpers import actor_for, open_acceptance

pytestmark = pytest.mark.integration

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a working day


def staff(person: dict[str, Any]) -> Actor:
    return Actor(kind="staff", id=person["id"], role=person["role"],
                 region_id=person.get("region_id"), name="t")


async def _exact(db, *, customers_: list[uuid.UUID], tickets: list[uuid.UUID]) -> None:
    assert await facts.drift(db, customers=customers_, tickets=tickets) == []


async def _fact(db, table: str, row_id: uuid.UUID, column: str) -> Any:
    return await db.fetchval(f"SELECT {column} FROM {table} WHERE id = $1", row_id)


async def test_facts_follow_every_change(db) -> None:  # type: ignore[no-untyped-def]
    region = await f.make_region(db)
    admin = staff(await f.make_staff(db, role="admin"))
    agent = staff(await f.make_staff(db, role="service_agent", region_id=region))
    tech = await f.make_staff(db, role="technician", region_id=region)
    owner = await f.make_customer(db)
    twin = await f.make_customer(db, phone=owner["phone"].replace("+86", "+86 ", 1))
    for person in (owner, twin):  # in the agent's region
        await f.make_project(db, customer=person, region_id=region)
    await facts.refresh_customers(db, owner["id"], twin["id"])  # factories write raw rows
    people = [owner["id"], twin["id"]]

    with clock.frozen(MONDAY_10):
        tid = await linking.create_phone_ticket(
            db, agent, customer_id=owner["id"], subject="Door", description="Sagging door",
            category="repair", priority="normal")
    await _exact(db, customers_=people, tickets=[tid])

    with clock.frozen(MONDAY_10 + timedelta(hours=1)):
        await services.add_message(db, agent, ticket_id=tid, body="On it", internal=False)
    assert await _fact(db, "ticket", tid, "first_response_bs") == 3600
    start = MONDAY_10 + timedelta(days=2)
    with clock.frozen(MONDAY_10 + timedelta(hours=2)):
        await dispatch.dispatch_work_order(
            db, admin, ticket_id=tid,
            kind="repair", technician_id=tech["id"], window_start=start,
            window_end=start + timedelta(hours=2))
    assert await _fact(db, "ticket", tid, "visit_count") == 1
    resolved_at = MONDAY_10 + timedelta(days=1)  # Tuesday 10:00
    with clock.frozen(resolved_at):
        await services.set_status(db, agent, ticket_id=tid, status="resolved")
    cal = await facts.report_calendar(db)
    assert await _fact(db, "ticket", tid, "resolution_bs") == business_seconds_between(
        cal, MONDAY_10, resolved_at)
    await _exact(db, customers_=people, tickets=[tid])
    with clock.frozen(resolved_at + timedelta(hours=1)):
        await services.set_status(db, agent, ticket_id=tid, status="open")  # reopened
    assert await _fact(db, "ticket", tid, "resolution_bs") is None
    with clock.frozen(resolved_at + timedelta(hours=2)):
        await services.set_status(db, agent, ticket_id=tid, status="resolved")
    await _exact(db, customers_=people, tickets=[tid])

    # Survey answers: the latest NPS answer wins.
    for minutes, score in ((0, "10"), (5, "3")):
        with clock.frozen(resolved_at + timedelta(hours=3, minutes=minutes)):
            token = await surveys.issue_survey(db, customer_id=owner["id"], kind="nps",
                                               trigger="repair_resolved")
            survey = await survey_queries.find_by_token(db, token)
            await surveys.answer_survey(db, survey=survey, score=score)
    assert await _fact(db, "customer", owner["id"], "latest_nps") == 3
    await _exact(db, customers_=people, tickets=[tid])

    # A project (count and contract value) and a household member (a referral).
    template = uuid.uuid4()
    async with db.transaction():
        await db.execute("INSERT INTO milestone_template (id, name_zh, name_en, project_type, "
                         "active) VALUES ($1, '模板', 'Template', 'kitchen', TRUE)", template)
        await db.execute(
            "INSERT INTO template_stage (id, template_id, position, code, name_zh, name_en, "
            "default_days, customer_visible, requires_signoff) VALUES ($1, $2, 0, 'measure', "
            "'量尺', 'Measure', 3, TRUE, FALSE)", uuid.uuid4(), template)
    value = await _fact(db, "customer", owner["id"], "contract_value_fen")
    await planning.create_project(db, admin, customer_id=owner["id"], template_id=str(template),
                                  title="Kitchen", start="2026-12-01", contract_yuan="12345.67")
    assert await _fact(db, "customer", owner["id"], "project_count") == 2
    assert await _fact(db, "customer", owner["id"], "contract_value_fen") == value + 1_234_567
    await customers.invite_household_member(db, actor=actor_for(owner), phone=f.random_phone())
    assert await _fact(db, "customer", owner["id"], "referral_count") == 1
    await _exact(db, customers_=people, tickets=[tid])

    # The twin's ticket and the merge: the kept customer takes the twin's history.
    later = MONDAY_10 + timedelta(days=3)
    with clock.frozen(later):
        twin_ticket = await linking.create_phone_ticket(
            db, agent, customer_id=twin["id"], subject="Leak", description="Leak",
            category="leak", priority="normal")
        await merge.merge_customers(db, admin, keep_id=owner["id"], duplicate_id=twin["id"])
    assert await _fact(db, "customer", owner["id"], "last_touch_at") == later
    await _exact(db, customers_=people, tickets=[tid, twin_ticket])

    # Acceptance of a project puts its tickets "on a delivered project" (the defects, too).
    project = await f.make_project(db, customer=owner, region_id=region)
    await facts.refresh_customers(db, owner["id"])  # the factory wrote the project directly
    on_project = await linking.create_phone_ticket(
        db, agent, customer_id=owner["id"], subject="Hinge", description="Loose hinge",
        category="repair", priority="normal", project_id=project["id"])
    assert await _fact(db, "ticket", on_project, "project_delivered") is False
    await open_acceptance(db, project)
    await projects.sign_off_acceptance(db, actor=actor_for(owner), project_id=project["id"],
                                       confirm=True)
    assert await _fact(db, "ticket", on_project, "project_delivered") is True
    await _exact(db, customers_=people, tickets=[tid, twin_ticket, on_project])

    # The default calendar gains a holiday on Tuesday: the resolution time is recounted.
    before = await _fact(db, "ticket", tid, "resolution_bs")
    original = await db.fetchrow("SELECT id, name, data FROM business_calendar WHERE "
                                 "is_default = TRUE ORDER BY name LIMIT 1")
    data = cal.to_dict()
    data.setdefault("holidays", []).append({"date": "2026-11-24", "name": "Test day"})
    try:
        await save_calendar(db, admin, calendar_id=None, name=f"Facts {uuid.uuid4().hex[:6]}",
                            data_text=json.dumps(data), is_default=True)
        after = await _fact(db, "ticket", tid, "resolution_bs")
        assert after is not None and after < before
        await _exact(db, customers_=people, tickets=[tid, twin_ticket])
    finally:
        changed = await facts.report_calendar(db)
        async with db.transaction():
            await db.execute("UPDATE business_calendar SET is_default = FALSE")
            if original is not None:
                await db.execute("UPDATE business_calendar SET is_default = TRUE WHERE id = $1",
                                 original["id"])
            await facts.recalendar(db, changed, await facts.report_calendar(db))
    assert await _fact(db, "ticket", tid, "resolution_bs") == before


async def test_recalendar_skips_unchanged_days(db) -> None:  # type: ignore[no-untyped-def]
    cal = BusinessCalendar.china_default((2026, 2027))
    assert await facts.recalendar(db, cal, cal) == 0
