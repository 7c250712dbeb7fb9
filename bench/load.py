"""``make load``: drive a real ``homeloop serve`` on loopback for 60 s from a second process.

200 homeowners browse their projects, 30 technicians upload photos and close work orders, 10
desk agents triage; on SQLite and on PostgreSQL. Reports throughput, p50/p95/p99 per request
kind, the server's peak memory and every error; afterwards checks that every acknowledged
upload is in the database and in storage and that no stored file is orphaned. Writes
bench/LOAD.md (included in bench/RESULTS.md by ``make bench``).

Usage: python bench/load.py [sqlite|postgres ...] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, prepare_environment

HOMEOWNERS, TECHNICIANS, AGENTS = 200, 30, 10
PHOTO_SOURCE = ROOT.parent / "shared" / "fixtures" / "photos" / "mobile-jolla.jpg"


async def seed(db: Any) -> dict[str, Any]:
    """Customers with projects, technicians with today's work orders, agents with tickets."""
    from backend import clock
    from backend.accounts.services import create_session

    now = clock.now()
    region = uuid.uuid4()
    people: dict[str, list[dict[str, Any]]] = {"homeowner": [], "technician": [], "agent": []}
    async with db.transaction():
        await db.execute("INSERT INTO region (id, code, name_zh, name_en) VALUES ($1, 'ld', "
                         "'上海', 'Shanghai')", region)
        techs = []
        for n in range(TECHNICIANS + AGENTS):
            sid = uuid.uuid4()
            role = "technician" if n < TECHNICIANS else "service_agent"
            await db.execute(
                "INSERT INTO staff_user (id, email, name, role, region_id, is_team_lead, skills, "
                "language, timezone, password_hash, failed_logins, active, created_at) VALUES "
                "($1, $2, $3, $4, $5, FALSE, '', 'zh_CN', 'Asia/Shanghai', 'x', 0, TRUE, $6)",
                sid, f"load{n}@bench.cn", f"员工{n}", role, region, now)
            (techs if role == "technician" else people["agent"]).append({"id": sid})
        checklist = json.dumps([{"key": "level", "label_zh": "调平", "label_en": "Level",
                                 "required": True, "requires_photo": False, "done": False}])
        for n in range(HOMEOWNERS):
            cid, pid = uuid.uuid4(), uuid.uuid4()
            await db.execute(
                "INSERT INTO customer (id, name, phone, language, timezone, tags, value_tier, "
                "source, consent_service, consent_marketing, created_at) VALUES ($1, $2, $3, "
                "'zh_CN', 'Asia/Shanghai', '[]', 'standard', 'online', TRUE, FALSE, $4)",
                cid, f"业主{n}", f"+86137{n:08d}", now)
            await db.execute(
                "INSERT INTO project (id, number, title, customer_id, project_type, "
                "contract_amount_fen, region_id, status, current_stage, design_notes, "
                "created_at) VALUES ($1, $2, $3, $4, 'full_renovation', 10000000, $5, 'active',"
                " 'install', '', $6)", pid, f"L-{n:06d}", f"业主{n}的家", cid, region, now)
            mids = []
            for pos, code in enumerate(("measure", "design", "contract", "production",
                                        "delivery", "install", "acceptance", "warranty")):
                mid = uuid.uuid4()
                mids.append(mid)
                status = "done" if pos < 5 else ("in_progress" if pos == 5 else "pending")
                await db.execute(
                    "INSERT INTO milestone (id, project_id, position, code, name_zh, name_en, "
                    "status, planned_start, planned_end, delay_reason, customer_visible, "
                    "requires_signoff) VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7, '', TRUE, "
                    "FALSE)", mid, pid, pos, code, status,
                    (now + timedelta(days=pos * 5 - 25)).date(),
                    (now + timedelta(days=pos * 5 - 20)).date())
            tid = uuid.uuid4()
            await db.execute(
                "INSERT INTO ticket (id, number, customer_id, project_id, channel, category, "
                "priority, status, subject, description, preferred_windows, region_id, "
                "warranty_status, sla_snapshot, reopen_count, created_at, updated_at) VALUES "
                "($1, $2, $3, $4, 'portal', 'repair', 'normal', 'new', '柜门异响', '柜门异响', "
                "'[]', $5, 'in_warranty', '{}', 0, $6, $6)",
                tid, f"TL{n:06d}", cid, pid, region, now)
            tech = techs[n % TECHNICIANS]
            wid = uuid.uuid4()
            await db.execute(
                "INSERT INTO work_order (id, number, kind, status, customer_id, project_id, "
                "milestone_id, technician_id, window_start, window_end, address, checklist, "
                "notes, parts, version, created_at, updated_at) VALUES ($1, $2, 'install', "
                "'scheduled', $3, $4, $5, $6, $7, $8, '上海市', $9, '', '[]', 1, $10, $10)",
                wid, f"WL{n:06d}", cid, pid, mids[5], tech["id"], now + timedelta(hours=1),
                now + timedelta(hours=3), checklist, now)
            tech.setdefault("work_orders", []).append(wid)
            people["homeowner"].append({"id": cid, "project": pid, "ticket": tid})
        people["technician"] = techs
        for kind in people:
            for person in people[kind]:
                realm = "customer" if kind == "homeowner" else "staff"
                person["token"] = await create_session(db, realm=realm, subject_id=person["id"])
    return people


