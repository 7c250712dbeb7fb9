"""The data layer on the real database: transactions, audit and outbox, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backend.access import SYSTEM
from backend.audit import services as audit
from backend.events import outbox

pytestmark = pytest.mark.integration


async def _count(db, table: str, object_id: str) -> int:
    column = "object_id" if table == "audit_entry" else "aggregate_id"
    return await db.fetchval(f"SELECT count(*) AS n FROM {table} WHERE {column} = $1", object_id)


async def test_audit_and_event_commit_with_the_change(db) -> None:
    oid = str(uuid.uuid4())
    async with db.transaction():
        await audit.record(db, actor=SYSTEM, action="test.changed", object_type="thing",
                           object_id=oid, before={"a": 1}, after={"a": 2})
        await outbox.emit(db, kind="ticket.created", aggregate_type="thing", aggregate_id=oid,
                          payload={"x": "值"})
    assert await _count(db, "audit_entry", oid) == 1
    assert await _count(db, "outbox_event", oid) == 1
    row = await db.fetchrow("SELECT payload FROM outbox_event WHERE aggregate_id = $1", oid)
    assert row["payload"] == '{"x": "值"}'


async def test_a_failed_change_leaves_nothing_behind(db) -> None:
    oid = str(uuid.uuid4())
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await audit.record(db, actor=SYSTEM, action="test.changed", object_type="thing",
                               object_id=oid)
            await outbox.emit(db, kind="ticket.created", aggregate_type="thing",
                              aggregate_id=oid)
            raise RuntimeError("boom")
    assert await _count(db, "audit_entry", oid) == 0
    assert await _count(db, "outbox_event", oid) == 0


async def test_audit_and_events_refuse_to_be_written_outside_a_transaction(db) -> None:
    with pytest.raises(RuntimeError):
        await audit.record(db, actor=SYSTEM, action="x", object_type="y", object_id="z")
    with pytest.raises(RuntimeError):
        await outbox.emit(db, kind="ticket.created", aggregate_type="y", aggregate_id="z")
    with pytest.raises(ValueError, match="unknown event kind"):
        async with db.transaction():
            await outbox.emit(db, kind="no.such", aggregate_type="y", aggregate_id="z")


async def test_nested_transactions_join_the_outer_one(db) -> None:
    oid = str(uuid.uuid4())
    with pytest.raises(KeyError):
        async with db.transaction():
            async with db.transaction():
                await audit.record(db, actor=SYSTEM, action="inner", object_type="t",
                                   object_id=oid)
            raise KeyError("outer fails")
    assert await _count(db, "audit_entry", oid) == 0


async def test_concurrent_writers_never_see_database_is_locked(db) -> None:
    oid = str(uuid.uuid4())

    async def writer(n: int) -> None:
        for i in range(10):
            async with db.transaction():
                current = await db.fetchval(
                    "SELECT count(*) AS n FROM audit_entry WHERE object_id = $1", oid)
                await asyncio.sleep(0)  # yield inside the transaction on purpose
                await audit.record(db, actor=SYSTEM, action=f"w{n}.{i}", object_type="t",
                                   object_id=oid, after={"seen": current})

    await asyncio.gather(*(writer(n) for n in range(8)))
    assert await _count(db, "audit_entry", oid) == 80
    if db.kind == "sqlite":
        seen = [r["after"] for r in await db.fetch(
            "SELECT after FROM audit_entry WHERE object_id = $1 ORDER BY id", oid)]
        # On SQLite write transactions are serialised (BEGIN IMMEDIATE behind one lock):
        # each writer saw all earlier commits. PostgreSQL runs them concurrently (READ
        # COMMITTED), where services take row locks when they need to.
        assert [int(s.split(":")[1].strip(" }")) for s in seen] == list(range(80))


async def test_types_round_trip_the_same_on_both_databases(db) -> None:
    from backend import clock

    rid = uuid.uuid4()
    now = clock.now()
    async with db.transaction():
        await db.execute("INSERT INTO region (id, code, name_zh, name_en) VALUES ($1, $2, $3, $4)",
                         rid, f"t{rid.hex[:6]}", "华东", "East")
        await db.execute(
            "INSERT INTO staff_user (id, email, name, role, region_id, is_team_lead, skills, "
            "language, timezone, password_hash, failed_logins, active, created_at) VALUES ($1, "
            "$2, 'T', 'admin', $3, TRUE, '', 'en', 'UTC', 'x', 0, TRUE, $4)",
            rid, f"{rid.hex}@t.cn", rid, now)
    row = await db.fetchrow("SELECT id, region_id, is_team_lead, created_at FROM staff_user "
                            "WHERE id = $1", rid)
    assert row["id"] == rid and row["region_id"] == rid
    assert row["is_team_lead"] is True
    assert row["created_at"] == now and row["created_at"].utcoffset().total_seconds() == 0


async def test_a_pooled_connection_comes_back_clean(db) -> None:  # type: ignore[no-untyped-def]
    """The pool skips asyncpg's per-release RESET round trip; a connection handed back in the
    middle of a transaction (an interrupted request) is still rolled back before reuse."""
    if db.kind != "postgres":
        pytest.skip("PostgreSQL's connection pool")
    pool = await db._get_pool()
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE interrupted (x int)")
        assert conn.is_in_transaction()
    for _ in range(pool.get_size()):
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('pg_temp.interrupted')") is None
