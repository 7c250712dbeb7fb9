"""Several workers at once: each event handled once (PostgreSQL SKIP LOCKED claims); the
embedded worker starts with the app only when configured."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from dataclasses import replace

import pytest

from backend.events.worker import Worker
from backend.rules.shipped import seed_rules
from tests import factories as f
from tests.notify_kit import channels, emit, set_quiet

pytestmark = pytest.mark.integration


async def test_concurrent_workers_handle_each_event_once(db) -> None:
    await seed_rules(db)
    ids = []
    for _ in range(12):
        customer = await f.make_customer(db)
        await set_quiet(db, customer["id"], None, None, cap=50)
        project = await f.make_project(db, customer=customer, stages=1, current=0)
        mid = project["milestones"][0]
        await emit(db, "milestone.completed", "milestone", mid, milestone_id=mid)
        ids.append(customer["id"])
    workers = [Worker(db, channels(), batch=2, run_scheduler=False) for _ in range(3)]
    try:
        await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for w in workers:
            await w.close()
    marks = ", ".join(f"${i + 1}" for i in range(len(ids)))
    rows = await db.fetch(f"SELECT person_id FROM notification WHERE person_id IN ({marks})",
                          *ids)
    assert Counter(r["person_id"] for r in rows) == Counter(ids)
    runs = await db.fetch("SELECT run_key, count(*) AS n FROM rule_run GROUP BY run_key "
                          "HAVING count(*) > 1")
    assert runs == []
    assert await db.fetchval("SELECT count(*) AS n FROM outbox_event WHERE processed_at IS "
                             "NULL AND kind = 'milestone.completed'") == 0


@pytest.mark.postgres
async def test_skip_locked_claims_are_disjoint(db) -> None:
    for _ in range(6):
        await emit(db, "customer.updated", "customer", uuid.uuid4())
    a, b = Worker(db, channels(), batch=3), Worker(db, channels(), batch=3)
    first, second = await asyncio.gather(a.claim(), b.claim())
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    for w in (a, b):
        await w.close()


async def test_embedded_worker_starts_only_when_configured() -> None:
    from backend.config import get_settings
    from backend.web.app import create_app

    def workers() -> list[asyncio.Task[None]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == "homeloop-worker"]

    off = create_app(replace(get_settings(), run_worker_in_process=False))
    for hook in off.on_startup:
        await hook()
    assert workers() == []
    on = create_app(replace(get_settings(), run_worker_in_process=True))
    for hook in on.on_startup:
        await hook()
    started = workers()
    assert len(started) == 1
    started[0].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await started[0]


async def test_healthz_reports_worker_lag(db, client) -> None:
    await emit(db, "customer.updated", "customer", uuid.uuid4())
    body = (await client.get("/healthz")).json()
    assert body["worker"]["pending_events"] >= 1 and body["worker"]["lag_seconds"] >= 0
