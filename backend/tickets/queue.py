"""The desk's triage queue: filters, saved views, search and sort in ONE select per page.

A page costs a constant number of queries whatever it shows: the rows (with customer,
assignee and the SLA deadline joined in), one count, and the option lists. The SLA state is
filtered on the cached deadline columns (see :mod:`backend.tickets.clocks`), so "breaching
soon" is an indexed comparison rather than a replay of every ticket's history.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend import clock
from backend.access import Actor, scope_tickets
from backend.db import Database, Row
from backend.text import clean_text
from backend.tickets.clocks import SOON, queue_state
from backend.tickets.services import ACTIVE_STATUSES, CATEGORIES, PRIORITIES, STATUSES

PAGE_SIZE = 50
VIEWS = ("all", "mine", "unassigned", "breaching")
SORTS = ("due", "newest", "oldest", "priority")
SLA_STATES = ("on_track", "breaching_soon", "breached", "paused")
WARRANTY = ("in_warranty", "expired", "not_covered", "unknown")
CHANNELS = ("portal", "phone", "acceptance", "api", "recovery")

SLA_DUE = ("(CASE WHEN t.first_responded_at IS NULL THEN t.first_response_due "
           "ELSE t.resolution_due END)")
_ORDER = {
    "due": f"{SLA_DUE} NULLS LAST, t.created_at",
    "newest": "t.created_at DESC",
    "oldest": "t.created_at",
    "priority": "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' "
                "THEN 2 ELSE 3 END, t.created_at",
}


@dataclass
class QueueFilters:
    """What the agent asked for; unknown values are ignored rather than failing the page."""

    view: str = "all"
    status: str = ""  # "" = every active status
    category: str = ""
    priority: str = ""
    region: str = ""
    team: str = ""
    assignee: str = ""  # a staff id or "none"
    sla: str = ""
    warranty: str = ""
    channel: str = ""
    q: str = ""
    sort: str = "due"
    page: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> QueueFilters:
        def pick(name: str, allowed: tuple[str, ...], default: str = "") -> str:
            value = params.get(name, "")
            return value if value in allowed else default

        try:
            page = max(1, min(int(params.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(
            view=pick("view", VIEWS, "all"), status=pick("status", STATUSES),
            category=pick("category", CATEGORIES), priority=pick("priority", PRIORITIES),
            region=_uuid_text(params.get("region", "")), team=_uuid_text(params.get("team", "")),
            assignee="none" if params.get("assignee") == "none"
            else _uuid_text(params.get("assignee", "")),
            sla=pick("sla", SLA_STATES), warranty=pick("warranty", WARRANTY),
            channel=pick("channel", CHANNELS), q=clean_text(params.get("q") or "").strip()[:100],
            sort=pick("sort", SORTS, "due"), page=page,
        )

    def query_string(self, **changes: Any) -> str:
        """This filter set as a URL query, with ``changes`` applied (for links and paging)."""
        from urllib.parse import urlencode

        values = {k: v for k, v in self.__dict__.items() if k != "extra"}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1, "all")
                          or (k == "page" and v != 1)})


def _uuid_text(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return ""


def sla_condition(state: str, now_pos: int, soon_pos: int) -> str:
    """SQL for one SLA state over the cached deadline (same rule as ``clocks.queue_state``)."""
    return {
        "breached": f"{SLA_DUE} < ${now_pos}",
        "breaching_soon": f"{SLA_DUE} >= ${now_pos} AND {SLA_DUE} < ${soon_pos}",
        "on_track": f"{SLA_DUE} >= ${soon_pos}",
        "paused": f"t.status = 'waiting' AND {SLA_DUE} IS NULL",
    }[state]


PHONE_SQL = ("REPLACE(REPLACE(REPLACE(REPLACE(REPLACE({col}, ' ', ''), '-', ''), '(', ''), "
             "')', ''), '.', '')")
"""A stored phone with its separators removed, so a number typed without them matches."""


def phone_digits(text: str) -> str:
    """The national digits of a phone number typed in any format (+86 138-1234 5678...)."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def build_query(actor: Actor, f: QueueFilters, now: datetime) -> tuple[str, list[Any]]:
    """The WHERE clause (with its arguments) shared by the page and its count."""
    cond, args = scope_tickets(actor, "t")
    where = [cond]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.status:
        where.append(f"t.status = {arg(f.status)}")
        if f.status in ("resolved", "closed"):  # merging closes the duplicate, so only here
            where.append("t.merged_into_id IS NULL")
    else:
        where.append("t.status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES)))
    for column, value in (("category", f.category), ("priority", f.priority),
                          ("warranty_status", f.warranty), ("channel", f.channel)):
        if value:
            where.append(f"t.{column} = {arg(value)}")
    if f.region:
        where.append(f"t.region_id = {arg(uuid.UUID(f.region))}")
    if f.team:
        where.append(f"t.team_id = {arg(uuid.UUID(f.team))}")
    if f.assignee == "none" or f.view == "unassigned":
        where.append("t.assignee_id IS NULL")
    elif f.assignee:
        where.append(f"t.assignee_id = {arg(uuid.UUID(f.assignee))}")
    if f.view == "mine":
        where.append(f"t.assignee_id = {arg(actor.id)}")
    sla = "breaching_soon" if f.view == "breaching" and not f.sla else f.sla
    if sla:
        # Only the placeholders the condition uses (SQLite refuses unused arguments).
        now_pos = int(arg(now)[1:]) if sla in ("breached", "breaching_soon") else 0
        soon_pos = int(arg(now + SOON)[1:]) if sla in ("breaching_soon", "on_track") else 0
        where.append(sla_condition(sla, now_pos, soon_pos))
    if f.q:
        like = arg(f"%{f.q.lower()}%")
        terms = [f"LOWER(t.number) LIKE {like}", f"LOWER(c.name) LIKE {like}",
                 f"LOWER(t.subject) LIKE {like}",
                 f"t.customer_id IN (SELECT pr.customer_id FROM property pr WHERE "
                 f"LOWER(pr.address) LIKE {like})"]
        digits = phone_digits(f.q)
        if len(digits) >= 4:
            terms.append(f"{PHONE_SQL.format(col='c.phone')} LIKE {arg('%' + digits + '%')}")
        where.append("(" + " OR ".join(terms) + ")")
    return " AND ".join(where), args


async def queue_page(db: Database, actor: Actor, f: QueueFilters) -> dict[str, Any]:
    """One page of the queue plus its total: two queries, whatever the page holds."""
    now = clock.now()
    where, args = build_query(actor, f, now)
    offset = (f.page - 1) * PAGE_SIZE
    rows = await db.fetch(
        "SELECT t.id, t.number, t.subject, t.category, t.priority, t.status, t.channel, "
        "t.warranty_status, t.created_at, t.assignee_id, t.first_responded_at, "
        "t.first_response_due, t.resolution_due, c.name AS customer_name, "
        "c.phone AS customer_phone, a.name AS assignee_name FROM ticket t "
        "JOIN customer c ON c.id = t.customer_id "
        f"LEFT JOIN staff_user a ON a.id = t.assignee_id WHERE {where} "
        f"ORDER BY {_ORDER[f.sort]} LIMIT {PAGE_SIZE} OFFSET {offset}",
        *args)
    join = "JOIN customer c ON c.id = t.customer_id " if f.q else ""  # search needs c
    total = await db.fetchval(f"SELECT count(*) AS n FROM ticket t {join}WHERE {where}", *args)
    for row in rows:
        row["sla_state"], row["sla_left"] = queue_state(row, now)
        row["age"] = now - row["created_at"]
    return {"rows": rows, "total": int(total or 0), "now": now,
            "pages": max(1, -(-int(total or 0) // PAGE_SIZE))}


async def queue_options(db: Database, actor: Actor) -> dict[str, list[Row]]:
    """Assignee, region and team choices for the filters, in one query."""
    rows = await db.fetch(
        "SELECT 'staff' AS kind, s.id, s.name AS name_zh, s.name AS name_en, s.region_id "
        "FROM staff_user s WHERE s.active = TRUE AND s.role IN ('admin', 'manager', "
        "'service_agent', 'dispatcher', 'project_manager', 'designer') "
        "UNION ALL SELECT 'region' AS kind, r.id, r.name_zh, r.name_en, r.id AS region_id "
        "FROM region r UNION ALL SELECT 'team' AS kind, tm.id, tm.name_zh, tm.name_en, "
        "tm.region_id FROM team tm ORDER BY 1, 3")
    out: dict[str, list[Row]] = {"staff": [], "region": [], "team": []}
    for row in rows:
        if actor.region_bound and row["region_id"] not in (None, actor.region_id):
            continue
        out[row["kind"]].append(row)
    return out


async def ticket_extras(db: Database, actor: Actor, ticket: Row) -> dict[str, Any]:
    """What the desk's ticket page shows beyond the thread: history, SLA clocks, linked work
    orders, milestones of the customer's projects and the desk members to assign."""
    from backend.tickets.clocks import compute_clocks

    history = await db.fetch(
        "SELECT from_status, to_status, at FROM ticket_status_change WHERE ticket_id = $1 "
        "ORDER BY at", ticket["id"])
    work_orders = await db.fetch(
        "SELECT w.id, w.number, w.kind, w.status, w.window_start, w.window_end, "
        "s.name AS technician_name FROM work_order w LEFT JOIN staff_user s ON "
        "s.id = w.technician_id WHERE w.ticket_id = $1 ORDER BY w.window_start", ticket["id"])
    milestones = await db.fetch(
        "SELECT m.id, m.project_id, m.name_zh, m.name_en, m.status, p.number AS project_number"
        " FROM milestone m JOIN project p ON p.id = m.project_id WHERE p.customer_id = $1 "
        "ORDER BY p.created_at, m.position", ticket["customer_id"])
    options = await queue_options(db, actor)
    return {"history": history, "work_orders": work_orders, "milestones": milestones,
            "staff": options["staff"],
            "clocks": compute_clocks(ticket, history, clock.now())}
