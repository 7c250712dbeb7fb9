"""``homeloop bench-data`` makes a small dataset quickly with valid foreign keys, on SQLite
and (with HOMELOOP_TEST_DB) PostgreSQL, in a database of its own (never the shared test one)."""

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SIZES = ["--customers", "2000", "--tickets", "6000", "--events", "5000", "--surveys", "1500"]
# (surveys above one load batch of 50,000 rows are covered by the bench run itself)
FKS = [("customer", "referrer_id", "customer"), ("project", "customer_id", "customer"),
       ("project", "team_id", "team"), ("project", "installer_lead_id", "staff_user"),
       ("milestone", "project_id", "project"), ("project_product", "project_id", "project"),
       ("ticket", "customer_id", "customer"), ("ticket", "project_id", "project"),
       ("ticket", "team_id", "team"), ("ticket_status_change", "ticket_id", "ticket"),
       ("survey", "customer_id", "customer"), ("survey_response", "survey_id", "survey")]
ORPHANS = ("SELECT COUNT(*) FROM {t} x WHERE x.{c} IS NOT NULL AND NOT EXISTS "
           "(SELECT 1 FROM {p} y WHERE y.id = x.{c})")


def _run(env: dict[str, str], *extra: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "backend.cli", "bench-data", *SIZES, *extra],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return time.perf_counter() - started


def test_sqlite_small_dataset(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    seconds = _run(env, "--data-dir", str(tmp_path))
    assert seconds < 60
    conn = sqlite3.connect(tmp_path / "homeloop.db")
    assert conn.execute("SELECT COUNT(*) FROM customer").fetchone()[0] == 2000
    assert conn.execute("SELECT COUNT(*) FROM ticket").fetchone()[0] == 6000
    assert conn.execute("SELECT COUNT(*) FROM survey_response").fetchone()[0] == 1500
    assert conn.execute("SELECT COUNT(*) FROM outbox_event").fetchone()[0] == 5000
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    for table, col, parent in FKS:
        assert conn.execute(ORPHANS.format(t=table, c=col, p=parent)).fetchone()[0] == 0
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.postgres
def test_postgres_small_dataset() -> None:
    import asyncpg

    base = os.environ["DATABASE_URL"]
    name = base.rsplit("/", 1)[1] + "_benchdata"
    url = base.rsplit("/", 1)[0] + "/" + name

    async def prepare() -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def check() -> None:
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT COUNT(*) FROM customer") == 2000
            assert await conn.fetchval("SELECT COUNT(*) FROM ticket") == 6000
            assert await conn.fetchval("SELECT COUNT(*) FROM survey_response") == 1500
            for table, col, parent in FKS:
                assert await conn.fetchval(ORPHANS.format(t=table, c=col, p=parent)) == 0
        finally:
            await conn.close()
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await conn.close()

    asyncio.run(prepare())
    assert _run({**os.environ, "DATABASE_URL": url}) < 60
    asyncio.run(check())
