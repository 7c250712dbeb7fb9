"""Work-order services: status steps, checklist rules, conflicts and close-out."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from backend import clock
from backend.access import Actor
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.workorders import services
from backend.workorders.services import VersionConflict
from tests.personas import World, build_world

pytestmark = pytest.mark.integration


def tech(person: dict) -> Actor:
    return Actor(kind="staff", id=person["id"], role="technician", name=person.get("name", ""))


def jpeg(color: tuple[int, int, int] = (200, 100, 50)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
async def world(db) -> World:  # type: ignore[no-untyped-def]
    w = await build_world(db)
    wo, project = w.objects["wo_a"], w.objects["project_a"]
    # The install job of the project's current milestone (position 3 of 8).
    await db.execute("UPDATE work_order SET milestone_id = $2, checklist = $3 WHERE id = $1",
                     wo["id"], project["milestones"][3], json.dumps([
                         {"key": "level", "label_en": "Level", "label_zh": "调平",
                          "required": True, "requires_photo": False, "done": False},
                         {"key": "clean", "label_en": "Clean", "label_zh": "清理",
                          "required": True, "requires_photo": True, "done": False},
                         {"key": "explain", "label_en": "Explain", "label_zh": "讲解",
                          "required": False, "requires_photo": False, "done": False}]))
    return w


async def events(db, aggregate_id) -> list[str]:  # type: ignore[no-untyped-def]
    rows = await db.fetch("SELECT kind FROM outbox_event WHERE aggregate_id = $1 ORDER BY id",
                          str(aggregate_id))
    return [r["kind"] for r in rows]


async def test_a_day_from_scheduled_to_completed_advances_the_milestone(db, world) -> None:  # type: ignore[no-untyped-def]
    actor, wo_id = tech(world.people["tina"]), world.objects["wo_a"]["id"]
    project = world.objects["project_a"]
    earlier = clock.now() - timedelta(hours=1)
    v = await services.change_status(db, actor=actor, work_order_id=wo_id, status="en_route",
                                     base_version=1, at=earlier)
    v = await services.change_status(db, actor=actor, work_order_id=wo_id, status="on_site",
                                     base_version=v)
    with pytest.raises(ValidationFailed):  # required items are not ticked yet
        await services.change_status(db, actor=actor, work_order_id=wo_id, status="completed",
                                     base_version=v)
    v = await services.tick_checklist(db, actor=actor, work_order_id=wo_id, key="level",
                                      done=True, base_version=v)
    with pytest.raises(ValidationFailed):  # this item needs a photo
        await services.tick_checklist(db, actor=actor, work_order_id=wo_id, key="clean",
                                      done=True, base_version=v)
    await services.add_photo(db, actor=actor, work_order_id=wo_id, data=jpeg(),
                             caption="clean", customer_visible=True, idempotency_key="photo-k-1")
    v = await services.tick_checklist(db, actor=actor, work_order_id=wo_id, key="clean",
                                      done=True, base_version=v, photo_keys=["photo-k-1"])
    v = await services.change_status(db, actor=actor, work_order_id=wo_id, status="completed",
                                     base_version=v)
    wo = await db.fetchrow("SELECT * FROM work_order WHERE id = $1", wo_id)
    assert wo["status"] == "completed" and wo["version"] == v == 6
    assert abs((wo["en_route_at"] - earlier).total_seconds()) < 1  # the technician's time
    assert wo["on_site_at"] and wo["completed_at"]
    kinds = await events(db, wo_id)
    assert kinds == ["work_order.en_route", "work_order.on_site", "work_order.completed"]
    stones = await db.fetch("SELECT id, status, code FROM milestone WHERE project_id = $1 "
                            "ORDER BY position", project["id"])
    assert [m["status"] for m in stones][2:5] == ["done", "done", "in_progress"]
    stage = await db.fetchval("SELECT current_stage FROM project WHERE id = $1", project["id"])
    assert stage == stones[4]["code"]
    assert await events(db, stones[3]["id"]) == ["milestone.completed"]
    assert await events(db, stones[4]["id"]) == ["milestone.started"]
    photo = await db.fetchrow("SELECT * FROM media WHERE idempotency_key = 'photo-k-1'")
    assert photo["project_id"] == project["id"] and photo["milestone_id"] == stones[3]["id"]
    assert photo["work_order_id"] == wo_id and photo["customer_visible"] is True


async def test_stale_version_is_a_conflict_and_changes_nothing(db, world) -> None:  # type: ignore[no-untyped-def]
    actor, wo_id = tech(world.people["tina"]), world.objects["wo_a"]["id"]
    await services.save_notes(db, actor=actor, work_order_id=wo_id, notes="office", base_version=1)
    with pytest.raises(VersionConflict) as caught:
        await services.save_notes(db, actor=actor, work_order_id=wo_id, notes="offline edit",
                                  base_version=1)
    assert caught.value.current_version == 2
    row = await db.fetchrow("SELECT notes, version FROM work_order WHERE id = $1", wo_id)
    assert (row["notes"], row["version"]) == ("office", 2)


async def test_rules_for_steps_follow_up_and_parts(db, world) -> None:  # type: ignore[no-untyped-def]
    actor, wo_id = tech(world.people["tina"]), world.objects["wo_a"]["id"]
    with pytest.raises(InvalidTransition):
        await services.change_status(db, actor=actor, work_order_id=wo_id, status="completed")
    await services.change_status(db, actor=actor, work_order_id=wo_id, status="on_site")
    with pytest.raises(ValidationFailed):
        await services.change_status(db, actor=actor, work_order_id=wo_id,
                                     status="needs_follow_up", reason="  ")
    await services.change_status(db, actor=actor, work_order_id=wo_id,
                                 status="needs_follow_up", reason="Door panel damaged")
    await services.add_part(db, actor=actor, work_order_id=wo_id, name="Hinge", quantity=2)
    with pytest.raises(ValidationFailed):
        await services.add_part(db, actor=actor, work_order_id=wo_id, name="Hinge", quantity=0)
    row = await db.fetchrow("SELECT * FROM work_order WHERE id = $1", wo_id)
    assert row["status"] == "needs_follow_up"
    assert row["follow_up_reason"] == "Door panel damaged"
    assert [p["name"] for p in json.loads(row["parts"])] == ["Hinge"]
    assert "work_order.needs_follow_up" in await events(db, wo_id)


async def test_another_technician_cannot_act(db, world) -> None:  # type: ignore[no-untyped-def]
    tom, wo_id = tech(world.people["tom"]), world.objects["wo_a"]["id"]
    with pytest.raises(NotFound):
        await services.change_status(db, actor=tom, work_order_id=wo_id, status="en_route")
    with pytest.raises(NotFound):
        await services.add_photo(db, actor=tom, work_order_id=wo_id, data=jpeg())
    assert await db.fetchval("SELECT status FROM work_order WHERE id = $1", wo_id) == "scheduled"


async def test_acceptance_waits_for_the_homeowner_sign_off(db, world) -> None:  # type: ignore[no-untyped-def]
    actor, wo_id = tech(world.people["tina"]), world.objects["wo_a"]["id"]
    milestone = world.objects["project_a"]["milestones"][3]
    await db.execute("UPDATE milestone SET requires_signoff = TRUE WHERE id = $1", milestone)
    await db.execute("UPDATE work_order SET checklist = '[]' WHERE id = $1", wo_id)
    await services.change_status(db, actor=actor, work_order_id=wo_id, status="on_site")
    await services.change_status(db, actor=actor, work_order_id=wo_id, status="completed")
    assert await db.fetchval("SELECT status FROM milestone WHERE id = $1",
                             milestone) == "in_progress"
    assert await events(db, milestone) == []
