"""Triage-queue speed on generated data: the app's queue against hand-written SQL, same run.

    homeloop bench-data --data-dir /tmp/bench_sqlite            # SQLite (200k/1M by default)
    DATABASE_URL=postgres://.../bench homeloop bench-data       # PostgreSQL
    python bench/bench_queue.py --sqlite-dir /tmp/bench_sqlite --pg postgres://.../bench

For each database and each case (two filters and a sort), it times:

* ``ours``  — ``backend.tickets.queue.queue_page`` (the rows and the total, as the desk runs
  them: scope, filters, SLA columns, customer and assignee joined);
* ``hand``  — the same two statements written by hand for this one case;
* ``page``  — the whole ``GET /desk/`` through the ASGI app (session, query, template),

and reports median and p95 in ms, and ours/hand at p95. Targets (issue 5): page p95 under
50 ms on PostgreSQL, ours within 1.5x of hand. With no generated data the script says so
and exits 0 (it is never part of ``make test``). ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {
    "open+high, newest": ({"status": "open", "priority": "high", "sort": "newest"},
                          "t.status = 'open' AND t.priority = 'high'", "t.created_at DESC"),
    "active+repair, SLA due": (
        {"category": "repair", "sort": "due"},
        "t.status IN ('new', 'open', 'waiting', 'scheduled') AND t.category = 'repair'",
        "(CASE WHEN t.first_responded_at IS NULL THEN t.first_response_due ELSE "
        "t.resolution_due END) NULLS LAST, t.created_at"),
}
TARGET_MS, TARGET_RATIO, MIN_TICKETS = 50.0, 1.5, 1000


async def _timings(fns: dict[str, Callable[[], Awaitable[Any]]], repeat: int
                   ) -> dict[str, dict[str, float]]:
    """Time several functions interleaved (one call of each per round), so a burst of
    machine noise hits them alike rather than whichever happened to run then."""
    for fn in fns.values():
        for _ in range(3):
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            started = time.perf_counter()
            await fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    out = {}
    for name, values in samples.items():
        values.sort()
        out[name] = {"median_ms": round(statistics.median(values), 3),
                     "p95_ms": round(values[max(0, int(len(values) * 0.95) - 1)], 3)}
    return out


async def _one(database_url: str, repeat: int) -> dict[str, Any]:
    """Measure one database (this process's settings point at it)."""
    from backend import clock
    from backend.access import Actor
    from backend.accounts import services as accounts
    from backend.db import get_db
    from backend.tickets.queue import PAGE_SIZE, QueueFilters, queue_page
    from backend.web.app import create_app
    from backend.web.auth import SESSION_COOKIE
    from bench.common import AsgiDriver

    db = get_db()
    tickets = await db.fetchval("SELECT count(*) AS n FROM ticket")
    if not tickets or tickets < MIN_TICKETS:
        return {"skipped": f"no generated data in {database_url} (run homeloop bench-data)"}
    admin_id = await db.fetchval("SELECT id FROM staff_user WHERE role = 'admin' LIMIT 1")
    if admin_id is None:  # the generated staff are region-bound: add one who sees everything
        import uuid

        admin_id = uuid.uuid4()
        async with db.transaction():
            await db.execute(
                "INSERT INTO staff_user (id, email, name, role, is_team_lead, skills, language, "
                "timezone, password_hash, failed_logins, active, created_at) VALUES ($1, $2, "
                "'Bench admin', 'admin', FALSE, '', 'en', 'Asia/Shanghai', '-', 0, TRUE, $3)",
                admin_id, f"bench-admin-{admin_id.hex[:8]}@bench.invalid", clock.now())
    if admin_id is None:
        return {"skipped": f"no generated data in {database_url} (run homeloop bench-data)"}
    actor = Actor(kind="staff", id=admin_id, role="admin", name="bench")
    token = await accounts.create_session(db, realm="staff", subject_id=admin_id)
    driver = AsgiDriver(create_app(), headers=[(b"cookie", f"{SESSION_COOKIE}={token}".encode()),
                                               (b"accept-language", b"en")])
    out: dict[str, Any] = {"database": db.kind, "tickets": tickets, "cases": {}}
    for name, (params, where, order) in CASES.items():
        filters = QueueFilters.from_query(params)

        async def ours(filters: QueueFilters = filters) -> Any:
            return await queue_page(db, actor, filters)

        async def hand(where: str = where, order: str = order) -> Any:
            rows = await db.fetch(
                "SELECT t.id, t.number, t.subject, t.category, t.priority, t.status, "
                "t.channel, t.warranty_status, t.created_at, t.assignee_id, "
                "t.first_responded_at, t.first_response_due, t.resolution_due, c.name, "
                "c.phone, a.name AS assignee FROM ticket t JOIN customer c ON "
                "c.id = t.customer_id LEFT JOIN staff_user a ON a.id = t.assignee_id "
                f"WHERE {where} ORDER BY {order} "
                f"LIMIT {PAGE_SIZE}")
            total = await db.fetchval(f"SELECT count(*) AS n FROM ticket t WHERE {where}")
            return rows, total

        query = "&".join(f"{k}={v}" for k, v in params.items())

        async def page(query: str = query) -> Any:
            return await _get(driver, "/desk/", query)

        result = {"rows": len((await ours())["rows"]), "now": clock.now().isoformat()}
        result.update(await _timings({"ours": ours, "hand": hand, "page": page}, repeat))
        result["ratio_p95"] = round(result["ours"]["p95_ms"] / result["hand"]["p95_ms"], 2)
        out["cases"][name] = result
    await db.close()
    return out


async def _get(driver: Any, path: str, query: str) -> int:
    """GET through the ASGI app with a query string (AsgiDriver sends none)."""
    scope_headers = driver.headers
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "headers": scope_headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    await driver.app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"GET {path}?{query} answered {status}")
    return status


