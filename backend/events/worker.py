"""The worker: outbox events → rules → notifications → channels, and the scheduler's ticks.

Claiming. On PostgreSQL a batch is claimed with ``UPDATE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED)``: several ``homeloop worker`` processes take disjoint batches without
waiting for each other, and no queue library or broker is needed because the outbox already
is the queue (a library such as procrastinate would add its own tables and a second copy of
every event). On SQLite the single writer serialises claims. Either way the claim is a lease
(``claimed_until``): a worker killed mid-batch leaves its rows to be claimed again when the
lease runs out.

Exactly once where it matters. Each event is handled in one transaction that first marks it
processed (a row lock on PostgreSQL), then runs the rules (``rule_run`` has a unique key per
rule and event) and creates notifications (unique idempotency key per person and message)
with one delivery per channel (unique key per notification and channel). A crash before the
commit undoes all of it; after the commit the event is never handled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.events import scheduler
from backend.notifications.channels import Channels
from backend.notifications.dispatch import dispatch_due
from backend.rules.engine import handle_event

log = logging.getLogger("homeloop.worker")
MAX_EVENT_ATTEMPTS = 10


def _claim_sql(db: Database) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if db.kind == "postgres" else ""
    return (
        "UPDATE outbox_event SET claimed_until = $2, attempts = attempts + 1 WHERE id IN ("
        "SELECT id FROM outbox_event WHERE processed_at IS NULL AND (claimed_until IS NULL "
        "OR claimed_until < $1) ORDER BY id LIMIT $3" + lock + ") "
        "RETURNING id, at, kind, aggregate_type, aggregate_id, payload, attempts"
    )


class Worker:
    """One worker loop; several may run (in-process, or ``homeloop worker`` processes)."""

    def __init__(self, db: Database, channels: Channels | None = None, *, batch: int = 20,
                 lease: int = 60, idle: float = 1.0, run_scheduler: bool = True) -> None:
        self.db = db
        self.channels = channels or Channels()
        self.batch = batch
        self.lease = lease
        self.idle = idle
        self.run_scheduler = run_scheduler
        self._last_tick: Any = None
        self.handled = 0

    async def claim(self) -> list[dict[str, Any]]:
        now = clock.now()
        async with self.db.transaction():
            rows = await self.db.fetch(_claim_sql(self.db), now,
                                       now + timedelta(seconds=self.lease), self.batch)
        return sorted(rows, key=lambda r: r["id"])

    async def handle(self, event: dict[str, Any]) -> None:
        """Handle one claimed event in one transaction (see the module docstring)."""
        try:
            async with self.db.transaction():
                mine = await self.db.fetchval(
                    "UPDATE outbox_event SET processed_at = $2, last_error = '' WHERE id = $1 "
                    "AND processed_at IS NULL RETURNING id", event["id"], clock.now())
                if mine is None:
                    return  # another worker finished it after our lease ran out
                await handle_event(self.db, event)
            self.handled += 1
        except Exception as exc:  # one bad event must not stop the others
            log.exception("event %s (%s) failed", event["id"], event["kind"])
            give_up = event["attempts"] >= MAX_EVENT_ATTEMPTS
            async with self.db.transaction():
                await self.db.execute(
                    "UPDATE outbox_event SET last_error = $2, claimed_until = $3, "
                    "processed_at = $4 WHERE id = $1", event["id"], repr(exc)[:1000],
                    clock.now() + timedelta(seconds=min(600, 5 * 2 ** event["attempts"])),
                    clock.now() if give_up else None)

    async def tick_if_due(self) -> int:
        minute = clock.now().replace(second=0, microsecond=0)
        if not self.run_scheduler or minute == self._last_tick:
            return 0
        self._last_tick = minute
        return await scheduler.tick(self.db)

    async def run_once(self) -> int:
        """One pass: scheduler (once a minute), a batch of events, due deliveries."""
        work = await self.tick_if_due()
        events = await self.claim()
        for event in events:
            await self.handle(event)
            await asyncio.sleep(0)  # in the server process, let requests in between events
        sent = await dispatch_due(self.db, self.channels, limit=self.batch, lease=self.lease)
        return work + len(events) + sent

    async def drain(self, max_passes: int = 100) -> None:
        """Run passes until nothing is left to do (tests, ``homeloop worker --once``)."""
        for _ in range(max_passes):
            if not await self.run_once():
                return

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment; keep the loop alive
                log.exception("worker pass failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.idle)

    async def close(self) -> None:
        await self.channels.close()


async def start_in_process(db: Database) -> asyncio.Task[None]:
    """The embedded default: one worker task inside the server process."""
    from backend.rules.shipped import seed_rules

    worker = Worker(db)

    async def run() -> None:
        try:
            await seed_rules(db)
            await worker.run_forever()
        finally:
            await worker.close()

    return asyncio.create_task(run(), name="homeloop-worker")


async def run_cli_worker(*, batch: int, lease: int, once: bool, run_scheduler: bool) -> None:
    """``homeloop worker``: seed the shipped rules if missing, then work (until idle)."""
    import os
    import signal

    from backend.db import get_db
    from backend.rules.shipped import seed_rules

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = get_db()
    await seed_rules(db)
    allow_http = os.environ.get("HOMELOOP_PUSH_ALLOW_HTTP") == "1"  # local test push peers
    worker = Worker(db, Channels(allow_http_push=allow_http), batch=batch, lease=lease,
                    run_scheduler=run_scheduler)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if once:
            await worker.drain()
        else:
            await worker.run_forever(stop)
    finally:
        await worker.close()
        await db.close()


async def lag(db: Database) -> dict[str, Any]:
    """For /healthz: unprocessed events and the age of the oldest (how far behind we are)."""
    row = await db.fetchrow("SELECT count(*) AS pending, min(at) AS oldest FROM outbox_event "
                            "WHERE processed_at IS NULL")
    oldest = row["oldest"] if row else None
    if isinstance(oldest, str):  # SQLite returns an aggregate without its column type
        from datetime import datetime

        oldest = datetime.fromisoformat(oldest)
    seconds = int((clock.now() - oldest).total_seconds()) if oldest else 0
    return {"pending_events": int(row["pending"]) if row else 0, "lag_seconds": max(0, seconds)}
