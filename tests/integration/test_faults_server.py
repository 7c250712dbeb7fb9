"""Kill the server with SIGKILL during uploads and during a work-order close-out, restart it:
every acknowledged write is there, no referenced file is missing or half-written, and the
outbox delivers what was committed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IS_POSTGRES, ROOT

pytestmark = [pytest.mark.faults, pytest.mark.integration,
              pytest.mark.skipif(IS_POSTGRES, reason="runs its own SQLite server; once is "
                                 "enough (the write path is the same code on PostgreSQL)")]

SIGNATURE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42m"
             "NkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = os.environ.copy()
        self.env.update({"HOMELOOP_DATA_DIR": str(data_dir), "HOMELOOP_SECRET_KEY": "faults",
                         "DATABASE_URL": f"sqlite:///{data_dir / 'homeloop.db'}",
                         "HOMELOOP_WORKER_IN_PROCESS": "1"})
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = _port()
        self.url = f"http://127.0.0.1:{port}"
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], cwd=ROOT,
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError((self.data_dir / "server.log").read_text()[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(self.data_dir / "homeloop.db") as conn:
            return conn.execute(sql, args).fetchall()


def _seed(server: Server) -> dict[str, Any]:
    """A technician with two work orders, through the same code as the product."""
    script = """
import asyncio, json, uuid
from backend import clock
from backend.accounts.services import create_session
from backend.db import get_db
from datetime import timedelta
async def main():
    db = get_db()
    now = clock.now()
    tech, cust, proj, mile = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    wos = [uuid.uuid4(), uuid.uuid4()]
    checklist = json.dumps([{"key": "level", "label_zh": "调平", "label_en": "Level",
                             "required": True, "requires_photo": False, "done": False}])
    async with db.transaction():
        await db.execute("INSERT INTO staff_user (id, email, name, role, is_team_lead, skills, "
            "language, timezone, password_hash, failed_logins, active, created_at) VALUES ($1, "
            "'t@f.cn', 'T', 'technician', FALSE, '', 'en', 'Asia/Shanghai', 'x', 0, TRUE, $2)",
            tech, now)
        await db.execute("INSERT INTO customer (id, name, phone, language, timezone, tags, "
            "value_tier, source, consent_service, consent_marketing, created_at) VALUES ($1, "
            "'C', '+8613700000001', 'en', 'Asia/Shanghai', '[]', 'standard', 'x', TRUE, FALSE, $2)",
            cust, now)
        await db.execute("INSERT INTO project (id, number, title, customer_id, project_type, "
            "contract_amount_fen, status, current_stage, design_notes, created_at) VALUES ($1, "
            "'F-1', 'F', $2, 'x', 0, 'active', 'install', '', $3)", proj, cust, now)
        await db.execute("INSERT INTO milestone (id, project_id, position, code, name_zh, "
            "name_en, status, delay_reason, customer_visible, requires_signoff) VALUES ($1, $2, "
            "0, 'install', '安装', 'Install', 'in_progress', '', TRUE, FALSE)", mile, proj)
        for n, wid in enumerate(wos):
            await db.execute("INSERT INTO work_order (id, number, kind, status, customer_id, "
                "project_id, milestone_id, technician_id, window_start, window_end, address, "
                "checklist, notes, parts, version, created_at, updated_at) VALUES ($1, $2, "
                "'install', 'scheduled', $3, $4, $5, $6, $7, $8, 'x', $9, '', '[]', 1, $7, $7)",
                wid, f"WF-{n}", cust, proj, mile, tech, now + timedelta(hours=1),
                now + timedelta(hours=3), checklist)
    token = await create_session(db, realm="staff", subject_id=tech)
    print(json.dumps({"token": token, "work_orders": [str(w) for w in wos]}))
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=server.env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _photo(seed: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (seed % 256, (seed * 7) % 256, 90)).save(buf, "JPEG",
                                                                            quality=90)
    return buf.getvalue()


