"""Portal services: repair requests, replies, reopen, change requests, acceptance,
household, profile and surveys — through the services, on a real database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend import clock
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.media.pipeline import PhotoRejected
from backend.projects import services as projects
from backend.tickets import intake
from tests import factories as f
from tests.portal_helpers import (
    actor_for,
    add_change_request,
    add_product_line,
    jpeg,
    open_acceptance,
    resolve,
)

pytestmark = pytest.mark.integration


async def _events(db, kind: str, aggregate_id) -> int:  # type: ignore[no-untyped-def]
    return await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE kind = $1 "
                             "AND aggregate_id = $2", kind, str(aggregate_id))


async def test_repair_request_with_photos_and_warranty(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    today = clock.now().date()
    line = await add_product_line(db, project, months=24, accepted_on=today - timedelta(days=30))
    ticket = await intake.create_repair_request(
        db, actor=actor_for(alice), project_id=project["id"], product_line_id=line,
        category="door_drawer", description="The drawer front is loose.",
        windows=["weekend_morning", "bogus"], photos=[jpeg(), jpeg((10, 20, 30))],
        idempotency_key="k-" + uuid.uuid4().hex)
    assert ticket["number"].startswith("T")
    row = await db.fetchrow("SELECT * FROM ticket WHERE id = $1", ticket["id"])
    assert row["warranty_status"] == "in_warranty"
    assert row["warranty_until"] > today
    assert row["preferred_windows"] == '["weekend_morning"]'
    assert row["customer_id"] == alice["id"] and row["status"] == "new"
    photos = await db.fetch("SELECT customer_visible, project_id FROM media WHERE ticket_id = $1",
                            ticket["id"])
    assert len(photos) == 2 and all(p["customer_visible"] and p["project_id"] is None
                                    for p in photos)
    assert await _events(db, "ticket.created", ticket["id"]) == 1


async def test_double_tap_creates_one_ticket(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    key = uuid.uuid4().hex
    kwargs = {"actor": actor_for(alice), "project_id": None, "product_line_id": None,
                  "category": "leak", "description": "Water under the sink.", "photos": [jpeg()],
                  "idempotency_key": key}
    first = await intake.create_repair_request(db, **kwargs)
    second = await intake.create_repair_request(db, **kwargs)
    assert first["id"] == second["id"]
    assert await db.fetchval("SELECT count(*) AS n FROM ticket WHERE idempotency_key = $1",
                             key) == 1
    assert first["warranty_status"] == "not_covered"


async def test_bad_photo_keeps_nothing(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    before = await db.fetchval("SELECT count(*) AS n FROM ticket WHERE customer_id = $1",
                               alice["id"])
    with pytest.raises(PhotoRejected) as caught:
        await intake.create_repair_request(
            db, actor=actor_for(alice), project_id=None, product_line_id=None,
            category="leak", description="Water under the sink.",
            photos=[jpeg(), b"%PDF-1.4 not a photo"], idempotency_key=uuid.uuid4().hex)
    assert caught.value.message
    assert await db.fetchval("SELECT count(*) AS n FROM ticket WHERE customer_id = $1",
                             alice["id"]) == before


async def test_repair_request_validation_and_scope(db) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await f.make_customer(db), await f.make_customer(db)
    project_b = await f.make_project(db, customer=bob)
    with pytest.raises(ValidationFailed) as caught:
        await intake.create_repair_request(db, actor=actor_for(alice), project_id=None,
                                           product_line_id=None, category="nope",
                                           description="x")
    assert set(caught.value.errors) == {"category", "description"}
    with pytest.raises(NotFound):
        await intake.create_repair_request(db, actor=actor_for(alice),
                                           project_id=project_b["id"], product_line_id=None,
                                           category="leak", description="Not my project.")


async def test_reply_reopen_and_windows(db) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await f.make_customer(db), await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    ticket = await f.make_ticket(db, customer=alice, project=project)
    key = uuid.uuid4().hex
    for _ in range(2):  # double tap: one message
        await intake.add_customer_reply(db, actor=actor_for(alice), ticket_id=ticket["id"],
                                        body="Here is another photo.", photos=[jpeg()],
                                        idempotency_key=key)
    assert await db.fetchval("SELECT count(*) AS n FROM ticket_message WHERE ticket_id = $1 "
                             "AND body = 'Here is another photo.'", ticket["id"]) == 1
    assert await _events(db, "ticket.customer_replied", ticket["id"]) == 1
    with pytest.raises(NotFound):
        await intake.add_customer_reply(db, actor=actor_for(bob), ticket_id=ticket["id"],
                                        body="Not mine")
    with pytest.raises(InvalidTransition):  # still open
        await intake.reopen_ticket(db, actor=actor_for(alice), ticket_id=ticket["id"])
    await resolve(db, ticket["id"], days_ago=3)
    await intake.reopen_ticket(db, actor=actor_for(alice), ticket_id=ticket["id"],
                               reason="Still loose.")
    row = await db.fetchrow("SELECT status, reopen_count FROM ticket WHERE id = $1",
                            ticket["id"])
    assert row["status"] == "open" and row["reopen_count"] == 1
    assert await _events(db, "ticket.reopened", ticket["id"]) == 1
    await resolve(db, ticket["id"], days_ago=15)
    with pytest.raises(InvalidTransition):
        await intake.reopen_ticket(db, actor=actor_for(alice), ticket_id=ticket["id"])


def test_customer_stage_mapping() -> None:
    assert intake.customer_stage("new") == "received"
    assert intake.customer_stage("waiting") == "received"
    assert intake.customer_stage("scheduled") == "scheduled"
    assert intake.customer_stage("scheduled", visited=True) == "visited"
    assert intake.customer_stage("closed", visited=True) == "resolved"


async def test_approving_a_change_shifts_the_plan(db) -> None:  # type: ignore[no-untyped-def]
    alice, carol, bob = (await f.make_customer(db), await f.make_customer(db),
                         await f.make_customer(db))
    await f.add_household_member(db, alice, carol)
    project = await f.make_project(db, customer=alice)
    change = await add_change_request(db, project, days=3, position=4)
    before = {r["position"]: r for r in await db.fetch(
        "SELECT position, planned_end FROM milestone WHERE project_id = $1", project["id"])}
    with pytest.raises(NotFound):
        await projects.decide_change_request(db, actor=actor_for(bob), change_id=change,
                                             decision="approve")
    await projects.decide_change_request(db, actor=actor_for(carol), change_id=change,
                                         decision="approve", note="OK for us")
    after = {r["position"]: r for r in await db.fetch(
        "SELECT position, planned_end FROM milestone WHERE project_id = $1", project["id"])}
    for pos in range(8):
        delta = after[pos]["planned_end"] - before[pos]["planned_end"]
        assert delta == (timedelta(days=3) if pos >= 4 else timedelta(0))
    row = await db.fetchrow("SELECT status, decided_by_id, decided_at FROM change_request "
                            "WHERE id = $1", change)
    assert row["status"] == "approved" and row["decided_by_id"] == carol["id"]
    assert row["decided_at"] is not None
    assert await _events(db, "change_request.decided", change) == 1
    with pytest.raises(InvalidTransition):
        await projects.decide_change_request(db, actor=actor_for(alice), change_id=change,
                                             decision="decline", note="changed my mind")


async def test_declining_needs_a_note(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    change = await add_change_request(db, project)
    with pytest.raises(ValidationFailed):
        await projects.decide_change_request(db, actor=actor_for(alice), change_id=change,
                                             decision="decline")
    await projects.decide_change_request(db, actor=actor_for(alice), change_id=change,
                                         decision="decline", note="Too expensive")
    assert await db.fetchval("SELECT status FROM change_request WHERE id = $1",
                             change) == "declined"


async def test_acceptance_defects_become_tickets_then_confirm(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    with pytest.raises(InvalidTransition):
        await projects.sign_off_acceptance(db, actor=actor_for(alice),
                                           project_id=project["id"], confirm=True)
    milestone = await open_acceptance(db, project)
    key = uuid.uuid4().hex
    defects = [projects.Defect("Scratch on the worktop", [jpeg()]),
               projects.Defect("Door rubs the frame", []), projects.Defect("", [])]
    result = await projects.sign_off_acceptance(db, actor=actor_for(alice),
                                                project_id=project["id"], confirm=False,
                                                defects=defects, idempotency_key=key)
    again = await projects.sign_off_acceptance(db, actor=actor_for(alice),
                                               project_id=project["id"], confirm=False,
                                               defects=defects, idempotency_key=key)
    assert len(result["tickets"]) == 2 and len(again["tickets"]) == 2
    rows = await db.fetch("SELECT channel, category, milestone_id FROM ticket "
                          "WHERE project_id = $1 AND channel = 'acceptance'", project["id"])
    assert len(rows) == 2 and all(r["milestone_id"] == milestone for r in rows)
    await projects.sign_off_acceptance(db, actor=actor_for(alice), project_id=project["id"],
                                       confirm=True)
    accepted = await db.fetchrow("SELECT accepted_on, current_stage FROM project WHERE id = $1",
                                 project["id"])
    assert accepted["accepted_on"] is not None and accepted["current_stage"] == "warranty"
    assert await _events(db, "acceptance.signed", project["id"]) == 1
    with pytest.raises(InvalidTransition):
        await projects.sign_off_acceptance(db, actor=actor_for(alice),
                                           project_id=project["id"], confirm=True)


async def test_acceptance_needs_a_described_defect(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    project = await f.make_project(db, customer=alice)
    await open_acceptance(db, project)
    with pytest.raises(ValidationFailed):
        await projects.sign_off_acceptance(db, actor=actor_for(alice),
                                           project_id=project["id"], confirm=False,
                                           defects=[projects.Defect("", [])])




async def test_repair_request_freezes_the_sla(db) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    policy = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO sla_policy (id, category, priority, first_response_minutes, "
            "resolution_minutes, active) VALUES ($1, 'electrical', 'normal', 120, 2880, TRUE)",
            policy)
    try:
        ticket = await intake.create_repair_request(
            db, actor=actor_for(alice), project_id=None, product_line_id=None,
            category="electrical", description="The cabinet light flickers.")
        row = await db.fetchrow("SELECT sla_snapshot, first_response_due, resolution_due "
                                "FROM ticket WHERE id = $1", ticket["id"])
        assert row["sla_snapshot"] != "{}" and row["first_response_due"] is not None
        assert row["resolution_due"] > row["first_response_due"]
    finally:
        async with db.transaction():
            await db.execute("DELETE FROM sla_policy WHERE id = $1", policy)


async def test_iphone_heic_photo_is_accepted(db, photos_dir) -> None:  # type: ignore[no-untyped-def]
    alice = await f.make_customer(db)
    ticket = await intake.create_repair_request(
        db, actor=actor_for(alice), project_id=None, product_line_id=None, category="crack",
        description="A crack in the worktop.",
        photos=[(photos_dir / "heic-samplefilehub.heif").read_bytes()])
    row = await db.fetchrow("SELECT thumb_key, display_key, original_key FROM media "
                            "WHERE ticket_id = $1", ticket["id"])
    assert row["thumb_key"] and row["display_key"] and row["original_key"] is None
