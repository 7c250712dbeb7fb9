"""A desk member's own notification settings (/desk/notifications/settings): Agnes (an agent)
saves channels, quiet hours and a daily cap and sees them again; a bad value is shown again
as typed with its message; Alice (a homeowner), Tina (a technician) and nobody are sent to the
desk's sign-in; and what Agnes saved decides how her next work alert travels."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend import clock
from backend.i18n import gettext
from backend.notifications.messages import categories_for
from backend.notifications.people import load_person
from backend.notifications.services import notify, why_link
from tests import factories as f
from tests.notify_kit import channels, run
from tests.smtp import smtp_peer

pytestmark = pytest.mark.http
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
SETTINGS = "/desk/notifications/settings"


@pytest.fixture
async def people(db):  # type: ignore[no-untyped-def]
    return {"agnes": await f.make_staff(db, role="service_agent", name="Agnes S"),
            "alice": await f.make_customer(db, name="Alice S"),
            "tina": await f.make_staff(db, role="technician", name="Tina S")}


async def _work_alert(db, person_id: uuid.UUID, message: str = "task_created") -> uuid.UUID:  # type: ignore[no-untyped-def]
    with clock.frozen(NOON):
        async with db.transaction():
            nid = await notify(db, person_kind="staff", person_id=person_id, message=message,
                               params={"title": "Call Mrs Wang back"}, link="/desk/tasks",
                               dedup_key=uuid.uuid4().hex, reason="test")
    assert nid is not None
    return nid


def test_staff_switch_only_their_work_alerts() -> None:
    assert categories_for("staff") == ("work",)
    assert {"marketing", "surveys"}.isdisjoint(categories_for("staff"))


async def test_agent_saves_channels_quiet_hours_and_cap_and_sees_them_again(
        db, client, people) -> None:  # type: ignore[no-untyped-def]
    agnes = people["agnes"]
    await client.sign_in(realm="staff", subject_id=agnes["id"])
    page = await client.get(SETTINGS)
    assert page.status_code == 200 and "My notification settings" in page.text
    assert "Work alerts" in page.text and "Offers and news" not in page.text
    assert 'name="work.email" checked' in page.text  # the default: e-mail on
    assert 'name="work.sms"' in page.text and 'name="work.sms" checked' not in page.text
    assert 'name="work.push"' not in page.text  # the desk has no push
    assert 'name="surveys_opt_out"' not in page.text
    assert "push, then e-mail" not in page.text

    saved = await client.post_form(SETTINGS, {"work.sms": "on", "quiet_start": "21:30",
                                              "quiet_end": "07:00", "daily_cap": "7"})
    assert saved.status_code == 303 and saved.headers["location"] == SETTINGS
    again = await client.get(SETTINGS)
    assert "Your changes are saved." in again.text
    assert 'name="work.sms" checked' in again.text
    assert 'name="work.email" checked' not in again.text
    for value in ('value="21:30"', 'value="07:00"', 'value="7"'):
        assert value in again.text
    person = await load_person(db, "staff", agnes["id"])
    assert person is not None
    assert (person.quiet_start, person.quiet_end, person.daily_cap) == ("21:30", "07:00", 7)
    assert person.channels["work"] == ("sms",)  # push switched off with the rest


async def test_bad_values_answer_400_with_the_message_and_keep_what_was_typed(
        db, client, people) -> None:  # type: ignore[no-untyped-def]
    agnes = people["agnes"]
    await client.sign_in(realm="staff", subject_id=agnes["id"])
    bad = await client.post_form(SETTINGS, {"work.sms": "on", "quiet_start": "7pm",
                                            "quiet_end": "", "daily_cap": "99"})
    assert bad.status_code == 400
    assert "Use a time like 22:00." in bad.text
    assert "Give both a start and an end, or leave both empty." in bad.text
    assert "Choose between 1 and 50 messages a day." in bad.text
    assert 'value="7pm"' in bad.text and 'value="99"' in bad.text
    assert 'name="work.sms" checked' in bad.text and 'name="work.email" checked' not in bad.text
    assert await db.fetchval("SELECT count(*) AS n FROM notification_setting "
                             "WHERE person_id = $1", agnes["id"]) == 0

    chen = await f.make_staff(db, role="dispatcher", language="zh_CN")
    await client.sign_in(realm="staff", subject_id=chen["id"])
    zh = await client.post_form(SETTINGS, {"quiet_start": "21:00", "quiet_end": "07:00",
                                           "daily_cap": "0"})
    message = gettext("Choose between 1 and 50 messages a day.", "zh_CN")
    assert message != "Choose between 1 and 50 messages a day."
    assert zh.status_code == 400 and message in zh.text and 'value="0"' in zh.text


async def test_no_phone_no_sms_switch(db, client, people) -> None:  # type: ignore[no-untyped-def]
    agnes = people["agnes"]
    async with db.transaction():
        await db.execute("UPDATE staff_user SET phone = NULL WHERE id = $1", agnes["id"])
    await client.sign_in(realm="staff", subject_id=agnes["id"])
    page = await client.get(SETTINGS)
    assert 'name="work.email"' in page.text and 'name="work.sms"' not in page.text
    assert "Text messages need a phone number on your staff account." in page.text


@pytest.mark.parametrize("persona", ["alice", "tina", "anonymous"])
async def test_only_desk_staff_reach_it(db, client, people, persona: str) -> None:  # type: ignore[no-untyped-def]
    if persona != "anonymous":
        realm = "customer" if persona == "alice" else "staff"
        await client.sign_in(realm=realm, subject_id=people[persona]["id"])
    shown = await client.get(SETTINGS)
    saved = await client.post_form(SETTINGS, {"quiet_start": "20:00", "quiet_end": "08:00",
                                              "daily_cap": "2"})
    for response in (shown, saved):
        assert response.status_code == 303, (persona, response.text[:300])
        assert response.headers["location"].startswith("/desk/sign-in")
    if persona != "anonymous":
        assert await db.fetchval("SELECT count(*) AS n FROM notification_setting "
                                 "WHERE person_id = $1", people[persona]["id"]) == 0


async def test_saving_needs_the_csrf_token(client, people) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="staff", subject_id=people["agnes"]["id"])
    forged = await client.post(SETTINGS, data={"daily_cap": "2"})
    assert forged.status_code == 403


async def test_the_why_link_and_the_log_lead_to_the_settings(db, client, people) -> None:  # type: ignore[no-untyped-def]
    agnes = people["agnes"]
    nid = await _work_alert(db, agnes["id"])
    why = why_link("staff", nid, "service_agent")
    assert why == f"/desk/notifications/{nid}"
    await client.sign_in(realm="staff", subject_id=agnes["id"])
    page = await client.get(why)
    assert page.status_code == 200 and "Mute this kind of message" in page.text
    assert f'href="{SETTINGS}"' in page.text
    assert f'href="{SETTINGS}"' in (await client.get("/desk/notifications")).text


async def test_email_switched_off_means_inbox_only(db, client, people) -> None:  # type: ignore[no-untyped-def]
    """Before: a work alert goes to the inbox and by e-mail (no push subscription, so e-mail
    takes over). After Agnes turns e-mail off (SMS stays off): the inbox only."""
    agnes = people["agnes"]

    async def states(nid: uuid.UUID) -> set[tuple[str, str]]:
        rows = await db.fetch("SELECT channel, status FROM notification_delivery "
                              "WHERE notification_id = $1", nid)
        return {(r["channel"], r["status"]) for r in rows}

    with smtp_peer() as smtp:

        def mails_to_agnes() -> int:  # the worker also sends what other tests left pending
            return sum(agnes["email"] in m["To"] for m in smtp.messages)

        before = await _work_alert(db, agnes["id"], "task_created")
        with clock.frozen(NOON):
            await run(db, channels(smtp_port=smtp.port))
        for _ in range(100):
            if mails_to_agnes():
                break
            await asyncio.sleep(0.02)
        assert ("email", "sent") in await states(before)
        assert mails_to_agnes() == 1

        await client.sign_in(realm="staff", subject_id=agnes["id"])
        saved = await client.post_form(SETTINGS, {"quiet_start": "", "quiet_end": "",
                                                  "daily_cap": "5"})
        assert saved.status_code == 303

        after = await _work_alert(db, agnes["id"], "task_assigned")
        with clock.frozen(NOON):
            await run(db, channels(smtp_port=smtp.port))
        await asyncio.sleep(0.1)
        assert await states(after) == {("inbox", "sent")}
        assert mails_to_agnes() == 1  # nothing more was e-mailed
    listing = await client.get("/desk/notifications")
    assert listing.text.count("Call Mrs Wang back") == 2  # both are in her inbox


async def test_the_daily_digest_follows_the_work_alert_channels(db, client, people) -> None:  # type: ignore[no-untyped-def]
    """Agnes allows one message a day, by SMS only. Three work alerts: one goes out, two are
    held; next morning their digest is a work message on her work channels (SMS), not on the
    homeowners' "milestones" defaults."""
    agnes = people["agnes"]
    await client.sign_in(realm="staff", subject_id=agnes["id"])
    saved = await client.post_form(SETTINGS, {"work.sms": "on", "quiet_start": "",
                                              "quiet_end": "", "daily_cap": "1"})
    assert saved.status_code == 303
    for _ in range(3):
        await _work_alert(db, agnes["id"])
    with clock.frozen(NOON):
        await run(db)
    with clock.frozen(NOON + timedelta(hours=20)):  # 08:00 the next day
        await run(db)
        await run(db)
    digest = await db.fetchrow("SELECT id, kind, category FROM notification WHERE person_id = $1 "
                               "AND kind LIKE '%digest'", agnes["id"])
    assert digest is not None and (digest["kind"], digest["category"]) == ("work_digest", "work")
    channels_used = {r["channel"] for r in await db.fetch(
        "SELECT channel FROM notification_delivery WHERE notification_id = $1", digest["id"])}
    assert channels_used == {"inbox", "sms"}