def _targets(args: argparse.Namespace) -> list[str]:
    urls = []
    if args.sqlite_dir:
        urls.append(f"sqlite:///{Path(args.sqlite_dir) / 'homeloop.db'}")
    if args.pg:
        urls.append(args.pg)
    if not urls and os.environ.get("DATABASE_URL"):
        urls.append(os.environ["DATABASE_URL"])
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-dir", help="data dir of `homeloop bench-data --data-dir`")
    parser.add_argument("--pg", help="PostgreSQL URL loaded by `homeloop bench-data`")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # child process: settings are per process, so one database each
        print(json.dumps(asyncio.run(_one(args.one, args.repeat))))
        return
    urls = _targets(args)
    if not urls:
        print("bench_queue: skipped — no generated data given. Load it with "
              "`homeloop bench-data --data-dir DIR` (and/or on PostgreSQL) and pass "
              "--sqlite-dir DIR / --pg URL.")
        return
    results = []
    for url in urls:
        if url.startswith("sqlite:///") and not Path(url.split("sqlite:///", 1)[1]).exists():
            results.append({"skipped": f"no SQLite file at {url} (run homeloop bench-data)"})
            continue
        env = {**os.environ, "DATABASE_URL": url, "HOMELOOP_SECRET_KEY": "bench",
               "HOMELOOP_WORKER_IN_PROCESS": "0"}
        if url.startswith("sqlite:///"):
            env["HOMELOOP_DATA_DIR"] = str(Path(url.split("sqlite:///", 1)[1]).parent)
        proc = subprocess.run([sys.executable, __file__, "--one", url, "--repeat",
                               str(args.repeat)], env=env, capture_output=True, text=True,
                              check=False, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"bench_queue failed on {url}:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps({"results": results, "target_ms": TARGET_MS,
                          "target_ratio": TARGET_RATIO}))
        return
    for r in results:
        if "skipped" in r:
            print(f"skipped: {r['skipped']}")
            continue
        print(f"\n{r['database']} — {r['tickets']:,} tickets")
        for name, c in r["cases"].items():
            ok = c["ratio_p95"] <= TARGET_RATIO and (r["database"] != "postgres"
                                                     or c["page"]["p95_ms"] < TARGET_MS)
            print(f"  {name:26} ours p95 {c['ours']['p95_ms']:8.2f} ms | hand p95 "
                  f"{c['hand']['p95_ms']:8.2f} ms | ratio {c['ratio_p95']:.2f} | page p95 "
                  f"{c['page']['p95_ms']:8.2f} ms | {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
