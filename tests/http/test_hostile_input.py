"""Long and hostile strings in the text fields of the portal and the desk: stored exactly,
rendered escaped, never an error page."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests import factories as f

pytestmark = pytest.mark.http

HOSTILE = {
    "script": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "sql": "Robert'); DROP TABLE ticket;-- \" OR 1=1 --",
    "template": "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    "controls": "tab\there\r\nbell\x07 esc\x1b[31m rtl\u202eevil zero\u200bwidth nul\x00byte",
    "emoji_cjk": "厨房漏水了😭🔧 水槽下面 mixed English 和中文 🏠 ，。！",
    "long_cjk": "漏" * 4000 + " end",
}
TOO_LONG = "长" * 10_000


def _stored(value: str) -> str:
    return value.replace("\x00", "").strip()


def _assert_escaped(page_text: str, value: str) -> None:
    assert "<script>alert" not in page_text
    assert "<img src=x" not in page_text
    # Jinja's autoescape (markupsafe) is what the page uses; compare with it.
    first_line = _stored(value).splitlines()[0][:60]
    assert str(escape(first_line)) in page_text


@pytest.fixture
async def homeowner(client, db):
    customer = await f.make_customer(db, name="Hostile Tester")
    project = await f.make_project(db, customer=customer)
    ticket = await f.make_ticket(db, customer=customer, project=project)
    await client.sign_in(realm="customer", subject_id=customer["id"])
    return {"customer": customer, "project": project, "ticket": ticket}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_portal_repair_description(client, db, homeowner, name) -> None:
    value = HOSTILE[name]
    r = await client.post_form("/portal/repairs", {
        "category": "leak", "description": value, "item": "", "key": f"hostile-{name}"})
    assert r.status_code in (303, 200), r.text[:500]
    row = await db.fetchrow("SELECT id, description FROM ticket WHERE customer_id = $1 AND "
                            "idempotency_key = $2", homeowner["customer"]["id"],
                            f"hostile-{name}")
    assert row is not None
    assert row["description"] == _stored(value)
    page = await client.get(f"/portal/tickets/{row['id']}")
    assert page.status_code == 200
    _assert_escaped(page.text, value)


async def test_portal_repair_description_too_long_keeps_the_form(client, homeowner) -> None:
    r = await client.post_form("/portal/repairs", {"category": "leak", "description": TOO_LONG,
                                                   "item": ""})
    assert r.status_code == 400
    assert "5,000 characters" in r.text
    assert TOO_LONG[:200] in r.text  # what the user typed is still in the form


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_portal_reply(client, db, homeowner, name) -> None:
    value = HOSTILE[name]
    ticket_id = homeowner["ticket"]["id"]
    r = await client.post_form(f"/portal/tickets/{ticket_id}/reply", {"body": value})
    assert r.status_code in (303, 200), r.text[:500]
    body = await db.fetchval("SELECT body FROM ticket_message WHERE ticket_id = $1 AND "
                             "author_customer_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
                             ticket_id)
    assert body == _stored(value)
    page = await client.get(f"/portal/tickets/{ticket_id}")
    assert page.status_code == 200
    _assert_escaped(page.text, value)


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("visibility", ["public", "internal"])
async def test_desk_message(client, db, name, visibility) -> None:
    agent = await f.make_staff(db, role="manager")
    customer = await f.make_customer(db)
    ticket = await f.make_ticket(db, customer=customer)
    await client.sign_in(realm="staff", subject_id=agent["id"])
    value = HOSTILE[name]
    r = await client.post_form(f"/desk/tickets/{ticket['id']}/messages",
                               {"body": value, "visibility": visibility})
    assert r.status_code in (303, 200), r.text[:500]
    body = await db.fetchval("SELECT body FROM ticket_message WHERE ticket_id = $1 AND "
                             "author_staff_id = $2", ticket["id"], agent["id"])
    assert body == _stored(value)
    page = await client.get(f"/desk/tickets/{ticket['id']}")
    assert page.status_code == 200
    _assert_escaped(page.text, value)


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_desk_search_never_errors(client, db, name) -> None:
    agent = await f.make_staff(db, role="manager")
    await client.sign_in(realm="staff", subject_id=agent["id"])
    for path in ("/desk/", "/desk/customers"):
        r = await client.get(path, params={"q": HOSTILE[name]})
        assert r.status_code == 200, (path, r.text[:300])
        assert "<script>alert" not in r.text


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_portal_profile_name(client, db, homeowner, name) -> None:
    value = HOSTILE[name][:90]
    r = await client.post_form("/portal/me", {"name": value, "email": "", "language": "en"})
    assert r.status_code in (303, 200, 400), r.text[:300]
    if r.status_code == 400:
        assert "<script>alert" not in r.text
        return
    stored = await db.fetchval("SELECT name FROM customer WHERE id = $1",
                               homeowner["customer"]["id"])
    assert stored == _stored(value)
    page = await client.get("/portal/me")
    _assert_escaped(page.text, value)


async def test_nul_in_any_query_string_is_harmless(client, db) -> None:
    manager = await f.make_staff(db, role="manager")
    await client.sign_in(realm="staff", subject_id=manager["id"])
    for path in ("/desk/?status=%00&category=x%00y&q=%00", "/desk/customers?q=a%00b",
                 "/desk/reports/?period=%00"):
        r = await client.get(path)
        assert r.status_code in (200, 303, 400), (path, r.text[:300])