def upload_photo_bytes() -> list[bytes]:
    """Phone-like uploads: the field app downsizes to ~2048 px before sending."""
    from PIL import Image

    variants = []
    base = Image.open(PHOTO_SOURCE) if PHOTO_SOURCE.exists() else Image.new("RGB", (3264, 2448))
    base.thumbnail((2048, 2048))
    for n in range(8):
        img = base.rotate(n * 2, expand=False)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=85)
        variants.append(buf.getvalue())
    return variants


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.acknowledged_uploads: list[str] = []

    async def call(self, kind: str, coro: Any, ok: tuple[int, ...] = (200, 303)) -> Any:
        start = time.perf_counter()
        try:
            response = await coro
        except httpx.HTTPError as exc:
            self.errors.append(f"{kind}: {type(exc).__name__}")
            return None
        self.latency[kind].append(time.perf_counter() - start)
        if response.status_code not in ok:
            self.errors.append(f"{kind}: HTTP {response.status_code}")
        return response


async def homeowner(client: httpx.AsyncClient, person: dict[str, Any], stats: Stats,
                    until: float) -> None:
    while time.monotonic() < until:
        await stats.call("portal home", client.get("/portal/"))
        await stats.call("portal project", client.get(f"/portal/projects/{person['project']}"))
        await stats.call("portal ticket", client.get(f"/portal/tickets/{person['ticket']}"))
        await asyncio.sleep(random.uniform(1.0, 4.0))


async def technician(client: httpx.AsyncClient, person: dict[str, Any], stats: Stats,
                     until: float, photos: list[bytes]) -> None:
    csrf = await _csrf(client, "/field/")
    headers = {"x-csrftoken": csrf}
    for wid in person["work_orders"]:
        if time.monotonic() >= until:
            return
        await stats.call("field work order", client.get(f"/field/work-orders/{wid}"))
        for n in range(2):
            key = uuid.uuid4().hex
            response = await stats.call(
                "field photo upload",
                client.post(f"/field/api/work-orders/{wid}/photos",
                            headers={**headers, "Idempotency-Key": key},
                            files={"photo": ("p.jpg", random.choice(photos), "image/jpeg")},
                            data={"caption": f"照片{n}", "customer_visible": "1"}))
            if response is not None and response.status_code == 200:
                stats.acknowledged_uploads.append(response.json()["id"])
        items = [{"key": uuid.uuid4().hex, "type": t, "work_order_id": str(wid),
                  "payload": p} for t, p in (
            ("status", {"status": "en_route"}), ("status", {"status": "on_site"}),
            ("check", {"key": "level", "done": True}),
            ("signature", {"signer_name": "业主", "image": SIGNATURE}),
            ("status", {"status": "completed"}))]
        response = await stats.call("field close-out", client.post(
            "/field/api/sync", headers=headers, json={"items": items}))
        if response is not None and response.status_code == 200:
            bad = [r for r in response.json().get("results", []) if r.get("status") != "ok"]
            stats.errors.extend(f"field close-out item: {r}" for r in bad)
        await asyncio.sleep(random.uniform(1.0, 3.0))


async def agent(client: httpx.AsyncClient, person: dict[str, Any], stats: Stats, until: float,
                tickets: list[uuid.UUID]) -> None:
    csrf = await _csrf(client, "/desk/")
    while time.monotonic() < until:
        await stats.call("desk queue", client.get("/desk/?status=new&sort=age"))
        ticket = random.choice(tickets)
        await stats.call("desk ticket", client.get(f"/desk/tickets/{ticket}"))
        await stats.call("desk reply", client.post(
            f"/desk/tickets/{ticket}/messages", headers={"x-csrftoken": csrf},
            data={"body": "已安排师傅上门。", "visibility": "internal"}))
        await asyncio.sleep(random.uniform(1.0, 3.0))


SIGNATURE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42m"
             "NkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    await client.get(path)
    return client.cookies.get("csrftoken") or ""


