"""Facts the dashboards read, kept next to the records they describe and changed in the same
transaction as those records, so a dashboard never shows a stale or approximate number.

* On ``ticket``: ``first_response_bs`` / ``resolution_bs`` — business seconds from creation
  to the first public reply and to resolution, counted with the company's default calendar
  exactly as :func:`backend.tickets.sla.business_seconds_between` counts them (the service
  board's medians and p90s become one ordered aggregate instead of replaying ~200,000 tickets
  in Python); ``visit_count`` — work orders (site visits) of the ticket, for first-contact
  resolution; ``project_delivered`` — the ticket's project is accepted (tickets per 100
  delivered projects without joining every project).
* On ``customer``: ``last_touch_at`` (latest ticket, survey answer or project),
  ``latest_nps`` (score of the latest NPS answer), ``project_count``, ``contract_value_fen``
  and ``referral_count`` — the segment table becomes one scan of ``customer``.

Every service that changes a source calls :func:`refresh_ticket`, :func:`project_delivered`
or :func:`refresh_customers` inside its transaction; editing the default business calendar
recomputes the durations it changes (:func:`recalendar`). :func:`rebuild` fills everything in
bulk (migration, generated data) and :func:`drift` lists any stored fact that differs from
its definition (tests).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.reports.formulas import BusinessClock
from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.sla import business_seconds_between

BATCH = 5_000

# The definition of each customer fact, as correlated subqueries on ``customer`` (aliased
# ``c``). Ties between answers at the same instant go to the larger id, as everywhere.
CUSTOMER_FACTS = {
    "last_touch_at": (
        "(SELECT MAX(u.at) FROM (SELECT MAX(t.created_at) AS at FROM ticket t "
        "WHERE t.customer_id = c.id UNION ALL SELECT MAX(r.created_at) FROM survey_response r "
        "WHERE r.customer_id = c.id UNION ALL SELECT MAX(p.created_at) FROM project p "
        "WHERE p.customer_id = c.id) u)"),
    "latest_nps": (
        "(SELECT r.score FROM survey_response r WHERE r.customer_id = c.id AND r.kind = 'nps' "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 1)"),
    "project_count": "(SELECT COUNT(*) FROM project p WHERE p.customer_id = c.id)",
    "contract_value_fen": ("(SELECT COALESCE(SUM(p.contract_amount_fen), 0) FROM project p "
                           "WHERE p.customer_id = c.id)"),
    "referral_count": "(SELECT COUNT(*) FROM customer cr WHERE cr.referrer_id = c.id)",
}


VISITS = "(SELECT COUNT(*) FROM work_order w WHERE w.ticket_id = {ticket})"
DELIVERED = ("EXISTS (SELECT 1 FROM project dp WHERE dp.id = {ticket}.project_id AND "
             "dp.accepted_on IS NOT NULL)")


async def report_calendar(db: Database) -> BusinessCalendar:
    """The company's default calendar (as the desk edits it), else China's statutory one."""
    raw = await db.fetchval("SELECT data FROM business_calendar WHERE is_default = TRUE "
                            "ORDER BY name LIMIT 1")
    if raw and raw != "{}":
        return BusinessCalendar.from_dict(json.loads(raw))
    return BusinessCalendar.china_default((2026, 2027))


def durations_of(cal: BusinessCalendar, created: datetime, responded: datetime | None,
                 resolved: datetime | None) -> tuple[int | None, int | None]:
    """(first response, resolution) business seconds of one ticket; None where not reached."""
    return (None if responded is None else business_seconds_between(cal, created, responded),
            None if resolved is None else business_seconds_between(cal, created, resolved))


async def refresh_ticket(db: Database, ticket_id: uuid.UUID) -> None:
    """Recompute one ticket's facts (call inside the transaction that changed it)."""
    row = await db.fetchrow("SELECT created_at, first_responded_at, resolved_at FROM ticket "
                            "WHERE id = $1", ticket_id)
    if row is None:
        return
    first, resolution = durations_of(await report_calendar(db), row["created_at"],
                                     row["first_responded_at"], row["resolved_at"])
    await db.execute(
        "UPDATE ticket SET first_response_bs = $2, resolution_bs = $3, visit_count = "
        f"{VISITS.format(ticket='$1')}, project_delivered = {DELIVERED.format(ticket='ticket')} "
        "WHERE id = $1", ticket_id, first, resolution)


