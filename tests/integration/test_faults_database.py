"""The database goes away and comes back: clear 503s, /healthz says so, no restart needed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest

from tests import factories as f
from tests.conftest import IS_POSTGRES

pytestmark = [pytest.mark.faults, pytest.mark.integration]

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite: another process holds the write lock")
async def test_sqlite_write_lock_held_elsewhere_gives_503_and_recovers(client, db) -> None:
    customer = await f.make_customer(db)
    path = os.environ["DATABASE_URL"].split("sqlite:///")[1]
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path, "7"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        write = asyncio.create_task(
            client.post_form("/portal/sign-in", {"contact": customer["phone"]}))
        await asyncio.sleep(0.3)
        # While the write waits for the lock, the event loop keeps serving reads.
        read_started = time.monotonic()
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert time.monotonic() - read_started < 1.0
        blocked = await write
        assert blocked.status_code == 503
        assert "cannot reach its database" in blocked.text
        assert blocked.headers["retry-after"] == "30"
        assert time.monotonic() - started >= 4.5
    finally:
        holder.wait(timeout=15)
    recovered = await client.post_form("/portal/sign-in", {"contact": customer["phone"]})
    assert recovered.status_code == 200


def _pg(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                   check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(not IS_POSTGRES, reason="stops and starts the local PostgreSQL")
async def test_postgres_stops_and_starts_again(client, db) -> None:
    if not os.path.isdir("/etc/postgresql") or os.geteuid() != 0:
        pytest.skip("needs the local PostgreSQL cluster and root to stop it")
    assert (await client.get("/healthz")).status_code == 200
    _pg("stop")
    try:
        health = await client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"]["status"] == "unavailable"
        page = await client.get("/portal/sign-in")
        down = await client.post_form("/portal/sign-in", {"contact": "13800000001"})
        assert down.status_code == 503, page.status_code
        assert "cannot reach its database" in down.text
    finally:
        _pg("start")
    for _ in range(50):
        if (await client.get("/healthz")).status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert (await client.get("/healthz")).status_code == 200
    customer = await f.make_customer(db)
    again = await client.post_form("/portal/sign-in", {"contact": customer["phone"]})
    assert again.status_code == 200