async def _upload(client: httpx.AsyncClient, wid: str, n: int, acked: list[str]) -> None:
    key = f"fault-{n:04d}-{uuid.uuid4().hex[:8]}"
    try:
        r = await client.post(f"/field/api/work-orders/{wid}/photos",
                              headers={"Idempotency-Key": key},
                              files={"photo": ("p.jpg", _photo(n), "image/jpeg")},
                              data={"caption": f"photo {n}", "customer_visible": "1"})
    except httpx.HTTPError:
        return  # not acknowledged: the server died first
    if r.status_code == 200:
        acked.append(r.json()["id"])


async def _client(server: Server, token: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=30,
                               cookies={"hl_session": token})
    await client.get("/field/")
    client.headers["x-csrftoken"] = client.cookies.get("csrftoken") or ""
    return client


def _check_storage(server: Server) -> None:
    media = server.data_dir / "media"
    rows = server.query("SELECT thumb_key, display_key, original_key FROM media")
    from PIL import Image

    for row in rows:
        for key in filter(None, row):
            path = media / key
            assert path.exists(), f"row points to a missing file {key}"
            if key.endswith(".jpg"):
                with Image.open(path) as img:
                    img.load()  # a half-written file would not decode


async def test_sigkill_during_uploads_and_close_out(tmp_path: Path) -> None:
    server = Server(Path(tempfile.mkdtemp(prefix="homeloop-faults-")))
    subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT, env=server.env,
                   check=True, capture_output=True)
    seeded = _seed(server)
    wid, wid2 = seeded["work_orders"]
    server.start()
    try:
        client = await _client(server, seeded["token"])
        acked: list[str] = []
        uploads = [asyncio.create_task(_upload(client, wid, n, acked)) for n in range(24)]
        while len(acked) < 4:
            await asyncio.sleep(0.02)
        server.kill()  # mid-flight: some uploads acknowledged, others cut off
        await asyncio.gather(*uploads)
        await client.aclose()
        assert acked, "no upload was acknowledged before the kill"

        server.start()
        for media_id in acked:
            assert server.query("SELECT 1 FROM media WHERE id = ?", media_id), media_id
        _check_storage(server)

        # Close-out: the sync request is killed while in flight, then replayed.
        client = await _client(server, seeded["token"])
        items = [{"key": f"close-{n}-{uuid.uuid4().hex[:6]}", "type": t, "work_order_id": wid2,
                  "payload": p} for n, (t, p) in enumerate((
                      ("status", {"status": "en_route"}), ("status", {"status": "on_site"}),
                      ("check", {"key": "level", "done": True}),
                      ("signature", {"signer_name": "C", "image": SIGNATURE}),
                      ("status", {"status": "completed"})))]
        in_flight = asyncio.create_task(client.post("/field/api/sync", json={"items": items}))
        await asyncio.sleep(0.05)
        server.kill()
        with contextlib.suppress(httpx.HTTPError):
            await in_flight
        await client.aclose()
        server.start()
        client = await _client(server, seeded["token"])
        replay = await client.post("/field/api/sync", json={"items": items})
        assert replay.status_code == 200, replay.text
        results = replay.json()["results"]
        assert all(r["status"] == "ok" for r in results), results
        await client.aclose()
        status, _version = server.query("SELECT status, version FROM work_order WHERE id = ?",
                                       wid2)[0]
        assert status == "completed"
        receipts = server.query("SELECT count(*) FROM sync_receipt WHERE key LIKE 'close-%'")
        assert receipts[0][0] == len(items)
        signatures = server.query("SELECT count(*) FROM media WHERE work_order_id = ? AND "
                                  "kind = 'signature'", wid2)
        assert signatures[0][0] == 1
        _check_storage(server)

        # The outbox delivers what was committed: the restarted worker drains it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pending = server.query("SELECT count(*) FROM outbox_event WHERE processed_at IS NULL")
            if pending[0][0] == 0:
                break
            await asyncio.sleep(0.3)
        assert pending[0][0] == 0, "committed events were not delivered after the restart"
        completed = server.query("SELECT count(*) FROM outbox_event WHERE kind = "
                                 "'work_order.completed' AND aggregate_id = ?", wid2)
        assert completed[0][0] == 1
    finally:
        server.stop()
