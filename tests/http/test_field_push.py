"""The field app's notifications over HTTP: the VAPID key for technicians, push subscribe /
renew / unsubscribe (stored for the staff user, audited), the page with its push panel and
work-alert switches, the technician's inbox with "why / mute" — and that homeowners, desk staff
and visitors get none of it (the wrong surface sends them to the field app's sign-in)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from backend import clock
from backend.notifications.channels import vapid_public_key
from backend.notifications.people import load_person
from backend.notifications.services import notify
from tests import factories as f

pytestmark = pytest.mark.http
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u"
                  "-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}


def browser_subscription() -> dict[str, Any]:
    return {"endpoint": f"https://push.example.com/{uuid.uuid4().hex}", "keys": dict(KEYS)}


@pytest.fixture
async def people(db):  # type: ignore[no-untyped-def]
    region = await f.make_region(db)
    return {
        "tina": await f.make_staff(db, role="technician", region_id=region, name="Tina F"),
        "tom": await f.make_staff(db, role="technician", region_id=region, name="Tom F"),
        "agent": await f.make_staff(db, role="service_agent", region_id=region),
        "alice": await f.make_customer(db, name="Alice F"),
    }


async def sign_in(client, person: dict[str, Any]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    realm = "staff" if "role" in person else "customer"
    await client.sign_in(realm=realm, subject_id=person["id"])
    return {"x-csrftoken": await client.csrf_token()}


async def subscriptions(db, person_id: uuid.UUID) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return await db.fetch("SELECT person_kind, person_id, endpoint, p256dh, auth FROM "
                          "push_subscription WHERE person_id = $1 ORDER BY created_at", person_id)


async def test_technician_gets_the_key_subscribes_renews_and_unsubscribes(
        db, client, people) -> None:  # type: ignore[no-untyped-def]
    tina = people["tina"]
    headers = await sign_in(client, tina)
    key = await client.get("/field/notifications/push/key")
    assert key.status_code == 200 and key.json() == {"key": vapid_public_key()}
    assert key.headers["cache-control"] == "no-store"

    sub = browser_subscription()
    assert (await client.post("/field/notifications/push", json=sub)).status_code == 403  # CSRF
    made = await client.post("/field/notifications/push", json=sub, headers=headers)
    assert made.status_code == 200 and made.json() == {"ok": True}
    rows = await subscriptions(db, tina["id"])
    assert [(r["person_kind"], r["endpoint"], r["auth"]) for r in rows] == [
        ("staff", sub["endpoint"], KEYS["auth"])]
    bad = await client.post("/field/notifications/push", json={"endpoint": "http://x"},
                            headers=headers)
    assert bad.status_code == 400

    # pushsubscriptionchange: no session, no CSRF token; the old endpoint proves who.
    new = browser_subscription()
    renewed = await client.post("/field/notifications/push/renew",
                                json={"old_endpoint": sub["endpoint"], "subscription": new})
    assert renewed.status_code == 200
    assert [r["endpoint"] for r in await subscriptions(db, tina["id"])] == [new["endpoint"]]
    forged = await client.post("/field/notifications/push/renew",
                               json={"old_endpoint": "https://push.example.com/guess",
                                     "subscription": browser_subscription()})
    assert forged.status_code == 404

    # Another technician cannot remove Tina's device; Tina can.
    tom_headers = await sign_in(client, people["tom"])
    await client.post("/field/notifications/push/remove", json={"endpoint": new["endpoint"]},
                      headers=tom_headers)
    assert len(await subscriptions(db, tina["id"])) == 1
    headers = await sign_in(client, tina)
    removed = await client.post("/field/notifications/push/remove",
                                json={"endpoint": new["endpoint"]}, headers=headers)
    assert removed.status_code == 200 and await subscriptions(db, tina["id"]) == []
    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_entry WHERE object_id = $1 AND action LIKE 'push.%' "
        "ORDER BY id", str(tina["id"]))]
    assert actions == ["push.subscribe", "push.renew", "push.unsubscribe"]


@pytest.mark.parametrize("surface", ["field", "portal"])
async def test_a_body_that_is_not_json_is_refused(client, people, surface: str) -> None:  # type: ignore[no-untyped-def]
    headers = await sign_in(client, people["tina" if surface == "field" else "alice"])
    for path, extra in ((f"/{surface}/notifications/push", headers),
                        (f"/{surface}/notifications/push/renew", {})):
        sent = await client.post(path, content=b"{not json", headers={
            **extra, "content-type": "application/json"})
        assert sent.status_code == 400, (path, sent.status_code)


async def test_field_renewal_only_renews_staff_devices(db, client, people) -> None:  # type: ignore[no-untyped-def]
    headers = await sign_in(client, people["alice"])
    home = browser_subscription()
    assert (await client.post("/portal/notifications/push", json=home,
                              headers=headers)).status_code == 200
    stolen = await client.post("/field/notifications/push/renew",
                               json={"old_endpoint": home["endpoint"],
                                     "subscription": browser_subscription()})
    assert stolen.status_code == 404
    assert [r["endpoint"] for r in await subscriptions(db, people["alice"]["id"])] == [
        home["endpoint"]]


@pytest.mark.parametrize("who", ["alice", "agent", "anonymous"])
async def test_other_personas_get_no_field_push(db, client, people, who: str) -> None:  # type: ignore[no-untyped-def]
    headers = {}
    if who != "anonymous":
        headers = await sign_in(client, people[who])
    for url in ("/field/notifications", "/field/notifications/push/key"):
        response = await client.get(url)
        assert response.status_code == 303, (who, url)
        assert response.headers["location"].startswith("/field/sign-in")
    sub = browser_subscription()
    response = await client.post("/field/notifications/push", json=sub,
                                 headers=headers or {"x-csrftoken": await client.csrf_token()})
    assert response.status_code == 303 and response.headers["location"] == "/field/sign-in"
    assert await db.fetchval("SELECT count(*) AS n FROM push_subscription WHERE endpoint = $1",
                             sub["endpoint"]) == 0


async def test_page_shows_push_panel_and_work_alert_switches(db, client, people) -> None:  # type: ignore[no-untyped-def]
    tina = people["tina"]
    await sign_in(client, tina)
    page = await client.get("/field/notifications")
    assert page.status_code == 200
    for attr in ('data-vapid-key-url="/field/notifications/push/key"',
                 'data-subscribe-url="/field/notifications/push"',
                 'data-unsubscribe-url="/field/notifications/push/remove"',
                 'data-sw-url="/field/sw.js"', 'data-sw-scope="/field/"',
                 'data-push-state="off"', 'data-push-state="denied"',
                 'data-push-state="unsupported"', "/static/js/push.js"):
        assert attr in page.text, attr
    assert "Work alerts" in page.text and 'name="work.push" checked' in page.text
    assert "Offers and news" not in page.text and "surveys_opt_out" not in page.text
    assert "Not turned on yet." in page.text
    day = await client.get("/field/")
    assert 'href="/field/notifications"' in day.text  # the bell in the top bar

    bad = await client.post_form("/field/notifications/settings", {
        "work.email": "on", "quiet_start": "22:00", "quiet_end": "", "daily_cap": "4"})
    assert bad.status_code == 400 and 'value="22:00"' in bad.text
    ok = await client.post_form("/field/notifications/settings", {
        "work.email": "on", "quiet_start": "22:00", "quiet_end": "07:00", "daily_cap": "4"})
    assert ok.status_code == 303 and ok.headers["location"] == "/field/notifications"
    person = await load_person(db, "staff", tina["id"])
    assert person.channels["work"] == ("email",)
    assert (person.quiet_start, person.quiet_end, person.daily_cap) == ("22:00", "07:00", 4)
    assert person.channels["milestones"] == ("push", "email")  # digests keep their defaults


async def test_inbox_why_open_and_mute_are_the_technicians_own(db, client, people) -> None:  # type: ignore[no-untyped-def]
    tina = people["tina"]
    with clock.frozen(NOON):
        async with db.transaction():
            nid = await notify(db, person_kind="staff", person_id=tina["id"],
                               message="task_created", params={"title": "Bring the spare hinge"},
                               link="/field/", dedup_key=uuid.uuid4().hex, reason="test")
    await sign_in(client, tina)
    listing = await client.get("/field/notifications")
    assert "New task: Bring the spare hinge" in listing.text
    assert f"/field/notifications/{nid}" in listing.text
    why = await client.get(f"/field/notifications/{nid}")
    assert why.status_code == 200 and "Why did I get this?" in why.text
    assert "Work alerts" in why.text
    opened = await client.post_form(f"/field/notifications/{nid}/open")
    assert opened.status_code == 303 and opened.headers["location"] == "/field/"
    muted = await client.post_form(f"/field/notifications/{nid}/mute")
    assert muted.status_code == 303
    assert "task_created" in await db.fetchval(
        "SELECT muted_kinds FROM notification_setting WHERE person_id = $1", tina["id"])

    await sign_in(client, people["tom"])
    assert (await client.get(f"/field/notifications/{nid}")).status_code == 404
    assert (await client.post_form(f"/field/notifications/{nid}/mute")).status_code == 404
    assert "Bring the spare hinge" not in (await client.get("/field/notifications")).text


async def test_each_service_worker_renews_on_its_own_surface(client) -> None:  # type: ignore[no-untyped-def]
    field = await client.get("/field/sw.js")
    assert 'self.HL_PUSH_RENEW_URL = "/field/notifications/push/renew";' in field.text
    assert "__PUSH_RENEW_URL__" not in field.text
    portal = await client.get("/portal/sw.js")
    assert 'self.HL_PUSH_RENEW_URL = "/portal/notifications/push/renew";' in portal.text
    shared = await client.get("/static/js/push-sw.js")
    assert shared.status_code == 200 and "/portal/" not in shared.text
    script = await client.get("/static/js/push.js")
    assert "/portal/" not in script.text and "/field/" not in script.text
