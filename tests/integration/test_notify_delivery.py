"""Delivery: real push (decrypted by the PushPeer), real SMTP (aiosmtpd), fallback, quiet
hours, the daily cap and digest, dedup, mute and the survey governor — on a movable clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from backend import clock
from backend.access import Actor
from backend.notifications import services
from backend.rules.shipped import seed_rules
from tests import factories as f
from tests.notify_kit import RecordingSms, channels, deliveries, emit, inbox, run, set_quiet
from tests.pushpeer import PushPeer, Reply
from tests.smtp import smtp_peer

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
NIGHT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 Shanghai


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[bytes]]]:
    with smtp_peer() as peer:
        yield peer.port, peer.raw


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    # The push service sees the same (movable) clock as the app, so VAPID exp checks agree.
    async with PushPeer(now=lambda: clock.now().timestamp()) as p:
        yield p


@pytest.fixture
async def home(db):  # type: ignore[no-untyped-def]
    await seed_rules(db)
    customer = await f.make_customer(db, email=f"{uuid.uuid4().hex[:8]}@example.com",
                                     language="zh_CN")
    project = await f.make_project(db, customer=customer)
    return {"customer": customer, "project": project,
            "actor": Actor(kind="customer", id=customer["id"])}


async def subscribe(db, home, peer, *replies):  # type: ignore[no-untyped-def]
    sub = peer.new_subscription(*replies)
    async with db.transaction():
        await db.execute(
            "INSERT INTO push_subscription (id, person_kind, person_id, endpoint, p256dh, auth, "
            "user_agent, created_at, failures) VALUES ($1, 'customer', $2, $3, $4, $5, '', $6, "
            "0)", uuid.uuid4(), home["customer"]["id"], sub.endpoint, sub.p256dh, sub.auth,
            clock.now())
    return sub


async def complete(db, home, pos: int = 2) -> None:  # type: ignore[no-untyped-def]
    mid = home["project"]["milestones"][pos]
    await emit(db, "milestone.completed", "milestone", mid, milestone_id=mid)


async def test_push_is_encrypted_signed_and_decrypted_by_the_peer(db, home, peer) -> None:
    sub = await subscribe(db, home, peer)
    with clock.frozen(NOON):
        await complete(db, home)
        await run(db)
    got = peer.received_for(sub)
    assert peer.errors == [] and len(got) == 1
    payload = got[0].payload  # decrypted with http_ece by the peer, VAPID JWT verified
    note = (await inbox(db, home["customer"]["id"]))[0]
    assert payload["title"] == note["title"] and "阶段2" in payload["title"]
    assert payload["tag"] == str(note["id"])
    assert payload["why"] == f"/portal/notifications/{note['id']}"
    assert got[0].ttl == 3 * 86400 and got[0].topic
    assert got[0].claims["aud"] == peer.origin
    assert 0 < got[0].claims["exp"] - NOON.timestamp() <= 24 * 3600
    states = {(d["channel"], d["status"]) for d in await deliveries(db, home["customer"]["id"])}
    assert states == {("inbox", "sent"), ("push", "sent"), ("email", "standby")}


async def test_gone_subscription_is_removed_and_email_takes_over(db, home, peer, smtp) -> None:
    port, received = smtp
    await subscribe(db, home, peer, 410)
    with clock.frozen(NOON):
        await complete(db, home)
        await run(db, channels(smtp_port=port))
    for _ in range(100):
        if received:
            break
        await asyncio.sleep(0.02)
    assert await db.fetchval("SELECT count(*) AS n FROM push_subscription WHERE person_id = $1",
                             home["customer"]["id"]) == 0
    states = {(d["channel"], d["status"]) for d in await deliveries(db, home["customer"]["id"])}
    assert ("push", "failed") in states and ("email", "sent") in states
    message = message_from_bytes(received[0])
    assert home["customer"]["email"] in message["To"]
    assert "阶段2" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode()
    assert "/portal/notifications/" in body  # the "why did I get this / mute" link


async def test_retry_after_is_honoured_then_delivered(db, home, peer) -> None:
    sub = await subscribe(db, home, peer, Reply(429, retry_after="120"))
    with clock.frozen(NOON):
        await complete(db, home)
        await run(db)
        push = [d for d in await deliveries(db, home["customer"]["id"]) if d["channel"] == "push"]
        assert push[0]["status"] == "pending"
        assert push[0]["next_attempt_at"] >= NOON + timedelta(seconds=120)
    with clock.frozen(NOON + timedelta(minutes=3)):
        await run(db)
    assert [r.status for r in peer.received_for(sub)] == [429, 201]


async def test_no_subscription_falls_back_to_sms_for_repairs(db, home) -> None:
    sms = RecordingSms()
    tech = await f.make_staff(db, role="technician")
    wo = await f.make_work_order(db, project=home["project"], technician=tech)
    with clock.frozen(NOON):
        await emit(db, "work_order.en_route", "work_order", wo["id"], work_order_id=wo["id"])
        await run(db, channels(sms=sms))  # no push subscription, no SMTP server
    assert [to for to, _text, _key in sms.sent] == [home["customer"]["phone"]]
    states = [(d["channel"], d["status"]) for d in await deliveries(db, home["customer"]["id"])]
    assert ("push", "failed") in states and ("email", "failed") in states
    assert ("sms", "sent") in states


async def test_quiet_hours_hold_until_they_end_but_not_urgent(db, home, peer) -> None:
    sub = await subscribe(db, home, peer)
    with clock.frozen(NIGHT):  # default quiet hours 22:00-08:00
        await complete(db, home)
        await run(db)
        assert peer.received_for(sub) == []
        assert len(await inbox(db, home["customer"]["id"])) == 1  # the inbox has it at once
    with clock.frozen(NIGHT + timedelta(hours=8, minutes=59)):  # 07:59
        await run(db)
        assert peer.received_for(sub) == []
    with clock.frozen(NIGHT + timedelta(hours=9)):  # 08:00
        await run(db)
    assert len(peer.received_for(sub)) == 1
    # urgent (an escalation to staff) is not held
    lead = await f.make_staff(db, role="manager")
    await set_quiet(db, lead["id"], "22:00", "08:00", kind="staff")
    with clock.frozen(NIGHT):
        async with db.transaction():
            await services.notify(db, person_kind="staff", person_id=lead["id"],
                                  message="ticket_escalated", params={"ticket": "T1",
                                                                      "hours": 48},
                                  link="/desk/", dedup_key="x", reason="test", urgent=True)
    states = {(d["channel"], d["status"]) for d in await deliveries(db, lead["id"])}
    assert ("push", "pending") in states


async def test_daily_cap_then_one_digest_next_morning(db, home, peer) -> None:
    sub = await subscribe(db, home, peer)
    await set_quiet(db, home["customer"]["id"], "22:00", "08:00", cap=2)
    with clock.frozen(NOON):
        for pos in range(5):
            await complete(db, home, pos)
        await run(db)
        assert len(peer.received_for(sub)) == 2
        assert len(await inbox(db, home["customer"]["id"])) == 5
    with clock.frozen(NOON + timedelta(hours=20)):  # 08:00 next day
        await run(db)
        await run(db)
    got = [r.payload for r in peer.received_for(sub)]
    assert len(got) == 3 and "3" in got[-1]["title"]
    statuses = [d["status"] for d in await deliveries(db, home["customer"]["id"])
                if d["kind"] == "milestone_completed" and d["channel"] == "push"]
    assert sorted(statuses) == ["digested", "digested", "digested", "sent", "sent"]


async def test_same_message_from_two_rules_is_merged(db, home, peer) -> None:
    from backend.rules.services import save_rule

    admin = await f.make_staff(db, role="admin")
    await save_rule(db, actor=Actor(kind="staff", id=admin["id"], role="admin"), rule_id=None,
                    form={"name": "Also tell the homeowner", "event_kind": "milestone.completed",
                          "conditions": "", "actions": "notify homeowner milestone_completed",
                          "enabled": "on"})
    sub = await subscribe(db, home, peer)
    try:
        with clock.frozen(NOON):
            await complete(db, home)
            await run(db)
    finally:
        async with db.transaction():
            await db.execute("DELETE FROM rule WHERE name = 'Also tell the homeowner'")
    assert len(await inbox(db, home["customer"]["id"])) == 1
    assert len(peer.received_for(sub)) == 1


async def test_mute_this_kind_stops_outside_channels(db, home, peer) -> None:
    sub = await subscribe(db, home, peer)
    with clock.frozen(NOON):
        await complete(db, home, 1)
        await run(db)
        note = (await inbox(db, home["customer"]["id"]))[0]
        await services.mute_kind(db, actor=home["actor"], notification_id=note["id"])
        await complete(db, home, 2)
        await run(db)
    assert len(await inbox(db, home["customer"]["id"])) == 2
    assert len(peer.received_for(sub)) == 1


async def test_survey_governor_opt_out_and_quiet_hours(db, home, peer) -> None:
    sub = await subscribe(db, home, peer)
    tech = await f.make_staff(db, role="technician")
    wo = await f.make_work_order(db, project=home["project"], technician=tech)
    await set_quiet(db, home["customer"]["id"], "22:00", "08:00", opt_out=True)
    with clock.frozen(NOON):
        await emit(db, "work_order.completed", "work_order", wo["id"], work_order_id=wo["id"])
        await run(db)
    assert await inbox(db, home["customer"]["id"]) == []
    await set_quiet(db, home["customer"]["id"], "22:00", "08:00", opt_out=False)
    wo2 = await f.make_work_order(db, project=home["project"], technician=tech)
    with clock.frozen(NIGHT):
        await emit(db, "work_order.completed", "work_order", wo2["id"],
                   work_order_id=wo2["id"])
        await run(db)
        assert peer.received_for(sub) == []  # never in quiet hours
    with clock.frozen(NIGHT + timedelta(hours=9)):
        await run(db)
    assert [r.payload["url"][:3] for r in peer.received_for(sub)] == ["/s/"]


async def test_http_sms_provider_posts_json_with_token_and_key() -> None:
    from aiohttp import web

    from backend.notifications.channels import HttpSmsProvider

    got: list[tuple[dict, str, str]] = []
    replies = [503, 200]

    async def handle(request: web.Request) -> web.Response:
        got.append((await request.json(), request.headers.get("Authorization", ""),
                    request.headers.get("Idempotency-Key", "")))
        return web.Response(status=replies.pop(0))

    app = web.Application()
    app.router.add_post("/sms", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        provider = HttpSmsProvider(f"http://127.0.0.1:{port}/sms", "tok")
        first = await provider.send(to="+8613900000000", text="hi", key="n1:sms")
        second = await provider.send(to="+8613900000000", text="hi", key="n1:sms")
    finally:
        await runner.cleanup()
    assert (first.ok, first.retry) == (False, True) and second.ok
    assert got[0] == ({"to": "+8613900000000", "text": "hi", "idempotency_key": "n1:sms"},
                      "Bearer tok", "n1:sms")


async def test_one_survey_per_household_in_30_days(db, home) -> None:
    from backend.rules.surveys import survey_blocked

    member = await f.make_customer(db)
    await f.add_household_member(db, home["customer"], member)
    assert await survey_blocked(db, customer_id=member["id"], trigger="repair_resolved") is None
    async with db.transaction():
        await db.execute(
            "INSERT INTO survey (id, kind, customer_id, trigger, token_hash, sent_at, "
            "expires_at) VALUES ($1, 'csat', $2, 'repair_resolved', $3, $4, $4)",
            uuid.uuid4(), home["customer"]["id"], uuid.uuid4().hex, clock.now())
    assert await survey_blocked(db, customer_id=member["id"], trigger="repair_resolved")
    assert await survey_blocked(db, customer_id=member["id"],
                                trigger="recovery_resolved") is None
    assert await survey_blocked(db, customer_id=member["id"], trigger="ticket_replied")


async def test_internal_notes_never_reach_push_inbox_or_email(db, home, peer, smtp) -> None:
    """A desk agent's internal note and public reply go through the real desk service and
    the worker: the homeowner gets the reply, and no payload, inbox entry or e-mail ever
    carries the note."""
    from backend.tickets import services as desk

    port, received = smtp
    sub = await subscribe(db, home, peer)
    ticket = await f.make_ticket(db, customer=home["customer"], project=home["project"],
                                 internal_text="seed")
    manager = await f.make_staff(db, role="manager")
    agent = Actor(kind="staff", id=manager["id"], role="manager")
    secret = "SECRET-INTERNAL-7f3a customer is difficult"
    with clock.frozen(NOON):
        await desk.add_message(db, agent, ticket_id=ticket["id"], body=secret, internal=True)
        await desk.add_message(db, agent, ticket_id=ticket["id"], body="We come on Monday.",
                               internal=False)
        await run(db, channels(smtp_port=port))
    payloads = [str(m.payload) for m in peer.received_for(sub)]
    notes = await inbox(db, home["customer"]["id"])
    mails = [message_from_bytes(raw).as_string() for raw in received]
    assert notes, "the public reply reaches the homeowner"
    for text in payloads + [str(n) for n in notes] + mails:
        assert "SECRET-INTERNAL" not in text
