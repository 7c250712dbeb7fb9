"""Crash safety: SIGKILL a ``homeloop worker`` process mid-batch, restart it, count deliveries.

Every event is handled and every person gets each notification once per channel: one
notification row, one sent push delivery, and one distinct notification (by its tag) at the
push service. A push that was on the wire at the moment of the kill may be sent again after
restart with the same tag (the browser replaces it, so the person sees it once); the test
bounds those re-sends by the batch size.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter

import pytest

from backend import clock
from tests import factories as f
from tests.conftest import ROOT
from tests.notify_kit import emit, run, set_quiet
from tests.pushpeer import PushPeer

pytestmark = [pytest.mark.integration, pytest.mark.faults]
PEOPLE = 24
BATCH = 4


def _worker(*extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOMELOOP_PUSH_ALLOW_HTTP": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker", "--no-scheduler", "--batch",
         str(BATCH), "--lease", "1", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def test_kill_worker_mid_batch_and_restart_delivers_exactly_once(db) -> None:
    from backend.rules.shipped import seed_rules

    await seed_rules(db)
    async with PushPeer() as peer:
        people, subs = [], {}
        for _ in range(PEOPLE):
            customer = await f.make_customer(db)
            await set_quiet(db, customer["id"], None, None, cap=50)
            project = await f.make_project(db, customer=customer, stages=1, current=0)
            sub = peer.new_subscription()
            subs[sub.endpoint] = customer["id"]
            async with db.transaction():
                await db.execute(
                    "INSERT INTO push_subscription (id, person_kind, person_id, endpoint, "
                    "p256dh, auth, user_agent, created_at, failures) VALUES ($1, 'customer', "
                    "$2, $3, $4, $5, '', $6, 0)", uuid.uuid4(), customer["id"], sub.endpoint,
                    sub.p256dh, sub.auth, clock.now())
            people.append((customer, project))
        # drain whatever other tests left in the outbox first, so the kill lands in our batch
        await run(db)
        for _customer, project in people:
            mid = project["milestones"][0]
            await emit(db, "milestone.completed", "milestone", mid, milestone_id=mid)

        first = _worker()
        try:
            for _ in range(3000):
                if len(peer.received) >= 3 or first.poll() is not None:
                    break
                await asyncio.sleep(0.005)
            first.send_signal(signal.SIGKILL)
        finally:
            await asyncio.to_thread(first.wait, 30)
        at_kill = len(peer.received)
        assert 0 < at_kill < PEOPLE, first.stderr.read().decode()[-3000:] if first.stderr else ""

        await asyncio.sleep(1.1)  # let the killed worker's leases (1 s) run out
        second = _worker("--once")
        _out, err = await asyncio.to_thread(second.communicate, None, 60)
        assert second.returncode == 0, err.decode()[-2000:]

        ids = [c["id"] for c, _p in people]
        marks = ", ".join(f"${i + 1}" for i in range(len(ids)))
        notes = await db.fetch(f"SELECT person_id, kind FROM notification WHERE person_id IN "
                               f"({marks})", *ids)
        assert Counter(n["person_id"] for n in notes) == Counter(ids)  # one each
        sent = await db.fetch(f"SELECT person_id FROM notification_delivery WHERE status = "
                              f"'sent' AND channel = 'push' AND person_id IN ({marks})", *ids)
        assert Counter(s["person_id"] for s in sent) == Counter(ids)
        assert peer.errors == []
        tags = {(r.endpoint, r.payload["tag"]) for r in peer.received}
        assert Counter(subs[e] for e, _tag in tags) == Counter(ids)  # each person: one message
        resent = len(peer.received) - len(tags)
        assert resent <= BATCH
