"""Human-readable numbers (T260001, W-000123) from atomic counters; ids in URLs stay random."""

from __future__ import annotations

from backend.db import Database

FORMATS = {
    "ticket": ("T", 6, 260000),
    "work_order": ("W-", 6, 0),
    "project": ("P-", 6, 0),
}


async def next_number(db: Database, kind: str) -> str:
    """The next number of ``kind``; must run inside the transaction that uses it.

    One upsert: PostgreSQL serialises concurrent callers on the row lock, SQLite on its
    single writer, so two requests never get the same number.
    """
    if not db.in_transaction():
        raise RuntimeError("numbers are taken inside the transaction that stores them")
    prefix, width, start = FORMATS[kind]
    value = await db.fetchval(
        "INSERT INTO counter (id, value) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE "
        "SET value = counter.value + 1 RETURNING value",
        kind, start + 1,
    )
    return f"{prefix}{int(value):0{width}d}"