async def ticket_created(db: Database, *, ticket_id: uuid.UUID, customer_id: uuid.UUID | None,
                         project_id: uuid.UUID | None, at: datetime) -> None:
    """A new ticket (inside its creating transaction): the only facts a ticket's birth can
    change are its "on a delivered project" flag and its customer's last touch."""
    if project_id is not None:
        await db.execute(f"UPDATE ticket SET project_delivered = "
                         f"{DELIVERED.format(ticket='ticket')} WHERE id = $1", ticket_id)
    if customer_id is not None:
        await db.execute("UPDATE customer SET last_touch_at = $2 WHERE id = $1 AND "
                         "(last_touch_at IS NULL OR last_touch_at < $2)", customer_id, at)


async def project_delivered(db: Database, project_id: uuid.UUID) -> None:
    """The project was accepted: its tickets are now on a delivered project."""
    await db.execute(f"UPDATE ticket SET project_delivered = {DELIVERED.format(ticket='ticket')} "
                     "WHERE project_id = $1", project_id)


async def refresh_customers(db: Database, *customer_ids: uuid.UUID | None) -> None:
    """Recompute the facts of these customers (call inside the transaction that changed a
    ticket, survey answer, project or referral of theirs)."""
    sets = ", ".join(f"{col} = {expr}" for col, expr in CUSTOMER_FACTS.items())
    for cid in dict.fromkeys(c for c in customer_ids if c is not None):
        await db.execute(f"UPDATE customer AS c SET {sets} WHERE c.id = $1", cid)


async def rebuild(db: Database) -> None:
    """Fill every fact from its sources (after bulk loads and in the migration)."""
    async with db.transaction():
        sets = ", ".join(f"{col} = {expr}" for col, expr in CUSTOMER_FACTS.items())
        await db.execute(f"UPDATE customer AS c SET {sets}")
        await db.execute(f"UPDATE ticket SET visit_count = {VISITS.format(ticket='ticket.id')} "
                         "WHERE visit_count <> 0 OR id IN (SELECT ticket_id FROM work_order "
                         "WHERE ticket_id IS NOT NULL)")
        delivered = DELIVERED.format(ticket="ticket")
        await db.execute(f"UPDATE ticket SET project_delivered = {delivered} WHERE "
                         f"project_delivered <> {delivered}")
        await _store_durations(db, await report_calendar(db), None)


async def recalendar(db: Database, before: BusinessCalendar, after: BusinessCalendar) -> int:
    """After the default calendar changed: recompute the durations of tickets whose spans
    touch a day the change affects (all of them when the zone or the weekly hours moved).
    Returns how many tickets were looked at."""
    if before.to_dict() == after.to_dict():
        return 0
    span = await db.fetchrow(
        "SELECT MIN(created_at) AS lo, MAX(COALESCE(resolved_at, first_responded_at)) AS hi "
        "FROM ticket WHERE first_responded_at IS NOT NULL OR resolved_at IS NOT NULL")
    if not span or span["lo"] is None:
        return 0
    window: tuple[date, date] | None = None
    if before.tz == after.tz:
        first = _at(span["lo"]).astimezone(after.zone).date()
        last = _at(span["hi"]).astimezone(after.zone).date()
        changed = [d for d in _days(first - timedelta(days=1), last + timedelta(days=1))
                   if before.classify(d) != after.classify(d)]
        if not changed:
            return 0
        window = (changed[0], changed[-1])
    return await _store_durations(db, after, window)


