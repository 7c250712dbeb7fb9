"""Notifications: create one message for one person and plan its deliveries.

The rule: every notification lands in the in-app inbox; at most one outside channel carries
it — the first the person allowed for its category (push, then e-mail, then SMS); the others
stand by and take over when that one fails (no subscription, push gone, SMTP refused).
Non-urgent messages are held during quiet hours; beyond the daily cap they wait for the next
day's digest. The same message for the same person from several rules is merged by its
idempotency key, and each delivery has its own key (notification id + channel), so a worker
that crashes and retries never creates a second delivery.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from backend import clock
from backend.access import TECHNICIAN, Actor, require_notifiable
from backend.audit import services as audit
from backend.db import Database
from backend.errors import ValidationFailed
from backend.i18n import N_, gettext
from backend.notifications.messages import CHANNELS, MESSAGES, categories_for
from backend.notifications.people import Person, load_person, quiet_until
from backend.notifications.queries import own_notification


def inbox_link(person_kind: str, role: str | None = None) -> str:
    """Where a person reads their notifications: the portal, the field app or the desk."""
    if person_kind == "customer":
        return "/portal/notifications"
    return "/field/notifications" if role == TECHNICIAN else "/desk/notifications"


def why_link(person_kind: str, notification_id: uuid.UUID, role: str | None = None) -> str:
    """The "why did I get this / mute this kind" page of a notification."""
    return f"{inbox_link(person_kind, role)}/{notification_id}"


def render(message_key: str, params: dict[str, Any], locale: str) -> tuple[str, str]:
    msg = MESSAGES[message_key]
    safe = {k: ("" if v is None else v) for k, v in params.items()}

    def fill(text: str) -> str:
        try:
            return gettext(text, locale) % safe
        except (KeyError, ValueError, TypeError):
            return gettext(text, locale)

    return fill(msg.title)[:200], fill(msg.body)


async def _sent_today(db: Database, person: Person, now: datetime) -> int:
    local = now.astimezone(person.zone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(await db.fetchval(
        "SELECT count(*) AS n FROM notification_delivery d WHERE d.person_id = $1 "
        "AND d.channel <> 'inbox' AND d.status IN ('pending', 'held', 'sent') "
        "AND d.created_at >= $2", person.id, day_start) or 0)


async def notify(
    db: Database,
    *,
    person_kind: str,
    person_id: uuid.UUID,
    message: str,
    params: dict[str, Any],
    link: str,
    dedup_key: str,
    reason: str,
    event_id: int | None = None,
    rule_id: uuid.UUID | None = None,
    urgent: bool = False,
    topic: str = "",
) -> uuid.UUID | None:
    """Create a notification and its planned deliveries; None when merged or no person.

    Runs inside the caller's transaction (the worker's, for one event), so the notification
    exists exactly when the event counts as handled.
    """
    if not db.in_transaction():
        raise RuntimeError("notify() runs inside the event's transaction")
    person = await load_person(db, person_kind, person_id)
    if person is None:
        return None
    now = clock.now()
    msg = MESSAGES[message]
    title, body = render(message, params, person.language)
    nid = uuid.uuid4()
    inserted = await db.fetchval(
        "INSERT INTO notification (id, person_kind, person_id, category, kind, title, body, "
        "link, urgent, idempotency_key, created_at, reason, rule_id, event_id, topic) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        nid, person_kind, person_id, msg.category, message, title, body, link, urgent,
        f"{person_id}:{dedup_key}"[:200], now, reason, rule_id, event_id, topic[:120])
    if inserted is None:
        return None  # the same message reached this person from another rule: merged
    rows: list[tuple[Any, ...]] = [(uuid.uuid4(), nid, "inbox", "sent", None, now)]
    allowed = () if message in person.muted_kinds and not urgent else (
        person.channels.get(msg.category, ()))
    if allowed:
        status, due = "pending", now
        held = quiet_until(person, now)
        if not urgent and await _sent_today(db, person, now) >= person.daily_cap:
            status, due = "digest", person.next_day_start(now)
        elif held is not None and not urgent:
            status, due = "held", held
        rows.append((uuid.uuid4(), nid, allowed[0], status, due, None))
        rows.extend((uuid.uuid4(), nid, ch, "standby", None, None) for ch in allowed[1:])
    await db.executemany(
        "INSERT INTO notification_delivery (id, notification_id, channel, status, attempts, "
        "last_error, next_attempt_at, sent_at, idempotency_key, person_id, created_at) VALUES "
        "($1, $2, $3, $4, 0, '', $5, $6, $7, $8, $9)",
        [(did, n, ch, st, due, sent, f"{n}:{ch}", person_id, now)
         for did, n, ch, st, due, sent in rows])
    return nid


# --- the person's own switches ------------------------------------------------------------

_TIME_FIELDS = ("quiet_start", "quiet_end")


def _valid_time(value: str) -> bool:
    parts = value.split(":")
    return (len(parts) == 2 and all(p.isdigit() for p in parts)
            and 0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60)


async def _ensure_setting(db: Database, actor: Actor) -> None:
    await db.execute(
        "INSERT INTO notification_setting (id, person_kind, person_id, daily_cap, muted_kinds, "
        "surveys_opt_out, updated_at) VALUES ($1, $2, $3, 5, '[]', FALSE, $4) "
        "ON CONFLICT (person_id) DO NOTHING", uuid.uuid4(), actor.kind, actor.id, clock.now())


async def save_preferences(db: Database, *, actor: Actor, form: dict[str, str]) -> None:
    """Save channel switches per category, quiet hours, the daily cap and the survey opt-out.

    Checkbox ``<category>.<channel>`` present means on. Quiet hours are HH:MM or both empty.
    Only the categories the person's form shows are saved (staff: work alerts).
    """
    require_notifiable(actor)
    errors: dict[str, str] = {}
    start, end = form.get("quiet_start", "").strip(), form.get("quiet_end", "").strip()
    if bool(start) != bool(end):
        errors["quiet_end"] = N_("Give both a start and an end, or leave both empty.")
    for name, value in (("quiet_start", start), ("quiet_end", end)):
        if value and not _valid_time(value):
            errors[name] = N_("Use a time like 22:00.")
    cap_raw = form.get("daily_cap", "5").strip() or "5"
    if not cap_raw.isdigit() or not 1 <= int(cap_raw) <= 50:
        errors["daily_cap"] = N_("Choose between 1 and 50 messages a day.")
    if errors:
        raise ValidationFailed(errors)
    categories = categories_for(actor.kind)
    now = clock.now()
    async with db.transaction():
        await _ensure_setting(db, actor)
        await db.execute(
            "UPDATE notification_setting SET quiet_start = $2, quiet_end = $3, daily_cap = $4, "
            "surveys_opt_out = $5, updated_at = $6 WHERE person_id = $1",
            actor.id, start or None, end or None, int(cap_raw),
            form.get("surveys_opt_out") == "on", now)
        if actor.is_customer:
            # The customer record's quiet hours are what staff see; keep them in step.
            await db.execute("UPDATE customer SET quiet_start = $2, quiet_end = $3 "
                             "WHERE id = $1", actor.id, start or None, end or None)
        await db.execute("DELETE FROM notification_preference WHERE person_id = $1", actor.id)
        await db.executemany(
            "INSERT INTO notification_preference (id, person_kind, person_id, category, "
            "channel, enabled) VALUES ($1, $2, $3, $4, $5, $6)",
            [(uuid.uuid4(), actor.kind, actor.id, cat, ch, form.get(f"{cat}.{ch}") == "on")
             for cat in categories for ch in CHANNELS])
        await audit.record(db, actor=actor, action="notifications.preferences",
                           object_type=actor.kind, object_id=actor.id,
                           after={"quiet": [start, end], "cap": int(cap_raw)})


async def mute_kind(db: Database, *, actor: Actor, notification_id: uuid.UUID) -> str:
    """Stop outside deliveries of this kind of message to this person (the inbox keeps it)."""
    async with db.transaction():
        kind = await db.fetchval(
            "SELECT kind FROM notification WHERE id = $1 AND person_id = $2",
            notification_id, actor.id)
        if kind is None:
            from backend.errors import NotFound

            raise NotFound("notification")
        await _ensure_setting(db, actor)
        muted = json.loads(await db.fetchval(
            "SELECT muted_kinds FROM notification_setting WHERE person_id = $1", actor.id)
            or "[]")
        if kind not in muted:
            muted.append(kind)
        await db.execute("UPDATE notification_setting SET muted_kinds = $2, updated_at = $3 "
                         "WHERE person_id = $1", actor.id, json.dumps(muted), clock.now())
        await audit.record(db, actor=actor, action="notifications.mute", object_type="kind",
                           object_id=kind)
    return str(kind)


async def mark_read(db: Database, *, actor: Actor, notification_id: uuid.UUID) -> None:
    """Mark one of the person's own notifications read (others' are simply not found)."""
    async with db.transaction():
        await db.execute("UPDATE notification SET read_at = $3 WHERE id = $1 "
                         "AND person_id = $2 AND read_at IS NULL",
                         notification_id, actor.id, clock.now())


async def open_notification(db: Database, *, actor: Actor, notification_id: uuid.UUID) -> str:
    """The person opens one of their own notifications: it is read; returns its deep link
    ("" when it has none). Another person's notification is not found."""
    note = await own_notification(db, actor, notification_id)
    await mark_read(db, actor=actor, notification_id=notification_id)
    return str(note["link"] or "")


