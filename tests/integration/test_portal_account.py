"""Household invitations, profile edits and surveys, through the services."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend import clock
from backend.access import Actor
from backend.customers import services as customers
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.surveys import queries as survey_queries
from backend.surveys import services as surveys
from tests import factories as f
from tests.portal_helpers import actor_for

pytestmark = pytest.mark.integration


async def _visible_projects(db, person) -> set:  # type: ignore[no-untyped-def]
    from backend.projects.queries import projects_for

    return {p["id"] for p in await projects_for(db, actor_for(person))}


async def test_invite_sign_in_and_remove(db) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts import services as accounts

    alice, bob = await f.make_customer(db), await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    phone = f.random_phone()
    invite = await customers.invite_household_member(db, actor=actor_for(alice), phone=phone,
                                                     name="Grandma", relation="parent")
    # The new member gets their own code and sees the shared project.
    issued = await accounts.request_login_code(db, contact=phone, ip="10.9.0.1")
    member_id = await accounts.verify_login_code(db, contact=phone, code=issued.code,
                                                 ip="10.9.0.1")
    assert member_id == invite["member_id"]
    member = {"id": member_id, "name": "Grandma"}
    assert project["id"] in await _visible_projects(db, member)
    with pytest.raises(ValidationFailed):
        await customers.invite_household_member(db, actor=actor_for(alice), phone=phone)
    with pytest.raises(NotFound):  # someone else cannot remove it
        await customers.remove_household_member(db, actor=actor_for(bob),
                                                membership_id=invite["id"])
    await customers.remove_household_member(db, actor=actor_for(alice),
                                            membership_id=invite["id"])
    assert project["id"] not in await _visible_projects(db, member)
    assert await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE kind = "
                             "'household.invited' AND aggregate_id = $1", str(alice["id"])) == 1


async def test_invite_rejects_bad_or_own_numbers(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    for phone in ("12345", alice["phone"]):
        with pytest.raises(ValidationFailed):
            await customers.invite_household_member(db, actor=actor_for(alice), phone=phone)


async def test_profile_update_and_consent(db) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await f.make_customer(db), await f.make_customer(
        db, email=f"bob-{uuid.uuid4().hex[:6]}@example.cn")
    await customers.update_profile(db, actor=actor_for(alice), name="Alice Wang",
                                   email="Alice@Example.CN", language="zh_CN",
                                   consent_service=True, consent_marketing=True)
    row = await db.fetchrow("SELECT name, email, language, consent_marketing, "
                            "consent_updated_at FROM customer WHERE id = $1", alice["id"])
    assert row["email"] == "Alice@example.cn" and row["language"] == "zh_CN"
    assert row["consent_marketing"] is True and row["consent_updated_at"] is not None
    with pytest.raises(ValidationFailed) as caught:
        await customers.update_profile(db, actor=actor_for(alice), name="", email="nope",
                                       language="fr", consent_service=True,
                                       consent_marketing=False)
    assert set(caught.value.errors) == {"name", "email", "language"}
    with pytest.raises(ValidationFailed):
        await customers.update_profile(db, actor=actor_for(alice), name="A",
                                       email=bob["email"], language="en",
                                       consent_service=True, consent_marketing=False)


async def test_survey_link_is_signed_single_use_and_expiring(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    token = await surveys.issue_survey(db, customer_id=alice["id"], kind="nps",
                                       trigger="install_completed")
    stored = await db.fetchval("SELECT token_hash FROM survey WHERE customer_id = $1",
                               alice["id"])
    assert token not in stored and stored == surveys.token_hash(token)
    assert await survey_queries.find_by_token(db, token + "x") is None  # forged signature
    survey = await survey_queries.find_by_token(db, token)
    assert surveys.link_state(survey) == "open"
    with pytest.raises(ValidationFailed):
        await surveys.answer_survey(db, survey=survey, score="11")
    await surveys.answer_survey(db, survey=survey, score="9")
    with pytest.raises(InvalidTransition):
        await surveys.answer_survey(db, survey=survey, score="3")
    answered = await survey_queries.find_by_token(db, token)
    assert surveys.link_state(answered) == "answered" and answered["score"] == 9
    await surveys.add_reason(db, survey=answered, comment="Tidy installers")
    assert (await survey_queries.find_by_token(db, token))["comment"] == "Tidy installers"
    assert await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE kind = "
                             "'survey.answered' AND aggregate_id = $1", str(survey["id"])) == 1


async def test_expired_survey_and_portal_ownership(db) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await f.make_customer(db), await f.make_customer(db)
    token = await surveys.issue_survey(db, customer_id=alice["id"], kind="csat",
                                       trigger="repair_resolved")
    survey = await survey_queries.find_by_token(db, token)
    with pytest.raises(NotFound):
        await survey_queries.survey_for_customer(db, actor_for(bob), survey["id"])
    opened = await survey_queries.open_surveys(db, actor_for(alice))
    assert [s["id"] for s in opened] == [survey["id"]]
    async with db.transaction():
        await db.execute("UPDATE survey SET expires_at = $2 WHERE id = $1", survey["id"],
                         clock.now() - timedelta(minutes=1))
    expired = await survey_queries.find_by_token(db, token)
    assert surveys.link_state(expired) == "expired"
    with pytest.raises(InvalidTransition):
        await surveys.answer_survey(db, survey=expired, score="5",
                                    actor=Actor(kind="customer", id=alice["id"]))
