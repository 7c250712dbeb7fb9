"""Sign-in for homeowners (one-time codes) and staff (passwords), sessions and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from backend import clock
from tests import factories as f

pytestmark = pytest.mark.http


async def _request_code(client, contact: str):
    return await client.post_form("/portal/sign-in", {"contact": contact})


async def test_homeowner_signs_in_with_a_code_by_phone_in_any_format(client, db, codes) -> None:
    alice = await f.make_customer(db, name="Alice Zhang", phone="+8613912340001")
    response = await _request_code(client, "139 1234 0001")
    assert response.status_code == 200
    assert codes and codes[-1][0] == "+8613912340001"
    code = codes[-1][1]
    assert re.fullmatch(r"\d{6}", code)
    stored = await db.fetchval("SELECT code_hash FROM login_code WHERE target = $1",
                               "+8613912340001")
    assert code not in stored  # only a hash is kept
    done = await client.post_form("/portal/sign-in/verify",
                                  {"contact": "13912340001", "code": code})
    assert done.status_code == 303 and done.headers["location"] == "/portal/"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    home = await client.get("/portal/")
    assert home.status_code == 200
    assert "Alice Zhang" in home.text
    audit = await db.fetchval("SELECT count(*) AS n FROM audit_entry WHERE object_id = $1 "
                              "AND action = 'session.started'", str(alice["id"]))
    assert audit == 1


async def test_code_by_email_and_single_use(client, db, codes) -> None:
    await f.make_customer(db, email="Mei.Lin@Example.com")
    await _request_code(client, "mei.lin@EXAMPLE.com")
    code = codes[-1][1]
    ok = await client.post_form("/portal/sign-in/verify",
                                {"contact": "mei.lin@example.com", "code": code})
    assert ok.status_code == 303
    client.cookies.clear()
    again = await client.post_form("/portal/sign-in/verify",
                                   {"contact": "mei.lin@example.com", "code": code})
    assert again.status_code == 400
    assert "expired or was already used" in again.text


@pytest.mark.parametrize(("contact", "message"), [
    ("12345", "Enter a valid mobile phone number or e-mail address."),
    ("not an email@", "Enter a valid e-mail address."),
    ("nobody-here@example.org", "No homeowner account uses this e-mail address."),
    ("+86 139 0000 0000", "No homeowner account uses this phone number."),
])
async def test_bad_contact_is_explained_and_kept(client, db, codes, contact, message) -> None:
    response = await _request_code(client, contact)
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{contact}"' in response.text  # what the user typed is not lost
    assert not codes
    assert "hl_session" not in response.headers.get("set-cookie", "")


async def test_errors_are_translated_for_chinese_visitors(client, db, codes) -> None:
    response = await client.post(
        "/portal/sign-in", data={"contact": "12345", "_csrf_token": await client.csrf_token()},
        headers={"Accept-Language": "zh-Hans-CN,zh;q=0.9"})
    assert response.status_code == 400
    assert "请输入有效的手机号或邮箱地址。" in response.text
    assert 'lang="zh-CN"' in response.text


async def test_five_wrong_codes_burn_it(client, db, codes) -> None:
    customer = await f.make_customer(db)
    await _request_code(client, customer["phone"])
    good = codes[-1][1]
    wrong = "000000" if good != "000000" else "111111"
    for attempt in range(5):
        r = await client.post_form("/portal/sign-in/verify",
                                   {"contact": customer["phone"], "code": wrong})
        assert r.status_code == 400
        if attempt < 4:
            assert "not right" in r.text
    assert "no longer works" in r.text
    late = await client.post_form("/portal/sign-in/verify",
                                  {"contact": customer["phone"], "code": good})
    assert late.status_code == 400
    assert "hl_session" not in late.headers.get("set-cookie", "")


async def test_code_expires_after_ten_minutes(client, db, codes) -> None:
    customer = await f.make_customer(db)
    await _request_code(client, customer["phone"])
    code = codes[-1][1]
    with clock.frozen(clock.now() + timedelta(minutes=11)):
        r = await client.post_form("/portal/sign-in/verify",
                                   {"contact": customer["phone"], "code": code})
    assert r.status_code == 400 and "expired" in r.text


async def test_code_requests_are_rate_limited_per_contact(client, db, codes) -> None:
    customer = await f.make_customer(db)
    for _ in range(5):
        assert (await _request_code(client, customer["phone"])).status_code == 200
    blocked = await _request_code(client, customer["phone"])
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert len(codes) == 5


async def test_staff_password_and_lockout(client, db) -> None:
    agent = await f.make_staff(db, role="service_agent")
    for _ in range(5):
        r = await client.post_form("/desk/sign-in", {"email": agent["email"],
                                                     "password": "wrong password!"})
        assert r.status_code == 400 and "Wrong e-mail or password." in r.text
    locked = await client.post_form("/desk/sign-in", {"email": agent["email"],
                                                      "password": f.PASSWORD})
    assert locked.status_code == 429 and "locked" in locked.text
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        ok = await client.post_form("/desk/sign-in", {"email": agent["email"],
                                                      "password": f.PASSWORD})
    assert ok.status_code == 303 and ok.headers["location"] == "/desk/"


async def test_technician_cannot_use_desk_and_agent_cannot_use_field(client, db) -> None:
    tech = await f.make_staff(db, role="technician")
    r = await client.post_form("/desk/sign-in", {"email": tech["email"], "password": f.PASSWORD})
    assert r.status_code == 403 and "field app" in r.text
    agent = await f.make_staff(db, role="service_agent")
    r = await client.post_form("/field/sign-in", {"email": agent["email"],
                                                  "password": f.PASSWORD})
    assert r.status_code == 403
    ok = await client.post_form("/field/sign-in", {"email": tech["email"],
                                                   "password": f.PASSWORD})
    assert ok.status_code == 303 and ok.headers["location"] == "/field/"


async def test_unknown_staff_email_looks_like_a_wrong_password(client, db) -> None:
    r = await client.post_form("/desk/sign-in", {"email": "ghost@example.com",
                                                 "password": "whatever-pass"})
    assert r.status_code == 400 and "Wrong e-mail or password." in r.text


async def test_sign_out_and_sign_out_everywhere(app, db) -> None:
    from tests.http_client import Client

    customer = await f.make_customer(db)
    async with Client(app) as phone, Client(app) as laptop:
        await phone.sign_in(realm="customer", subject_id=customer["id"])
        await laptop.sign_in(realm="customer", subject_id=customer["id"])
        out = await phone.post_form("/portal/sign-out")
        assert out.status_code == 303
        assert (await phone.get("/portal/")).status_code == 303
        assert (await laptop.get("/portal/")).status_code == 200
        await phone.sign_in(realm="customer", subject_id=customer["id"])
        from backend.accounts.services import end_all_sessions
        from backend.web.auth import current_actor  # noqa: F401 - same layer the app uses

        actor_count = await db.fetchval(
            "SELECT count(*) AS n FROM user_session WHERE subject_id = $1", customer["id"])
        assert actor_count == 2
        from backend.access import Actor

        await end_all_sessions(db, actor=Actor(kind="customer", id=customer["id"]))
        assert (await laptop.get("/portal/")).status_code == 303
        assert (await phone.get("/portal/")).status_code == 303


async def test_missing_csrf_token_is_refused_with_a_clear_page(client, db, codes) -> None:
    await client.get("/portal/sign-in")
    response = await client.post("/portal/sign-in", data={"contact": "13912345678"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert not codes


async def test_open_redirects_are_refused(client, db, codes) -> None:
    customer = await f.make_customer(db)
    await _request_code(client, customer["phone"])
    r = await client.post_form("/portal/sign-in/verify", {
        "contact": customer["phone"], "code": codes[-1][1], "next": "//evil.example/"})
    assert r.headers["location"] == "/portal/"


async def test_the_token_rendered_in_every_form_is_accepted(client, db, codes) -> None:
    """A browser posts the token from the page, not from the cookie: every form carries it."""
    customer = await f.make_customer(db)
    page = await client.get("/portal/sign-in")
    tokens = re.findall(r'name="_csrf_token" value="([^"]*)"', page.text)
    assert tokens and all(tokens), "a form on the page has an empty CSRF token"
    r = await client.post("/portal/sign-in", data={"contact": customer["phone"],
                                                   "_csrf_token": tokens[0]})
    assert r.status_code == 200 and codes