async def drive(url: str, people: dict[str, Any], seconds: float) -> Stats:
    stats = Stats()
    photos = upload_photo_bytes()
    # One connection pool shared by every virtual user (each keeps its own cookies).
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=300, max_keepalive_connections=300))
    tasks = []
    clients = []
    until = 0.0
    tickets = [p["ticket"] for p in people["homeowner"]]
    for kind, people_of_kind in people.items():
        for person in people_of_kind:
            client = httpx.AsyncClient(base_url=url, transport=transport, timeout=60,
                                       cookies={"hl_session": person["token"]})
            clients.append(client)
            tasks.append((kind, client, person))
    started = time.monotonic()
    until = started + seconds
    coros = []
    for kind, client, person in tasks:
        if kind == "homeowner":
            coros.append(homeowner(client, person, stats, until))
        elif kind == "technician":
            coros.append(technician(client, person, stats, until, photos))
        else:
            coros.append(agent(client, person, stats, until, tickets))
    tasks = coros
    await asyncio.gather(*tasks)
    stats.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    await transport.aclose()
    return stats


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


async def verify(db: Any, data_dir: Path, acknowledged: list[str]) -> dict[str, int]:
    rows = await db.fetch("SELECT id, thumb_key, display_key, original_key FROM media")
    by_id = {str(r["id"]): r for r in rows}
    missing_rows = [a for a in acknowledged if a not in by_id]
    media = data_dir / "media"
    missing_files = [k for r in rows for k in (r["thumb_key"], r["display_key"])
                     if not (media / k).exists()]
    referenced = {k for r in rows for k in (r["thumb_key"], r["display_key"], r["original_key"])
                  if k}
    on_disk = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()
               and not p.name.startswith(".tmp-")}
    orphans = on_disk - referenced
    return {"acknowledged": len(acknowledged), "missing_rows": len(missing_rows),
            "missing_files": len(missing_files), "orphan_files": len(orphans)}


def run(kind: str, seconds: float) -> dict[str, Any]:
    data_dir = prepare_environment(kind)
    os.environ["HOMELOOP_WORKER_IN_PROCESS"] = "1"
    from backend.db import connect

    async def prepare() -> dict[str, Any]:
        db = connect(os.environ["DATABASE_URL"])
        try:
            return await seed(db)
        finally:
            await db.close()

    people = asyncio.run(prepare())
    port = 18000 + random.randint(0, 999)
    log = (data_dir / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port",
                               str(port), "--no-migrate"], cwd=ROOT, env=os.environ.copy(),
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        stats = asyncio.run(drive(url, people, seconds))
        peak_kb = _peak_rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    log_text = (data_dir / "server.log").read_text(errors="replace")
    locked = len(re.findall(r"database is locked", log_text))

    async def check() -> dict[str, int]:
        db = connect(os.environ["DATABASE_URL"])
        try:
            return await verify(db, data_dir, stats.acknowledged_uploads)
        finally:
            await db.close()

    integrity = asyncio.run(check())
    total = sum(len(v) for v in stats.latency.values())
    return {
        "database": kind, "seconds": round(stats.elapsed, 1),  # type: ignore[attr-defined]
        "requests": total, "per_s": round(total / stats.elapsed, 1),  # type: ignore[attr-defined]
        "kinds": {k: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 1),
                      "p95_ms": round(percentile(v, 0.95), 1),
                      "p99_ms": round(percentile(v, 0.99), 1)}
                  for k, v in sorted(stats.latency.items())},
        "errors": len(stats.errors), "error_samples": sorted(set(stats.errors))[:10],
        "database_locked": locked, "server_peak_rss_mb": round(peak_kb / 1024, 1),
        "integrity": integrity,
    }


def _peak_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def write_markdown(results: list[dict[str, Any]]) -> str:
    lines = ["## Load (`make load`)", "",
             f"{HOMEOWNERS} homeowners, {TECHNICIANS} technicians and {AGENTS} desk agents "
             "against one `homeloop serve` process on loopback, driven from a second process.",
             ""]
    for r in results:
        i = r["integrity"]
        lines += [
            f"### {r['database']}: {r['requests']} requests in {r['seconds']} s "
            f"({r['per_s']} req/s), server peak RSS {r['server_peak_rss_mb']} MB", "",
            f"Errors: {r['errors']}; \"database is locked\": {r['database_locked']}; "
            f"acknowledged uploads {i['acknowledged']}, missing rows {i['missing_rows']}, "
            f"missing files {i['missing_files']}, orphan files {i['orphan_files']}.", "",
            "| request | n | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|",
        ]
        lines += [f"| {k} | {v['n']} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} |"
                  for k, v in r["kinds"].items()]
        if r["error_samples"]:
            lines += ["", "Error samples: " + "; ".join(r["error_samples"])]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("databases", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    results = []
    for kind in args.databases:
        # Each database in its own interpreter: settings are read once per process.
        out = subprocess.run([sys.executable, __file__, "--one", kind, "--seconds",
                              str(args.seconds)], cwd=ROOT, capture_output=True, text=True,
                             check=False)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    text = write_markdown(results)
    (ROOT / "bench" / "LOAD.md").write_text(text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        seconds = float(sys.argv[sys.argv.index("--seconds") + 1])
        print(json.dumps(run(sys.argv[2], seconds)))
    else:
        main()
