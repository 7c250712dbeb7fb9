"""Finding customers (name, phone in any format, address) and merging duplicates.

Two records are duplicates when their phone numbers are the same once normalised to E.164:
"138 1234 5678", "+86-138-1234-5678" and "008613812345678" are one person. Merging moves
every row that points at the duplicate (projects, tickets, messages, work orders, surveys,
household links...) to the kept record, so nothing of the history is lost; the duplicate
stays as a tombstone with ``merged_into_id`` set and no contact details, so sign-in finds the
kept record only.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend import clock
from backend.access import Actor, require, scope_customers
from backend.audit import services as audit
from backend.customers.rules import normalize_phone
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.i18n import N_
from backend.reports import facts
from backend.text import clean_text
from backend.tickets.queue import PHONE_SQL, phone_digits

# Columns that hold a customer id without a declared foreign key.
_EXTRA_REFERENCES = [("media", "uploaded_by_customer_id")]
_SKIP_TABLES = {"customer", "household_member"}


def _normalised(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return normalize_phone(phone)
    except ValidationFailed:
        return None


def customer_references() -> list[tuple[str, str]]:
    """Every (table, column) referring to a customer, read from the schema, so a table added
    later by another part of the product is merged too."""
    from backend.customers.tables import Customer
    from backend.piccolo_app import TABLES

    refs = []
    for table in TABLES:
        name = table._meta.tablename
        if name in _SKIP_TABLES:
            continue
        for column in table._meta.foreign_key_columns:
            if column._foreign_key_meta.resolved_references is Customer:
                refs.append((name, column._meta.db_column_name))
    return refs + _EXTRA_REFERENCES


async def search_customers(db: Database, actor: Actor, q: str, *, limit: int = 50) -> list[Row]:
    """Customers matching ``q`` in name, phone (any format) or a property address."""
    cond, args = scope_customers(actor, "c")
    text = clean_text(q or "").strip()[:100]
    where = [cond, "c.merged_into_id IS NULL"]
    if text:
        args.append(f"%{text.lower()}%")
        like = f"${len(args)}"
        terms = [f"LOWER(c.name) LIKE {like}", f"LOWER(COALESCE(c.email, '')) LIKE {like}",
                 f"c.id IN (SELECT pr.customer_id FROM property pr WHERE LOWER(pr.address) "
                 f"LIKE {like})"]
        digits = phone_digits(text)
        if len(digits) >= 4:
            args.append(f"%{digits}%")
            terms.append(f"{PHONE_SQL.format(col='c.phone')} LIKE ${len(args)}")
        where.append("(" + " OR ".join(terms) + ")")
    return await db.fetch(
        "SELECT c.id, c.name, c.phone, c.email, c.value_tier, c.created_at, "
        "(SELECT pr.address FROM property pr WHERE pr.customer_id = c.id ORDER BY "
        "pr.created_at LIMIT 1) AS address FROM customer c "
        f"WHERE {' AND '.join(where)} ORDER BY c.name LIMIT {int(limit)}", *args)


async def duplicates_of(db: Database, actor: Actor, customer_id: uuid.UUID) -> list[Row]:
    """Other customers whose phone normalises to the same number as this customer's."""
    cond, args = scope_customers(actor, "c", start=2)
    me = await db.fetchrow(f"SELECT c.id, c.phone FROM customer c WHERE c.id = $1 AND {cond}",
                           customer_id, *args)
    if me is None:
        raise NotFound()
    target = _normalised(me["phone"])
    if not target:
        return []
    cond2, args2 = scope_customers(actor, "c", start=3)
    rows = await db.fetch(
        "SELECT c.id, c.name, c.phone, c.created_at FROM customer c WHERE c.id <> $1 AND "
        f"c.merged_into_id IS NULL AND {PHONE_SQL.format(col='c.phone')} LIKE $2 AND {cond2}",
        customer_id, f"%{target[-8:]}%", *args2)
    return [r for r in rows if _normalised(r["phone"]) == target]


async def merge_customers(db: Database, actor: Actor, *, keep_id: uuid.UUID,
                          duplicate_id: uuid.UUID) -> dict[str, Any]:
    """Merge ``duplicate_id`` into ``keep_id`` (same normalised phone), keeping all history."""
    require(actor, "customers.edit")
    if keep_id == duplicate_id:
        raise ValidationFailed({"duplicate": N_("Choose two different customers.")})
    async with db.transaction():
        cond, args = scope_customers(actor, "c", start=3)
        rows = await db.fetch(
            f"SELECT c.* FROM customer c WHERE c.id IN ($1, $2) AND {cond}",
            keep_id, duplicate_id, *args)
        by_id = {r["id"]: r for r in rows}
        if len(by_id) != 2:
            raise NotFound()
        keep, dup = by_id[keep_id], by_id[duplicate_id]
        if keep["merged_into_id"] or dup["merged_into_id"]:
            raise ValidationFailed({"duplicate": N_("That customer was already merged.")})
        phone = _normalised(keep["phone"])
        if not phone or phone != _normalised(dup["phone"]):
            raise ValidationFailed({"duplicate": N_("Only customers with the same phone "
                                                    "number can be merged.")})
        moved: dict[str, int] = {}
        for table, column in customer_references():
            count = await db.fetchval(f"SELECT count(*) AS n FROM {table} WHERE {column} = $1",
                                      duplicate_id)
            if count:
                await db.execute(f"UPDATE {table} SET {column} = $2 WHERE {column} = $1",
                                 duplicate_id, keep_id)
                moved[f"{table}.{column}"] = int(count)
        now = clock.now()
        # Household links: a link between the two records ends; others move to the kept one.
        await db.execute(
            "UPDATE household_member SET removed_at = $3 WHERE removed_at IS NULL AND "
            "((owner_id = $1 AND member_id = $2) OR (owner_id = $2 AND member_id = $1))",
            duplicate_id, keep_id, now)
        await db.execute("UPDATE household_member SET owner_id = $2 WHERE owner_id = $1",
                         duplicate_id, keep_id)
        await db.execute("UPDATE household_member SET member_id = $2 WHERE member_id = $1",
                         duplicate_id, keep_id)
        await db.execute("UPDATE customer SET referrer_id = $2 WHERE referrer_id = $1",
                         duplicate_id, keep_id)
        await db.execute("UPDATE customer SET merged_into_id = $2, phone = NULL, email = NULL "
                         "WHERE id = $1", duplicate_id, keep_id)
        if not keep["email"] and dup["email"]:
            await db.execute("UPDATE customer SET email = $2 WHERE id = $1", keep_id,
                             dup["email"])
        await facts.refresh_customers(db, keep_id, duplicate_id, keep["referrer_id"],
                                      dup["referrer_id"])
        await db.execute("DELETE FROM user_session WHERE realm = 'customer' AND "
                         "subject_id = $1", duplicate_id)
        await audit.record(db, actor=actor, action="customer.merged", object_type="customer",
                           object_id=keep_id,
                           after={"duplicate": duplicate_id, "moved": moved})
        await audit.record(db, actor=actor, action="customer.merged_away",
                           object_type="customer", object_id=duplicate_id,
                           before={"phone": dup["phone"], "email": dup["email"]},
                           after={"merged_into": keep_id})
    return moved