def _at(value: Any) -> datetime:
    """An aggregate's instant: SQLite returns MIN/MAX of a timestamp column as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


async def _store_durations(db: Database, cal: BusinessCalendar,
                           window: tuple[date, date] | None) -> int:
    """Recompute the stored durations of reached tickets, or only of those whose span
    [created, reached] overlaps the local days ``window``."""
    where, args = "(first_responded_at IS NOT NULL OR resolved_at IS NOT NULL)", []
    if window is not None:
        zone = cal.zone
        lo = datetime.combine(window[0], datetime.min.time(), tzinfo=zone)
        hi = datetime.combine(window[1] + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        where += (" AND created_at < $1 AND (first_responded_at >= $2 OR resolved_at >= $2)")
        args = [hi, lo]
    span = await db.fetchrow(f"SELECT MIN(created_at) AS lo, MAX(COALESCE(resolved_at, "
                             f"first_responded_at)) AS hi FROM ticket WHERE {where}", *args)
    if not span or span["lo"] is None:
        return 0
    bc = BusinessClock(cal, _at(span["lo"]).astimezone(cal.zone).date() - timedelta(days=1),
                       max(_at(span["hi"]), clock.now()).astimezone(cal.zone).date()
                       + timedelta(days=1))
    rows = await db.fetch(f"SELECT id, created_at, first_responded_at, resolved_at FROM ticket "
                          f"WHERE {where}", *args)
    values = [(r["id"], None if r["first_responded_at"] is None else
               bc.between(r["created_at"], r["first_responded_at"]),
               None if r["resolved_at"] is None else bc.between(r["created_at"],
                                                                 r["resolved_at"]))
              for r in rows]
    for i in range(0, len(values), BATCH):
        await _update_durations(db, values[i:i + BATCH])
    return len(values)


async def _update_durations(db: Database, chunk: Sequence[tuple[Any, Any, Any]]) -> None:
    if db.kind == "postgres":
        # One statement per batch: ~50x faster than executemany for a million rows.
        await db.execute(
            "UPDATE ticket AS t SET first_response_bs = u.f, resolution_bs = u.r FROM "
            "unnest($1::uuid[], $2::int[], $3::int[]) AS u(id, f, r) WHERE t.id = u.id",
            [c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk])
    else:
        await db.executemany("UPDATE ticket SET first_response_bs = $2, resolution_bs = $3 "
                             "WHERE id = $1", list(chunk))


async def drift(db: Database, limit: int = 20, *,
                customers: Sequence[uuid.UUID] | None = None,
                tickets: Sequence[uuid.UUID] | None = None) -> list[str]:
    """Stored facts that differ from their definitions ("table id column stored != defined"),
    at most ``limit``; empty when every fact is exact. Also checks the invariant the
    dashboards count on: a survey's ``used_at`` is set exactly when it has an answer."""
    out: list[str] = []
    cols = ", ".join(f"c.{col} AS s_{col}, {expr} AS d_{col}"
                     for col, expr in CUSTOMER_FACTS.items())
    for row in await db.fetch(f"SELECT c.id, {cols} FROM customer c WHERE {_only('c', customers)}"):
        for col in CUSTOMER_FACTS:
            stored, defined = row[f"s_{col}"], row[f"d_{col}"]
            if col == "last_touch_at" and defined is not None:
                defined = _at(defined)
            if stored != defined:
                out.append(f"customer {row['id']} {col} {stored!r} != {defined!r}")
    for row in await db.fetch(
            "SELECT s.id FROM survey s WHERE (s.used_at IS NOT NULL) <> EXISTS (SELECT 1 FROM "
            "survey_response r WHERE r.survey_id = s.id)"):
        out.append(f"survey {row['id']} used_at disagrees with its answer")
    cal = await report_calendar(db)
    for row in await db.fetch(
            "SELECT t.id, t.created_at, t.first_responded_at, t.resolved_at, "
            "t.first_response_bs, t.resolution_bs, t.visit_count, t.project_delivered, "
            f"{VISITS.format(ticket='t.id')} AS visits, {DELIVERED.format(ticket='t')} AS "
            "delivered FROM ticket t "
            f"WHERE {_only('t', tickets)}"):
        first, resolution = durations_of(cal, row["created_at"], row["first_responded_at"],
                                         row["resolved_at"])
        for col, defined in (("first_response_bs", first), ("resolution_bs", resolution),
                             ("visit_count", row["visits"]),
                             ("project_delivered", bool(row["delivered"]))):
            if row[col] != defined:
                out.append(f"ticket {row['id']} {col} {row[col]!r} != {defined!r}")
    return out[:limit]


def _only(alias: str, ids: Sequence[uuid.UUID] | None) -> str:
    """All rows, or just these (ids are UUIDs: safe to inline)."""
    if ids is None:
        return "1 = 1"
    return f"{alias}.id IN ({', '.join(repr(str(uuid.UUID(str(i)))) for i in ids) or 'NULL'})"