async def subscribe_push(db: Database, *, actor: Actor, data: dict[str, Any],
                         user_agent: str = "") -> None:
    """Store a browser's PushSubscription for this person (same endpoint: re-owned)."""
    require_notifiable(actor)
    try:
        endpoint = str(data["endpoint"])
        p256dh, auth = str(data["keys"]["p256dh"]), str(data["keys"]["auth"])
    except (KeyError, TypeError) as exc:
        raise ValidationFailed({"endpoint": N_("This browser sent an incomplete "
                                               "subscription.")}) from exc
    if not endpoint.startswith("https://") or len(endpoint) > 2000 or len(p256dh) > 200:
        raise ValidationFailed({"endpoint": N_("This browser sent an incomplete "
                                               "subscription.")})
    async with db.transaction():
        await db.execute(
            "INSERT INTO push_subscription (id, person_kind, person_id, endpoint, p256dh, auth, "
            "user_agent, created_at, failures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) "
            "ON CONFLICT (endpoint) DO UPDATE SET person_kind = $2, person_id = $3, "
            "p256dh = $5, auth = $6, user_agent = $7, failures = 0",
            uuid.uuid4(), actor.kind, actor.id, endpoint, p256dh, auth, user_agent[:300],
            clock.now())
        await audit.record(db, actor=actor, action="push.subscribe",
                           object_type=actor.kind, object_id=actor.id)


