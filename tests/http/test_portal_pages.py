"""The portal over HTTP: every page renders for its homeowner without staff-only data, the
forms work with and without htmx, bad photos keep the form, double taps file once."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from backend.surveys import services as surveys
from tests import factories as f
from tests.portal_helpers import add_change_request, add_product_line, open_acceptance

pytestmark = pytest.mark.http

SECRETS = ("INTERNAL-NOTE", "STAFF-ONLY-DESIGN", "STAFF-TAG", "12345600", "123,456")


@pytest.fixture
async def home(db):  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db, name="Alice 王")
    project = await f.make_project(db, customer=alice)
    async with db.transaction():
        await db.execute("UPDATE project SET design_notes = 'STAFF-ONLY-DESIGN' WHERE id = $1",
                         project["id"])
        await db.execute("UPDATE customer SET tags = '[\"STAFF-TAG\"]', value_tier = 'vip' "
                         "WHERE id = $1", alice["id"])
    line = await add_product_line(db, project)
    ticket = await f.make_ticket(db, customer=alice, project=project,
                                 internal_text="INTERNAL-NOTE-ALICE do not show")
    change = await add_change_request(db, project)
    token = await surveys.issue_survey(db, customer_id=alice["id"], kind="nps",
                                       project_id=project["id"], trigger="install_completed")
    survey_id = await db.fetchval("SELECT id FROM survey WHERE token_hash = $1",
                                  surveys.token_hash(token))
    return {"alice": alice, "project": project, "line": line, "ticket": ticket,
            "change": change, "token": token, "survey_id": survey_id}


def _pages(h: dict) -> list[str]:
    return ["/portal/", f"/portal/projects/{h['project']['id']}",
            f"/portal/changes/{h['change']}", f"/portal/projects/{h['project']['id']}/acceptance",
            "/portal/tickets", "/portal/repairs/new", f"/portal/tickets/{h['ticket']['id']}",
            "/portal/me", "/portal/household", f"/portal/surveys/{h['survey_id']}"]


async def test_every_page_renders_light_and_without_staff_data(client, home) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    for url in _pages(home):
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        for secret in SECRETS:
            assert secret not in response.text, (url, secret)
        assert len(response.content) < 30_000, (url, len(response.content))
        assert "style=" not in response.text and "<script>" not in response.text


async def test_other_homeowner_gets_not_found(client, home, db) -> None:  # type: ignore[no-untyped-def]
    bob = await f.make_customer(db)
    await client.sign_in(realm="customer", subject_id=bob["id"])
    for url in _pages(home)[1:]:
        if url in ("/portal/tickets", "/portal/repairs/new", "/portal/me", "/portal/household"):
            continue
        response = await client.get(url)
        assert response.status_code == 404, url
    change = await client.post_form(f"/portal/changes/{home['change']}/decision",
                                    {"decision": "approve"})
    assert change.status_code == 404
    reply = await client.post_form(f"/portal/tickets/{home['ticket']['id']}/reply",
                                   {"body": "hi"})
    assert reply.status_code == 404
    accept = await client.post_form(f"/portal/projects/{home['project']['id']}/acceptance",
                                    {"action": "confirm"})
    assert accept.status_code == 404
    assert await db.fetchval("SELECT status FROM change_request WHERE id = $1",
                             home["change"]) == "pending"


async def test_repair_request_with_two_photos(client, home, photos_dir: Path, db) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    form = await client.get("/portal/repairs/new")
    assert "In warranty" not in form.text  # not accepted yet
    assert "Not covered by warranty" in form.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', form.text).group(1)
    data = {"_csrf_token": await client.csrf_token(), "key": key, "category": "door_drawer",
            "description": "The hinge of the left door is broken.",
            "item": f"{home['project']['id']}:{home['line']}", "windows": ["weekend_morning"]}
    files = [("photos", ("a.jpg", (photos_dir / "orientation-landscape_6.jpg").read_bytes(),
                         "image/jpeg")),
             ("photos", ("b.jpg", (photos_dir / "gps-DSCN0010.jpg").read_bytes(),
                         "image/jpeg"))]
    first = await client.post("/portal/repairs", data=data, files=files)
    assert first.status_code == 303, first.text[:500]
    again = await client.post("/portal/repairs", data=data, files=files)  # double tap
    assert again.headers["location"] == first.headers["location"]
    page = await client.get(first.headers["location"])
    ticket = await db.fetchrow("SELECT id, number FROM ticket WHERE idempotency_key = $1", key)
    assert ticket["number"] in page.text
    assert page.text.count("/portal/photos/") >= 4  # two thumbs, two full-view links
    listing = await client.get("/portal/tickets")
    assert ticket["number"] in listing.text


async def test_bad_photo_keeps_the_form(client, home, photos_dir: Path, db) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    key = uuid.uuid4().hex
    data = {"_csrf_token": await client.csrf_token(), "key": key, "category": "leak",
            "description": "Water under the kitchen sink", "windows": ["weekday_evening"]}
    files = [("photos", ("ok.jpg", (photos_dir / "Canon_40D.jpg").read_bytes(), "image/jpeg")),
             ("photos", ("doc.pdf", b"%PDF-1.7 this is not a photo", "application/pdf"))]
    response = await client.post("/portal/repairs", data=data, files=files)
    assert response.status_code == 400
    assert "Water under the kitchen sink" in response.text
    assert 'value="weekday_evening" checked' in response.text
    assert "not a photo" in response.text
    assert await db.fetchval("SELECT count(*) AS n FROM ticket WHERE idempotency_key = $1",
                             key) == 0


async def test_htmx_repair_form_errors_swap_the_form(client, home) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    response = await client.hx_post("/portal/repairs", {"key": uuid.uuid4().hex,
                                                         "description": "short"})
    assert response.status_code == 400
    assert response.text.lstrip().startswith('<form id="repair-form"')
    assert "Choose what kind of problem it is." in response.text


async def test_decide_change_and_reply_and_reopen(client, home, db) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    declined = await client.post_form(f"/portal/changes/{home['change']}/decision",
                                      {"decision": "decline"})
    assert declined.status_code == 400 and "why you decline" in declined.text
    approved = await client.post_form(f"/portal/changes/{home['change']}/decision",
                                      {"decision": "approve", "note": "Go ahead"})
    assert approved.status_code == 303
    page = await client.get(f"/portal/changes/{home['change']}")
    assert "Approved" in page.text and "Go ahead" in page.text
    reply = await client.post_form(f"/portal/tickets/{home['ticket']['id']}/reply",
                                   {"body": "Thanks, Monday works.", "key": uuid.uuid4().hex})
    assert reply.status_code == 303
    thread = await client.get(f"/portal/tickets/{home['ticket']['id']}")
    assert "Thanks, Monday works." in thread.text and "INTERNAL-NOTE" not in thread.text


async def test_acceptance_defect_via_http(client, home, photos_dir: Path, db) -> None:  # type: ignore[no-untyped-def]
    await open_acceptance(db, home["project"])
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    url = f"/portal/projects/{home['project']['id']}/acceptance"
    data = {"_csrf_token": await client.csrf_token(), "key": uuid.uuid4().hex,
            "action": "defects", "defect_1": "Scratch on the worktop"}
    files = [("defect_1_photos", ("s.jpg", (photos_dir / "Canon_40D.jpg").read_bytes(),
                                  "image/jpeg"))]
    response = await client.post(url, data=data, files=files)
    assert response.status_code == 303, response.text[:400]
    page = await client.get(url)
    assert "Scratch on the worktop" in page.text
    confirm = await client.post_form(url, {"action": "confirm"})
    assert confirm.status_code == 303
    assert "You signed the acceptance" in (await client.get(url)).text


async def test_survey_link_without_sign_in(client, home, db) -> None:  # type: ignore[no-untyped-def]
    link = f"/s/{home['token']}"
    page = await client.get(link)
    assert page.status_code == 200 and 'value="10"' in page.text
    answered = await client.post_form(link, {"score": "10"})
    assert answered.status_code == 303
    thanks = await client.get(link)
    assert "Thank you!" in thanks.text and 'name="comment"' in thanks.text
    await client.post_form(f"{link}/why", {"comment": "Great team"})
    again = await client.post_form(link, {"score": "2"})
    assert again.status_code == 409
    assert await db.fetchval("SELECT score FROM survey_response WHERE survey_id = $1",
                             home["survey_id"]) == 10
    bogus = await client.get("/s/abc.def")
    assert bogus.status_code == 404 and "not valid" in bogus.text and 'href="/portal"' in bogus.text


async def test_household_and_profile(client, home, db) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="customer", subject_id=home["alice"]["id"])
    phone = f.random_phone()
    invited = await client.post_form("/portal/household", {"phone": phone, "name": "Mum",
                                                           "relation": "parent"})
    assert invited.status_code == 303
    page = await client.get("/portal/household")
    assert "Mum" in page.text
    bad = await client.post_form("/portal/household", {"phone": "123", "name": "X"})
    assert bad.status_code == 400 and 'value="X"' in bad.text
    saved = await client.post_form("/portal/me", {"name": "Alice W", "email": "",
                                                  "language": "en", "consent_service": "1"})
    assert saved.status_code == 303
    everywhere = await client.post_form("/portal/me/sign-out-everywhere", {})
    assert everywhere.status_code == 303
    assert (await client.get("/portal/")).status_code == 303  # signed out
