"""Reading notifications: a person's inbox and switches, and the desk's delivery log.

A person sees only their own notifications; in the desk, admins and managers see everyone's
delivery log (it is how they answer "did the customer get it?"), other staff only their own.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import ADMIN, MANAGER, Actor, require_notifiable
from backend.db import Database
from backend.errors import NotFound
from backend.notifications.messages import CHANNELS, categories_for
from backend.notifications.people import load_person

INBOX_LIMIT = 100
LOG_LIMIT = 200


def sees_all_deliveries(actor: Actor) -> bool:
    return actor.is_desk and actor.role in (ADMIN, MANAGER)


async def inbox(db: Database, actor: Actor) -> list[dict[str, Any]]:
    return await db.fetch(
        "SELECT id, kind, category, title, body, link, urgent, created_at, read_at "
        "FROM notification WHERE person_id = $1 ORDER BY created_at DESC LIMIT $2",
        actor.id, INBOX_LIMIT)


async def unread_count(db: Database, actor: Actor) -> int:
    return int(await db.fetchval("SELECT count(*) AS n FROM notification WHERE person_id = $1 "
                                 "AND read_at IS NULL", actor.id) or 0)


async def own_notification(db: Database, actor: Actor,
                           notification_id: uuid.UUID) -> dict[str, Any]:
    """One of the viewer's notifications with why it was sent; others' are not found.

    Homeowners see the name of a shipped rule (translated); a rule the company wrote may be
    named for staff ("angry VIP watch"), so the portal shows a generic reason for those.
    """
    row = await db.fetchrow(
        "SELECT n.id, n.kind, n.category, n.title, n.body, n.link, n.urgent, n.created_at, "
        "n.read_at, n.event_id, e.kind AS event_kind, r.name AS rule_name, r.code AS rule_code "
        "FROM notification n LEFT JOIN outbox_event e ON e.id = n.event_id "
        "LEFT JOIN rule r ON r.id = n.rule_id WHERE n.id = $1 AND n.person_id = $2",
        notification_id, actor.id)
    if row is None:
        raise NotFound("notification")
    return row


async def preferences(db: Database, actor: Actor) -> dict[str, Any]:
    """The switches as the settings form shows them."""
    require_notifiable(actor)
    if actor.id is None:
        raise NotFound("person")
    person = await load_person(db, actor.kind, actor.id)
    if person is None:
        raise NotFound("person")
    subs = int(await db.fetchval("SELECT count(*) AS n FROM push_subscription "
                                 "WHERE person_id = $1", actor.id) or 0)
    categories = categories_for(actor.kind)
    return {
        "categories": categories, "channels": CHANNELS,
        "on": {f"{c}.{ch}" for c in categories for ch in person.channels.get(c, ())},
        "quiet_start": person.quiet_start or "", "quiet_end": person.quiet_end or "",
        "daily_cap": person.daily_cap, "surveys_opt_out": person.surveys_opt_out,
        "push_devices": subs, "has_email": bool(person.email), "has_phone": bool(person.phone),
    }


_LOG_SQL = (
    "SELECT n.id, n.person_kind, n.person_id, n.kind, n.title, n.urgent, n.created_at, "
    "n.reason, COALESCE(c.name, u.name) AS person_name FROM notification n "
    "LEFT JOIN customer c ON c.id = n.person_id AND n.person_kind = 'customer' "
    "LEFT JOIN staff_user u ON u.id = n.person_id AND n.person_kind = 'staff' "
)


async def _with_deliveries(db: Database, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not notes:
        return notes
    marks = ", ".join(f"${i + 1}" for i in range(len(notes)))
    rows = await db.fetch(
        "SELECT notification_id, channel, status, attempts, last_error, next_attempt_at, "
        f"sent_at FROM notification_delivery WHERE notification_id IN ({marks}) "
        "ORDER BY notification_id, created_at", *[n["id"] for n in notes])
    by_note: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        by_note.setdefault(row["notification_id"], []).append(row)
    return [{**n, "deliveries": sorted(by_note.get(n["id"], []), key=lambda d: (
        ("inbox", *CHANNELS).index(d["channel"]) if d["channel"] in ("inbox", *CHANNELS)
        else 9))} for n in notes]


async def delivery_log(db: Database, actor: Actor, *, status: str = "") -> list[dict[str, Any]]:
    """Recent notifications with each channel's status, attempts and last error."""
    where, args = ["1 = 1"], []
    if not sees_all_deliveries(actor):
        where.append(f"n.person_id = ${len(args) + 1}")
        args.append(actor.id)
    if status in ("failed", "pending", "held", "digest"):
        where.append(f"n.id IN (SELECT d.notification_id FROM notification_delivery d "
                     f"WHERE d.status = ${len(args) + 1})")
        args.append(status)
    notes = await db.fetch(_LOG_SQL + "WHERE " + " AND ".join(where) +
                           f" ORDER BY n.created_at DESC LIMIT {LOG_LIMIT}", *args)
    return await _with_deliveries(db, notes)


async def log_entry(db: Database, actor: Actor, notification_id: uuid.UUID) -> dict[str, Any]:
    """One notification's delivery log, for its recipient or an admin/manager."""
    row = await db.fetchrow(
        _LOG_SQL.replace("n.reason,", "n.reason, n.body, n.link, n.event_id, e.kind AS "
                         "event_kind, r.name AS rule_name,")
        + "LEFT JOIN outbox_event e ON e.id = n.event_id LEFT JOIN rule r ON r.id = n.rule_id "
        "WHERE n.id = $1", notification_id)
    if row is None or not (sees_all_deliveries(actor) or row["person_id"] == actor.id):
        raise NotFound("notification")
    return (await _with_deliveries(db, [row]))[0]
