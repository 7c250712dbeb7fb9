"""Desk services: SLA snapshot and pauses, replies vs internal notes, assignment, merging,
dispatch without double booking, customer merge and search."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend import clock
from backend.access import Actor
from backend.customers import merge
from backend.errors import NotFound, ValidationFailed
from backend.tickets import linking, services
from backend.tickets.admin import save_policy
from backend.workorders import dispatch
from tests import factories as f

pytestmark = pytest.mark.integration

# Monday 2026-11-23 10:00 in Shanghai: a plain working day (09:00-12:00, 13:30-18:00).
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def as_actor(person: dict[str, Any]) -> Actor:
    return Actor(kind="staff", id=person["id"], role=person["role"],
                 region_id=person.get("region_id"), name="t")


async def _setup(db, *, category: str = "leak", priority: str = "urgent",
                 first: int = 60, resolution: int = 240) -> dict[str, Any]:
    region = await f.make_region(db)
    admin = await f.make_staff(db, role="admin")
    agent = await f.make_staff(db, role="service_agent", region_id=region)
    dispatcher = await f.make_staff(db, role="dispatcher", region_id=region)
    customer = await f.make_customer(db)
    project = await f.make_project(db, customer=customer, region_id=region)
    await save_policy(db, as_actor(admin), category=category, priority=priority,
                      first_response_minutes=first, resolution_minutes=resolution)
    return {"region": region, "admin": admin, "agent": agent, "dispatcher": dispatcher,
            "customer": customer, "project": project}


async def _ticket(db, w: dict[str, Any], *, category: str = "leak",
                  priority: str = "urgent") -> uuid.UUID:
    return await linking.create_phone_ticket(
        db, as_actor(w["agent"]), customer_id=w["customer"]["id"], subject="Leak under sink",
        description="Water", category=category, priority=priority,
        project_id=w["project"]["id"])


async def _row(db, ticket_id: uuid.UUID) -> dict[str, Any]:
    return await db.fetchrow("SELECT * FROM ticket WHERE id = $1", ticket_id)


async def test_snapshot_sets_deadlines_in_business_time(db) -> None:
    w = await _setup(db)
    with clock.frozen(MONDAY_10):
        tid = await _ticket(db, w)
    t = await _row(db, tid)
    assert t["first_response_due"] == MONDAY_10 + timedelta(hours=1)
    # 10:00-12:00 and 13:30-15:30 Shanghai: 15:30 local = 07:30 UTC.
    assert t["resolution_due"] == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    snap = json.loads(t["sla_snapshot"])
    assert snap["policy"]["resolution_minutes"] == 240
    assert "2026-10-01" in json.dumps(snap["calendar"])  # the calendar travels with it
    history = await db.fetch("SELECT to_status FROM ticket_status_change WHERE ticket_id = $1",
                             tid)
    assert [h["to_status"] for h in history] == ["new"]


async def test_waiting_on_customer_pauses_and_resumes_the_clock(db) -> None:
    w = await _setup(db)
    agent = as_actor(w["agent"])
    with clock.frozen(MONDAY_10):
        tid = await _ticket(db, w)
    with clock.frozen(MONDAY_10 + timedelta(minutes=30)):
        await services.set_status(db, agent, ticket_id=tid, status="waiting")
    paused = await _row(db, tid)
    assert paused["resolution_due"] is None  # paused: depends on when the customer answers
    with clock.frozen(MONDAY_10 + timedelta(hours=4, minutes=30)):  # 14:30 local
        await services.set_status(db, agent, ticket_id=tid, status="open")
    resumed = await _row(db, tid)
    # 30 min used; 210 left from 14:30 local -> 18:00 local = 10:00 UTC.
    assert resumed["resolution_due"] == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def test_policy_change_never_rewrites_history(db) -> None:
    w = await _setup(db, category="crack", priority="high", first=60, resolution=240)
    agent = as_actor(w["agent"])
    with clock.frozen(MONDAY_10):
        tid = await _ticket(db, w, category="crack", priority="high")
    before = (await _row(db, tid))["resolution_due"]
    with clock.frozen(MONDAY_10 + timedelta(minutes=5)):
        await save_policy(db, as_actor(w["admin"]), category="crack", priority="high",
                          first_response_minutes=30, resolution_minutes=60)
        await services.set_status(db, agent, ticket_id=tid, status="open")  # recomputes
        newer = await _ticket(db, w, category="crack", priority="high")
    assert (await _row(db, tid))["resolution_due"] == before
    assert json.loads((await _row(db, tid))["sla_snapshot"])["policy"]["resolution_minutes"] \
        == 240
    assert (await _row(db, newer))["resolution_due"] == MONDAY_10 + timedelta(minutes=65)


async def test_public_reply_stamps_first_response_internal_note_does_not(db) -> None:
    w = await _setup(db)
    agent = as_actor(w["agent"])
    with clock.frozen(MONDAY_10):
        tid = await _ticket(db, w)
    await services.add_message(db, agent, ticket_id=tid, body="SECRET-NOTE vip", internal=True)
    t = await _row(db, tid)
    assert t["first_responded_at"] is None and t["status"] == "new"
    await services.add_message(db, agent, ticket_id=tid, body="We are on it", internal=False)
    t = await _row(db, tid)
    assert t["first_responded_at"] is not None and t["status"] == "open"
    events = await db.fetch("SELECT kind, payload FROM outbox_event WHERE aggregate_id = $1",
                            str(tid))
    assert "ticket.replied" in [e["kind"] for e in events]
    assert all("SECRET-NOTE" not in e["payload"] for e in events)
    with pytest.raises(ValidationFailed):
        await services.add_message(db, agent, ticket_id=tid, body="   ", internal=False)


async def test_assign_resolve_reopen_and_region_rules(db) -> None:
    w = await _setup(db)
    dispatcher = as_actor(w["dispatcher"])
    tid = await _ticket(db, w)
    other_region = await f.make_region(db)
    outsider = await f.make_staff(db, role="service_agent", region_id=other_region)
    with pytest.raises(ValidationFailed):
        await services.assign(db, dispatcher, ticket_ids=[tid], assignee_id=outsider["id"])
    with pytest.raises(NotFound):  # a region-bound agent elsewhere cannot touch it
        await services.set_status(db, as_actor(outsider), ticket_id=tid, status="open")
    assert await services.assign(db, dispatcher, ticket_ids=[tid],
                                 assignee_id=w["agent"]["id"]) == 1
    t = await _row(db, tid)
    assert t["assignee_id"] == w["agent"]["id"] and t["status"] == "open"
    await services.set_status(db, dispatcher, ticket_id=tid, status="resolved")
    assert (await _row(db, tid))["resolved_at"] is not None
    await services.set_status(db, dispatcher, ticket_id=tid, status="open")
    t = await _row(db, tid)
    assert t["reopen_count"] == 1 and t["resolved_at"] is None
    kinds = {r["kind"] for r in await db.fetch(
        "SELECT kind FROM outbox_event WHERE aggregate_id = $1", str(tid))}
    assert {"ticket.assigned", "ticket.resolved", "ticket.reopened",
            "ticket.status_changed"} <= kinds
    audit_rows = await db.fetchval("SELECT count(*) AS n FROM audit_entry WHERE object_id = $1",
                                   str(tid))
    assert audit_rows >= 4


async def test_merge_duplicate_tickets_keeps_the_thread(db) -> None:
    w = await _setup(db)
    agent = as_actor(w["agent"])
    keep, dup = await _ticket(db, w), await _ticket(db, w)
    await services.add_message(db, agent, ticket_id=dup, body="from the duplicate",
                               internal=False)
    await linking.merge_tickets(db, agent, duplicate_id=dup, into_id=keep)
    bodies = [r["body"] for r in await db.fetch(
        "SELECT body FROM ticket_message WHERE ticket_id = $1", keep)]
    assert "from the duplicate" in bodies
    d = await _row(db, dup)
    assert d["merged_into_id"] == keep and d["status"] == "closed"
    with pytest.raises(ValidationFailed):
        await linking.merge_tickets(db, agent, duplicate_id=dup, into_id=keep)


async def test_dispatch_never_double_books(db) -> None:
    w = await _setup(db)
    dispatcher = as_actor(w["dispatcher"])
    tech = await f.make_staff(db, role="technician", region_id=w["region"])
    tid = await _ticket(db, w)
    start = clock.now().replace(microsecond=0) + timedelta(days=2)
    wid = await dispatch.dispatch_work_order(
        db, dispatcher, ticket_id=tid, kind="repair", technician_id=tech["id"],
        window_start=start, window_end=start + timedelta(hours=2))
    assert (await _row(db, tid))["status"] == "scheduled"
    with pytest.raises(ValidationFailed) as exc:
        await dispatch.dispatch_work_order(
            db, dispatcher, ticket_id=tid, kind="repair", technician_id=tech["id"],
            window_start=start + timedelta(hours=1), window_end=start + timedelta(hours=3))
    assert "window" in exc.value.errors
    # Two dispatchers at once for the same new window: exactly one wins.
    later = start + timedelta(days=1)
    results = await asyncio.gather(*[
        dispatch.dispatch_work_order(db, dispatcher, ticket_id=tid, kind="inspection",
                                     technician_id=tech["id"], window_start=later,
                                     window_end=later + timedelta(hours=2))
        for _ in range(2)], return_exceptions=True)
    assert sum(isinstance(r, uuid.UUID) for r in results) == 1
    assert sum(isinstance(r, ValidationFailed) for r in results) == 1
    booked = await db.fetch("SELECT window_start, window_end FROM work_order WHERE "
                            "technician_id = $1 ORDER BY window_start", tech["id"])
    for a, b in itertools.pairwise(booked):
        assert a["window_end"] <= b["window_start"]
    row = await db.fetchrow("SELECT * FROM work_order WHERE id = $1", wid)
    assert row["ticket_id"] == tid and row["status"] == "scheduled"
    assert await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE kind = "
                             "'work_order.scheduled' AND aggregate_id = $1", str(wid)) == 1
    found = await dispatch.candidates(db, dispatcher, ticket_id=tid, kind="repair",
                                      calendar=await services.default_calendar(db))
    mine = next(c for c in found if c["technician"]["id"] == tech["id"])
    assert all(not (s < start + timedelta(hours=2) and e > start) for s, e in mine["free"])


async def test_customer_search_and_merge_by_normalised_phone(db) -> None:
    w = await _setup(db)
    admin = as_actor(w["admin"])
    national = f"139{uuid.uuid4().int % 10**8:08d}"
    keep = await f.make_customer(db, name="Zhou Keep", phone=f"+86{national}")
    dup = await f.make_customer(db, name="Zhou Dup",
                                phone=f"{national[:3]} {national[3:7]}-{national[7:]}")
    project = await f.make_project(db, customer=dup)
    dup_ticket = await f.make_ticket(db, customer=dup, project=project)
    found = await merge.search_customers(db, admin, f"+86 {national[:3]}-{national[3:]}")
    assert {r["id"] for r in found} >= {keep["id"], dup["id"]}
    assert [r["id"] for r in await merge.duplicates_of(db, admin, keep["id"])] == [dup["id"]]
    moved = await merge.merge_customers(db, admin, keep_id=keep["id"], duplicate_id=dup["id"])
    assert moved["ticket.customer_id"] == 1 and moved["project.customer_id"] == 1
    assert (await _row(db, dup_ticket["id"]))["customer_id"] == keep["id"]
    gone = await db.fetchrow("SELECT * FROM customer WHERE id = $1", dup["id"])
    assert gone["merged_into_id"] == keep["id"] and gone["phone"] is None
    other = await f.make_customer(db)
    with pytest.raises(ValidationFailed):
        await merge.merge_customers(db, admin, keep_id=keep["id"], duplicate_id=other["id"])
