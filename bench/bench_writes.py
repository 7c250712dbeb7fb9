"""Ticket creation with its audit row and outbox event, against raw driver inserts.

ours: ``backend.tickets.intake.create_repair_request`` (validation, numbering, ticket, status
history, audit row, outbox event in one transaction) through ``backend.db``.
reference: the same rows inserted with plain ``sqlite3`` / ``asyncpg`` calls in one
transaction per ticket, at the same durability (SQLite ``synchronous=FULL``, WAL).
Then 16 concurrent writers through our layer: the count of "database is locked" errors.
Targets: >= 0.2x raw on SQLite, >= 0.4x on PostgreSQL, zero locked errors.

Usage: python bench/bench_writes.py sqlite|postgres [--json] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import prepare_environment

INSERTS = [
    "INSERT INTO counter (id, value) VALUES ('bench', 1) ON CONFLICT (id) DO UPDATE "
    "SET value = counter.value + 1 RETURNING value",
    "INSERT INTO ticket (id, number, customer_id, channel, category, priority, status, subject, "
    "description, preferred_windows, warranty_status, sla_snapshot, reopen_count, created_at, "
    "updated_at) VALUES ({p1}, {p2}, {p3}, 'portal', 'repair', 'normal', 'new', {p4}, "
    "{p6}, "
    "'[]', 'not_covered', '{{}}', 0, {p5}, {p5})",
    "INSERT INTO ticket_status_change (id, ticket_id, from_status, to_status, at) VALUES "
    "({p1}, {p2}, NULL, 'new', {p3})",
    "INSERT INTO audit_entry (at, actor_kind, actor_id, action, object_type, object_id, before, "
    "after) VALUES ({p1}, 'customer', {p2}, 'ticket.created', 'ticket', {p3}, '{{}}', {p4})",
    "INSERT INTO outbox_event (at, kind, aggregate_type, aggregate_id, payload, attempts, "
    "last_error) VALUES ({p1}, 'ticket.created', 'ticket', {p2}, {p3}, 0, '')",
]


def _sql(template: str, style: str) -> str:
    marks = {f"p{i}": (f"?{i}" if style == "sqlite" else f"${i}") for i in range(1, 7)}
    return template.format(**marks)


async def run(kind: str, quick: bool) -> dict[str, Any]:
    from backend import clock
    from backend.access import Actor
    from backend.db import DatabaseUnavailable, get_db
    from backend.tickets.intake import create_repair_request

    db = get_db()
    cid = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO customer (id, name, phone, language, timezone, tags, value_tier, source,"
            " consent_service, consent_marketing, created_at) VALUES ($1, 'Bench', "
            "'+8613800009999', 'zh_CN', 'Asia/Shanghai', '[]', 'standard', 'referral', TRUE, "
            "FALSE, $2)", cid, clock.now())
    actor = Actor(kind="customer", id=cid, name="Bench")
    seconds = 1.5 if quick else 4.0

    async def ours() -> None:
        await create_repair_request(db, actor=actor, project_id=None, product_line_id=None,
                                    category="repair", description="橱柜门关不严，需要调整。")

    raw_write = await _raw_writer(kind, cid)

    results: dict[str, list[float]] = {"ours": [], "raw": []}
    for _ in range(3):  # interleaved rounds
        for name, fn in (("ours", ours), ("raw", raw_write)):
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                await fn()
                count += 1
            results[name].append(count / (time.perf_counter() - start))
    writers, locked, other_errors = 16, 0, 0

    async def writer() -> None:
        nonlocal locked, other_errors
        for _ in range(10 if quick else 25):
            try:
                await ours()
            except DatabaseUnavailable as exc:
                locked += "locked" in str(exc)
            except Exception:
                other_errors += 1
                raise

    await asyncio.gather(*(writer() for _ in range(writers)))
    await db.close()
    best_ours, best_raw = max(results["ours"]), max(results["raw"])
    return {"database": kind, "ours_per_s": best_ours, "raw_per_s": best_raw,
            "ratio": best_ours / best_raw, "target": 0.2 if kind == "sqlite" else 0.4,
            "concurrent_writers": writers, "concurrent_locked_errors": locked,
            "concurrent_other_errors": other_errors}


async def _raw_writer(kind: str, cid: uuid.UUID) -> Any:
    from backend import clock

    payload = json.dumps({"category": "repair", "channel": "portal"})
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(os.environ["DATABASE_URL"].split("sqlite:///")[1],
                               isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        sqls = [_sql(s, "sqlite") for s in INSERTS]
        customer = str(cid)

        async def write_sqlite() -> None:
            now = str(clock.now())
            tid = str(uuid.uuid4())
            conn.execute("BEGIN IMMEDIATE")
            number = conn.execute(sqls[0]).fetchone()[0]
            conn.execute(sqls[1], (tid, f"B{number}", customer, "橱柜门关不严", now,
                                   "橱柜门关不严，需要调整。"))
            conn.execute(sqls[2], (str(uuid.uuid4()), tid, now))
            conn.execute(sqls[3], (now, customer, tid, payload))
            conn.execute(sqls[4], (now, tid, payload))
            conn.execute("COMMIT")

        return write_sqlite
    import asyncpg

    pg = await asyncpg.connect(os.environ["DATABASE_URL"])
    sqls = [_sql(s, "postgres") for s in INSERTS]

    async def write_pg() -> None:
        now = clock.now()
        tid = uuid.uuid4()
        async with pg.transaction():
            number = await pg.fetchval(sqls[0])
            await pg.execute(sqls[1], tid, f"B{number}", cid, "橱柜门关不严", now,
                             "橱柜门关不严，需要调整。")
            await pg.execute(sqls[2], uuid.uuid4(), tid, now)
            await pg.execute(sqls[3], now, str(cid), str(tid), payload)
            await pg.execute(sqls[4], now, str(tid), payload)

    return write_pg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["sqlite", "postgres"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    prepare_environment(args.database)
    result = asyncio.run(run(args.database, args.quick))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>26}: {value:.3f}" if isinstance(value, float) else f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
