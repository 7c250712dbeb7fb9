"""Push to a technician, end to end: a dispatcher books a visit, the shipped rule "Visit booked
→ technician" fires, the worker pushes to the technician's subscription — encrypted, VAPID
signed, decrypted by the real peer — with the field app's deep link and "why" page; when the
push service answers 410 the subscription goes and e-mail (a real SMTP server) takes over. A
rule's task for the work order's technician travels the same way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest

from backend import clock
from backend.access import Actor
from backend.rules.shipped import seed_rules
from backend.workorders import dispatch
from tests import factories as f
from tests.notify_kit import channels, deliveries, emit, inbox, run
from tests.pushpeer import PushPeer
from tests.smtp import SmtpPeer, smtp_peer

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: outside quiet hours


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    with smtp_peer() as peer:
        yield peer


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    async with PushPeer(now=lambda: clock.now().timestamp()) as p:
        yield p


@pytest.fixture
async def job(db):  # type: ignore[no-untyped-def]
    await seed_rules(db)
    region = await f.make_region(db)
    customer = await f.make_customer(db, name="Wang Fang")
    project = await f.make_project(db, customer=customer, region_id=region)
    ticket = await f.make_ticket(db, customer=customer, project=project, region_id=region)
    tech = await f.make_staff(db, role="technician", region_id=region, name="Li Wei",
                              email=f"tech-{uuid.uuid4().hex[:8]}@example.com")
    dispatcher = await f.make_staff(db, role="dispatcher", region_id=region)
    return {"customer": customer, "project": project, "ticket": ticket, "tech": tech,
            "dispatcher": Actor(kind="staff", id=dispatcher["id"], role="dispatcher",
                                region_id=region)}


async def subscribe(db, person_id: uuid.UUID, peer: PushPeer, *replies: Any):  # type: ignore[no-untyped-def]
    """The row push.js leaves behind (the HTTP route wants https; the peer is loopback)."""
    sub = peer.new_subscription(*replies)
    async with db.transaction():
        await db.execute(
            "INSERT INTO push_subscription (id, person_kind, person_id, endpoint, p256dh, auth, "
            "user_agent, created_at, failures) VALUES ($1, 'staff', $2, $3, $4, $5, 'Field', "
            "$6, 0)", uuid.uuid4(), person_id, sub.endpoint, sub.p256dh, sub.auth, clock.now())
    return sub


async def book(db, job) -> uuid.UUID:  # type: ignore[no-untyped-def]
    start = NOON + timedelta(days=1)
    return await dispatch.dispatch_work_order(
        db, job["dispatcher"], ticket_id=job["ticket"]["id"], kind="repair",
        technician_id=job["tech"]["id"], window_start=start, window_end=start + timedelta(hours=2))


async def test_booked_visit_is_pushed_to_the_technician(db, job, peer) -> None:  # type: ignore[no-untyped-def]
    sub = await subscribe(db, job["tech"]["id"], peer)
    with clock.frozen(NOON):
        wid = await book(db, job)
        await run(db)
    got = peer.received_for(sub)
    assert peer.errors == [] and len(got) == 1
    note = next(n for n in await inbox(db, job["tech"]["id"])
                if n["kind"] == "work_order_scheduled")
    payload = got[0].payload  # decrypted by http_ece with the subscriber's keys
    number = await db.fetchval("SELECT number FROM work_order WHERE id = $1", wid)
    assert payload["title"] == note["title"] == f"New visit: {number}"
    assert "Wang Fang" in payload["body"]
    assert payload["url"] == f"/field/work-orders/{wid}"  # opens in the field app
    assert payload["why"] == f"/field/notifications/{note['id']}"
    assert payload["tag"] == str(note["id"])
    assert note["reason"] == "Visit booked → technician"
    assert got[0].claims["aud"] == peer.origin  # VAPID verified by the peer
    assert 0 < got[0].claims["exp"] - NOON.timestamp() <= 24 * 3600
    assert got[0].ttl == 2 * 86400 and got[0].urgency == "normal" and got[0].topic
    states = {(d["channel"], d["status"]) for d in await deliveries(db, job["tech"]["id"])}
    assert states == {("inbox", "sent"), ("push", "sent"), ("email", "standby")}
    # The homeowner hears nothing until the technician is on the way.
    assert [n for n in await inbox(db, job["customer"]["id"])
            if n["kind"] == "work_order_scheduled"] == []


async def test_gone_subscription_falls_back_to_email(db, job, peer, smtp) -> None:  # type: ignore[no-untyped-def]
    sub = await subscribe(db, job["tech"]["id"], peer, 410)
    with clock.frozen(NOON):
        wid = await book(db, job)
        await run(db, channels(smtp_port=smtp.port))
    for _ in range(100):
        if smtp.raw:
            break
        await asyncio.sleep(0.02)
    assert [r.status for r in peer.received_for(sub)] == [410] and peer.errors == []
    assert await db.fetchval("SELECT count(*) AS n FROM push_subscription WHERE person_id = $1",
                             job["tech"]["id"]) == 0
    states = {(d["channel"], d["status"]) for d in await deliveries(db, job["tech"]["id"])}
    assert ("push", "failed") in states and ("email", "sent") in states
    mine = [m for m in smtp.messages if m["To"] == job["tech"]["email"]]
    assert len(mine) == 1
    assert str(make_header(decode_header(mine[0]["Subject"]))).startswith("New visit: ")
    body = mine[0].get_payload(decode=True).decode()
    assert f"/field/work-orders/{wid}" in body and "/field/notifications/" in body


async def test_a_task_for_the_technician_is_pushed_with_the_work_order_link(
        db, job, peer) -> None:  # type: ignore[no-untyped-def]
    sub = await subscribe(db, job["tech"]["id"], peer)
    wo = await f.make_work_order(db, project=job["project"], technician=job["tech"],
                                 ticket=job["ticket"])
    rid = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO rule (id, name, event_kind, conditions, actions, enabled, created_at, "
            "updated_at) VALUES ($1, 'Follow-up → technician orders the part', "
            "'work_order.needs_follow_up', '[]', '[{\"do\": \"create_task\", \"to\": "
            "\"technician\", \"title\": \"Order the missing hinge\"}]', TRUE, $2, $2)",
            rid, clock.now())
    try:
        with clock.frozen(NOON):
            await emit(db, "work_order.needs_follow_up", "work_order", wo["id"],
                       work_order_id=wo["id"])
            await run(db)
    finally:
        async with db.transaction():
            await db.execute("UPDATE rule SET enabled = FALSE WHERE id = $1", rid)
    task = await db.fetchrow("SELECT title, assignee_id, status FROM staff_task WHERE "
                             "rule_id = $1", rid)
    assert (task["title"], task["assignee_id"], task["status"]) == (
        "Order the missing hinge", job["tech"]["id"], "open")
    got = peer.received_for(sub)
    assert peer.errors == [] and len(got) == 1
    assert got[0].payload["title"] == "New task: Order the missing hinge"
    assert got[0].payload["url"] == f"/field/work-orders/{wo['id']}"
