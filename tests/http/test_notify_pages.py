"""Notification pages: the portal inbox, "why / mute", settings and push sign-up, the service
worker; the desk's rules (edit, dry run, switch off) and delivery log — and who may see what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from backend import clock
from backend.notifications.services import notify
from backend.rules.shipped import seed_rules
from tests import factories as f

pytestmark = pytest.mark.http
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


async def _note(db, person_kind: str, person_id: uuid.UUID, message: str = "ticket_update"):  # type: ignore[no-untyped-def]
    with clock.frozen(NOON):
        async with db.transaction():
            return await notify(db, person_kind=person_kind, person_id=person_id,
                                message=message, params={"ticket": "T260001"},
                                link="/portal/tickets", dedup_key=uuid.uuid4().hex,
                                reason="Milestone completed → homeowner")


@pytest.fixture
async def people(db):  # type: ignore[no-untyped-def]
    await seed_rules(db)
    alice = await f.make_customer(db, name="Alice N", email="alice-n@example.com")
    bob = await f.make_customer(db, name="Bob N")
    admin = await f.make_staff(db, role="admin")
    agent = await f.make_staff(db, role="service_agent")
    return {"alice": alice, "bob": bob, "admin": admin, "agent": agent}


async def test_inbox_why_and_mute_are_only_for_the_recipient(db, client, people) -> None:
    nid = await _note(db, "customer", people["alice"]["id"])
    await client.sign_in(realm="customer", subject_id=people["alice"]["id"])
    inbox = await client.get("/portal/notifications")
    assert inbox.status_code == 200 and "Update on your repair T260001" in inbox.text
    why = await client.get(f"/portal/notifications/{nid}")
    assert why.status_code == 200 and "Why did I get this?" in why.text
    assert "Milestone completed → homeowner" not in why.text  # no rule: generic reason
    opened = await client.post_form(f"/portal/notifications/{nid}/open")
    assert opened.status_code == 303 and opened.headers["location"] == "/portal/tickets"
    muted = await client.post_form(f"/portal/notifications/{nid}/mute")
    assert muted.status_code == 303
    assert "ticket_update" in await db.fetchval(
        "SELECT muted_kinds FROM notification_setting WHERE person_id = $1",
        people["alice"]["id"])

    await client.sign_in(realm="customer", subject_id=people["bob"]["id"])
    assert (await client.get(f"/portal/notifications/{nid}")).status_code == 404
    assert (await client.post_form(f"/portal/notifications/{nid}/mute")).status_code == 404
    assert "T260001" not in (await client.get("/portal/notifications")).text


async def test_settings_save_and_keep_input_on_error(db, client, people) -> None:
    await client.sign_in(realm="customer", subject_id=people["alice"]["id"])
    page = await client.get("/portal/notifications/settings")
    assert page.status_code == 200 and "data-vapid-key" in page.text
    assert 'name="marketing.push" checked' not in page.text  # marketing off by default
    bad = await client.post_form("/portal/notifications/settings", {
        "milestones.push": "on", "quiet_start": "25:00", "quiet_end": "07:00",
        "daily_cap": "3"})
    assert bad.status_code == 400 and 'value="25:00"' in bad.text
    ok = await client.post_form("/portal/notifications/settings", {
        "milestones.email": "on", "repairs.sms": "on", "quiet_start": "21:30",
        "quiet_end": "07:00", "daily_cap": "3", "surveys_opt_out": "on"})
    assert ok.status_code == 303
    row = await db.fetchrow("SELECT c.quiet_start, s.daily_cap, s.surveys_opt_out FROM "
                            "customer c JOIN notification_setting s ON s.person_id = c.id "
                            "WHERE c.id = $1", people["alice"]["id"])
    assert (row["quiet_start"], row["daily_cap"], row["surveys_opt_out"]) == ("21:30", 3, True)
    from backend.notifications.people import load_person

    person = await load_person(db, "customer", people["alice"]["id"])
    assert person.channels["milestones"] == ("email",) and person.channels["repairs"] == ("sms",)


async def test_push_subscribe_renew_and_service_worker(db, client, people) -> None:
    await client.sign_in(realm="customer", subject_id=people["alice"]["id"])
    token = await client.csrf_token()
    sub = {"endpoint": f"https://push.example.com/{uuid.uuid4().hex}",
           "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u"
                    "-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}
    resp = await client.post("/portal/notifications/push", json=sub,
                             headers={"x-csrftoken": token})
    assert resp.status_code == 200
    assert (await client.post("/portal/notifications/push", json=sub)).status_code == 403
    new = {**sub, "endpoint": f"https://push.example.com/{uuid.uuid4().hex}"}
    renewed = await client.post("/portal/notifications/push/renew",
                                json={"old_endpoint": sub["endpoint"], "subscription": new})
    assert renewed.status_code == 200
    owner = await db.fetchval("SELECT person_id FROM push_subscription WHERE endpoint = $1",
                              new["endpoint"])
    assert owner == people["alice"]["id"]
    forged = await client.post("/portal/notifications/push/renew",
                               json={"old_endpoint": "https://push.example.com/guess",
                                     "subscription": sub})
    assert forged.status_code == 404
    sw = await client.get("/portal/sw.js")
    assert sw.status_code == 200 and "push-sw.js" in sw.text
    assert sw.headers["content-type"].startswith("text/javascript")


async def test_desk_rules_edit_dry_run_and_switch_off(db, client, people) -> None:
    await client.sign_in(realm="staff", subject_id=people["admin"]["id"])
    listing = await client.get("/desk/rules")
    assert listing.status_code == 200 and "Milestone completed → homeowner" in listing.text
    bad = await client.post_form("/desk/rules/new", {
        "name": "VIP leaks", "event_kind": "ticket.created",
        "conditions": "customer.tier = vip\nticket.category ~ leak", "actions": "escalate"})
    assert bad.status_code == 400 and "ticket.category ~ leak" in bad.text
    form = {"name": "VIP leaks", "event_kind": "ticket.created",
            "conditions": "customer.tier = vip\nticket.category = leak",
            "actions": "escalate\nadd_tag vip-watch", "enabled": "on"}
    dry = await client.post_form("/desk/rules/new", {**form, "do": "dry_run"})
    assert dry.status_code == 200 and "Nothing was sent or saved." in dry.text
    assert await db.fetchval("SELECT count(*) AS n FROM rule WHERE name = 'VIP leaks'") == 0
    saved = await client.post_form("/desk/rules/new", {**form, "do": "save"})
    assert saved.status_code == 303
    rid = await db.fetchval("SELECT id FROM rule WHERE name = 'VIP leaks'")
    off = await client.post_form(f"/desk/rules/{rid}/enabled", {})
    assert off.status_code == 303
    assert await db.fetchval("SELECT enabled FROM rule WHERE id = $1", rid) is False
    edit = await client.get(f"/desk/rules/{rid}")
    assert "add_tag vip-watch" in edit.text
    async with db.transaction():
        await db.execute("DELETE FROM rule WHERE id = $1", rid)


async def test_rules_are_for_admins_and_managers_only(client, people) -> None:
    await client.sign_in(realm="staff", subject_id=people["agent"]["id"])
    assert (await client.get("/desk/rules")).status_code == 403
    assert (await client.post_form("/desk/rules/new", {"name": "x"})).status_code == 403
    await client.sign_in(realm="customer", subject_id=people["alice"]["id"])
    assert (await client.get("/desk/rules")).status_code in (302, 303, 401, 403)


async def test_delivery_log_all_for_admin_own_for_agent(db, client, people) -> None:
    cust_note = await _note(db, "customer", people["alice"]["id"])
    agent_note = await _note(db, "staff", people["agent"]["id"], "task_created")
    await client.sign_in(realm="staff", subject_id=people["admin"]["id"])
    log = await client.get(f"/desk/notifications/{cust_note}")
    assert log.status_code == 200 and "Delivery log" in log.text and "Inbox" in log.text
    await client.sign_in(realm="staff", subject_id=people["agent"]["id"])
    assert (await client.get(f"/desk/notifications/{cust_note}")).status_code == 404
    own = await client.get(f"/desk/notifications/{agent_note}")
    assert own.status_code == 200 and "Mute this kind of message" in own.text
    listing = await client.get("/desk/notifications")
    assert listing.status_code == 200 and "Alice N" not in listing.text
