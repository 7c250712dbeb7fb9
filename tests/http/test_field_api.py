"""The field app over HTTP: outbox replay, photo uploads, packets, the PWA files."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

import pytest
from PIL import Image

from tests.personas import World, build_world

pytestmark = pytest.mark.http


def jpeg(color: tuple[int, int, int] = (30, 140, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buf, "JPEG")
    return buf.getvalue()


def png_data_url() -> str:
    buf = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
async def world(db) -> World:  # type: ignore[no-untyped-def]
    return await build_world(db)


async def as_tech(client: Any, world: World, who: str = "tina") -> dict[str, str]:
    await client.sign_in(realm="staff", subject_id=world.people[who]["id"])
    return {"x-csrftoken": await client.csrf_token()}


def item(wo: Any, kind: str, payload: dict[str, Any], base: int | None, key: str | None = None
         ) -> dict[str, Any]:
    return {"key": key or uuid.uuid4().hex, "type": kind, "work_order_id": str(wo),
            "base_version": base, "payload": payload}


async def counts(db, wo_id) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    audit = await db.fetchval("SELECT count(*) AS n FROM audit_entry WHERE object_id = $1",
                              str(wo_id))
    events = await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE aggregate_id = $1",
                               str(wo_id))
    media = await db.fetchval("SELECT count(*) AS n FROM media WHERE work_order_id = $1", wo_id)
    return audit, events, media


async def test_outbox_replay_applies_in_order_once(client, db, world) -> None:  # type: ignore[no-untyped-def]
    headers = await as_tech(client, world)
    wo = world.objects["wo_a"]["id"]
    batch = [item(wo, "status", {"status": "en_route"}, 1),
             item(wo, "status", {"status": "on_site"}, 2),
             item(wo, "check", {"key": "level", "done": True}, 3),
             item(wo, "notes", {"notes": "Wall is not straight"}, 4),
             item(wo, "part", {"name": "Hinge", "quantity": 2}, 5),
             item(wo, "signature", {"signer_name": "Alice", "image": png_data_url()}, 6),
             item(wo, "status", {"status": "completed"}, 7)]
    res = await client.post("/field/api/sync", json={"items": batch}, headers=headers)
    assert res.status_code == 200, res.text
    results = res.json()["results"]
    assert [r["status"] for r in results] == ["ok"] * 7, results
    assert results[-1]["version"] == 8
    before = await counts(db, wo)
    again = await client.post("/field/api/sync", json={"items": batch}, headers=headers)
    assert all(r["status"] == "ok" and r["replayed"] for r in again.json()["results"])
    assert await counts(db, wo) == before
    row = await db.fetchrow("SELECT * FROM work_order WHERE id = $1", wo)
    assert (row["status"], row["version"], row["signer_name"]) == ("completed", 8, "Alice")
    sig = await db.fetchrow("SELECT * FROM media WHERE id = $1", row["signature_media_id"])
    assert sig["kind"] == "signature" and sig["original_key"].endswith(".png")
    assert not sig["customer_visible"]


async def test_conflict_is_reported_not_overwritten(client, db, world) -> None:  # type: ignore[no-untyped-def]
    headers = await as_tech(client, world)
    wo = world.objects["wo_a"]["id"]
    await db.execute("UPDATE work_order SET notes = 'office', version = 5 WHERE id = $1", wo)
    res = await client.post("/field/api/sync", headers=headers, json={"items": [
        item(wo, "notes", {"notes": "offline"}, 1)]})
    result = res.json()["results"][0]
    assert result["status"] == "conflict" and result["current_version"] == 5
    assert result["message"]
    assert await db.fetchval("SELECT notes FROM work_order WHERE id = $1", wo) == "office"
    # Rebased on the current version, the same key goes through.
    res = await client.post("/field/api/sync", headers=headers, json={"items": [
        item(wo, "notes", {"notes": "offline"}, 5, key=result["key"])]})
    assert res.json()["results"][0]["status"] == "ok"


async def test_refused_items_and_other_technicians(client, db, world) -> None:  # type: ignore[no-untyped-def]
    headers = await as_tech(client, world, "tom")
    wo = world.objects["wo_a"]["id"]
    res = await client.post("/field/api/sync", headers=headers, json={"items": [
        item(wo, "status", {"status": "en_route"}, 1),
        {"key": "x", "type": "status", "work_order_id": str(wo)},
        item(world.objects["wo_b"]["id"], "status", {"status": "completed"}, 1)]})
    results = res.json()["results"]
    assert results[0]["code"] == "not_found"
    assert [r["status"] for r in results] == ["error", "error", "error"]
    assert await db.fetchval("SELECT status FROM work_order WHERE id = $1", wo) == "scheduled"
    up = await client.post(f"/field/api/work-orders/{wo}/photos", headers={
        **headers, "Idempotency-Key": uuid.uuid4().hex}, files={"photo": ("a.jpg", jpeg())})
    assert up.status_code == 404
    assert (await client.post("/field/api/sync", headers=headers, content=b"{")
            ).status_code == 400


async def test_photo_upload_is_idempotent_and_linked(client, db, world, photos_dir) -> None:  # type: ignore[no-untyped-def]
    headers = await as_tech(client, world)
    wo = world.objects["wo_a"]["id"]
    key = uuid.uuid4().hex
    url = f"/field/api/work-orders/{wo}/photos"
    # A 2.9 MB camera photo: above the app's default body limit, within this route's.
    big_photo = (photos_dir / "olympus-12mp.jpg").read_bytes()
    send = {"headers": {**headers, "Idempotency-Key": key},
            "files": {"photo": ("site.jpg", big_photo, "image/jpeg")},
            "data": {"caption": "Cabinets level", "customer_visible": "1"}}
    first = await client.post(url, **send)
    assert first.status_code == 200, first.text
    second = await client.post(url, **send)
    assert second.json()["id"] == first.json()["id"]
    assert await db.fetchval("SELECT count(*) AS n FROM media WHERE work_order_id = $1", wo) == 1
    row = await db.fetchrow("SELECT * FROM media WHERE id = $1", uuid.UUID(first.json()["id"]))
    assert row["project_id"] == world.objects["project_a"]["id"] and row["customer_visible"]
    assert (await client.get(first.json()["thumb"])).status_code == 200
    bad = await client.post(url, headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                            files={"photo": ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")})
    assert bad.status_code == 400 and bad.json()["message"]
    big = await client.post(url, headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                            files={"photo": ("big.jpg", b"\xff" * (16 * 1024 * 1024))})
    assert big.status_code == 413


async def test_packets_hold_only_my_jobs(client, db, world) -> None:  # type: ignore[no-untyped-def]
    await as_tech(client, world)
    await db.execute("UPDATE media SET work_order_id = $1 WHERE id = $2",
                     world.objects["wo_a"]["id"], world.objects["photo_a"]["id"])
    res = await client.get("/field/api/packets")
    assert res.status_code == 200 and res.headers["cache-control"] == "no-store"
    packets = {p["id"]: p for p in res.json()["work_orders"]}
    assert str(world.objects["wo_b"]["id"]) not in packets
    mine = packets[str(world.objects["wo_a"]["id"])]
    assert mine["checklist"][0]["key"] == "level" and mine["version"] == 1
    assert mine["customer_name"] and mine["address"] and mine["page_url"].startswith("/field/")
    assert any(p["thumb"].endswith("/thumb") for p in mine["photos"])
    customer = world.people["alice"]
    await client.sign_in(realm="customer", subject_id=customer["id"])
    assert (await client.get("/field/api/packets")).status_code == 303


async def test_pwa_files_and_work_order_page(client, world) -> None:  # type: ignore[no-untyped-def]
    sw = await client.get("/field/sw.js")
    assert sw.status_code == 200 and sw.headers["cache-control"] == "no-cache"
    assert "javascript" in sw.headers["content-type"] and "__SHELL__" not in sw.text
    assert "/static/js/push-sw.js" in sw.text and "try {" in sw.text
    manifest = (await client.get("/field/manifest.webmanifest")).json()
    assert manifest["scope"] == manifest["start_url"] == "/field/"
    assert manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])
    assert (await client.get("/field/offline")).status_code == 200
    await as_tech(client, world)
    page = await client.get(f"/field/work-orders/{world.objects['wo_a']['id']}")
    assert 'data-version="1"' in page.text and "data-signature-pad" in page.text
    assert 'rel="manifest"' in page.text
    day = await client.get("/field/")
    assert "data-field-prepare" in day.text