async def renew_push(db: Database, *, old_endpoint: str, data: dict[str, Any],
                     person_kind: str | None = None) -> bool:
    """``pushsubscriptionchange``: swap a subscription for its replacement.

    The service worker has no CSRF token, so the old endpoint (a secret URL only the browser
    and the server know) proves ownership; the new one keeps the same person. A surface passes
    ``person_kind`` so its worker renews only its own people's subscriptions (the field app:
    staff).
    """
    try:
        endpoint = str(data["endpoint"])
        p256dh, auth = str(data["keys"]["p256dh"]), str(data["keys"]["auth"])
    except (KeyError, TypeError):
        return False
    if not endpoint.startswith("https://") or len(endpoint) > 2000 or len(p256dh) > 200:
        return False
    async with db.transaction():
        row = await db.fetchrow("SELECT id, person_kind, person_id FROM push_subscription "
                                "WHERE endpoint = $1", old_endpoint)
        if row is None or (person_kind is not None and row["person_kind"] != person_kind):
            return False
        await db.execute("DELETE FROM push_subscription WHERE endpoint = $1 AND id <> $2",
                         endpoint, row["id"])
        await db.execute("UPDATE push_subscription SET endpoint = $2, p256dh = $3, auth = $4, "
                         "failures = 0 WHERE id = $1", row["id"], endpoint, p256dh, auth)
        await audit.record(db, actor=Actor(kind=row["person_kind"], id=row["person_id"]),
                           action="push.renew", object_type=row["person_kind"],
                           object_id=row["person_id"])
    return True


async def unsubscribe_push(db: Database, *, actor: Actor, endpoint: str) -> None:
    """Forget one of the person's own push subscriptions (another's endpoint is left alone)."""
    require_notifiable(actor)
    async with db.transaction():
        await db.execute("DELETE FROM push_subscription WHERE endpoint = $1 "
                         "AND person_id = $2", endpoint, actor.id)
        await audit.record(db, actor=actor, action="push.unsubscribe",
                           object_type=actor.kind, object_id=actor.id)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))
