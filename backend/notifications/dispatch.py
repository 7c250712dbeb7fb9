"""Sending planned deliveries: claim what is due, send it, record what happened, fall back.

Claims use a lease (``claimed_until``) taken in a short transaction, with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL so several workers split the work; each delivery's result is committed
right after its send. A worker killed between a send and that commit leaves the lease to
expire and the delivery is sent again with the same idempotency key: the push payload's
``tag`` is the notification id (the browser replaces, never stacks, a notification with the
same tag) and the e-mail's Message-ID is derived from the key, so the person sees it once.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from backend import clock
from backend.config import get_settings
from backend.db import Database
from backend.notifications.channels import Channels, SendResult
from backend.notifications.messages import CHANNELS, DIGESTS, MESSAGES
from backend.notifications.people import Person, load_person
from backend.notifications.push import Outcome, PushMessage, Subscription
from backend.notifications.services import inbox_link, notify, retry_delay, why_link

log = logging.getLogger("homeloop.notify")
MAX_ATTEMPTS = 5


def _claim_sql(db: Database, statuses: str) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if db.kind == "postgres" else ""
    return (
        "UPDATE notification_delivery SET claimed_until = $2, attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM notification_delivery WHERE status IN (" + statuses + ") "
        "AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) "
        "ORDER BY next_attempt_at LIMIT $3" + lock + ") "
        "RETURNING id, notification_id, channel, attempts, person_id, status"
    )


async def dispatch_due(db: Database, channels: Channels, *, limit: int = 50,
                       lease: int = 60) -> int:
    """Send up to ``limit`` due deliveries; returns how many were attempted."""
    await send_digests(db)
    now = clock.now()
    async with db.transaction():
        claimed = await db.fetch(_claim_sql(db, "'pending', 'held'"), now,
                                 now + timedelta(seconds=lease), limit)
    if not claimed:
        return 0
    notes = {r["id"]: r for r in await db.fetch(
        "SELECT id, person_kind, person_id, kind, title, body, link, urgent, topic "
        "FROM notification WHERE id IN (" + ", ".join(
            f"${i + 1}" for i in range(len(claimed))) + ")",
        *[c["notification_id"] for c in claimed])}
    for row in claimed:
        note = notes.get(row["notification_id"])
        if note is None:
            continue
        person = await load_person(db, note["person_kind"], note["person_id"])
        result = (SendResult(ok=False, error="person removed") if person is None
                  else await _send(db, channels, row["channel"], person, note, row["id"]))
        await _record(db, row, result)
    return len(claimed)


async def _send(db: Database, channels: Channels, channel: str, person: Person,
                note: dict[str, Any], delivery_id: uuid.UUID) -> SendResult:
    key = f"{note['id']}:{channel}"
    base = get_settings().base_url.rstrip("/")
    why = why_link(person.kind, note["id"], person.role)
    if channel == "push":
        return await _send_push(db, channels, person, note, why)
    if channel == "email":
        if not channels.email.available or not person.email:
            return SendResult(ok=False, error="no e-mail address or SMTP server")
        text = (f"{note['body']}\n\n{base}{note['link'] or '/'}\n\n"
                f"Why did I get this? / 为什么收到这条消息？ {base}{why}\n")
        return await channels.email.send(to=person.email, subject=note["title"], text=text,
                                         key=key)
    if channel == "sms":
        if not person.phone:
            return SendResult(ok=False, error="no phone number")
        # One short link: the "why / mute" page, which also opens the message's deep link.
        return await channels.sms.send(to=person.phone, text=f"{note['title']} {base}{why}",
                                       key=key)
    return SendResult(ok=False, error=f"unknown channel {channel}")


async def _send_push(db: Database, channels: Channels, person: Person, note: dict[str, Any],
                     why: str) -> SendResult:
    subs = await db.fetch("SELECT endpoint, p256dh, auth FROM push_subscription "
                          "WHERE person_id = $1", person.id)
    if not subs:
        return SendResult(ok=False, error="no push subscription")
    spec = MESSAGES.get(note["kind"], MESSAGES["ticket_update"])
    message = PushMessage(
        payload={"title": note["title"], "body": note["body"][:800], "url": note["link"],
                 "why": why, "tag": str(note["id"])},
        ttl=spec.ttl, urgency="high" if note["urgent"] else spec.urgency,  # type: ignore[arg-type]
        topic=PushMessage.topic_for(note["topic"]) if note["topic"] else None)
    results = await channels.push.send_many(
        [(Subscription(s["endpoint"], s["p256dh"], s["auth"]), message) for s in subs])
    delivered = [r for r in results if r.outcome is Outcome.DELIVERED]
    retry = [r for r in results if r.outcome is Outcome.RETRY]
    dead = [r for r in results if r.outcome is Outcome.GONE
            or (r.outcome is Outcome.REJECTED and not r.sender_fault)]
    async with db.transaction():
        for r in dead:  # 404/410 and other 4xx: the subscription is gone; say why in the log
            log.info("push subscription removed (%s): %s", r.status, r.reason)
            await db.execute("DELETE FROM push_subscription WHERE endpoint = $1",
                             r.subscription.endpoint)
        for r in delivered:
            await db.execute("UPDATE push_subscription SET last_success_at = $2, failures = 0 "
                             "WHERE endpoint = $1", r.subscription.endpoint, clock.now())
    if delivered:
        return SendResult(ok=True)
    if retry:
        after = max((r.retry_after or 0) for r in retry) or None
        return SendResult(ok=False, retry=True, retry_after=after,
                          error=(retry[0].reason or f"HTTP {retry[0].status}")[:300])
    first = results[0]
    return SendResult(ok=False, error=(first.reason or f"HTTP {first.status}")[:300])


async def _record(db: Database, row: dict[str, Any], result: SendResult) -> None:
    now = clock.now()
    async with db.transaction():
        if result.ok:
            await db.execute("UPDATE notification_delivery SET status = 'sent', sent_at = $2, "
                             "claimed_until = NULL, last_error = '' WHERE id = $1",
                             row["id"], now)
            return
        if result.retry and row["attempts"] < MAX_ATTEMPTS:
            delay = retry_delay(row["attempts"])
            if result.retry_after:
                delay = max(delay, timedelta(seconds=min(result.retry_after, 6 * 3600)))
            await db.execute("UPDATE notification_delivery SET status = 'pending', "
                             "next_attempt_at = $2, claimed_until = NULL, last_error = $3 "
                             "WHERE id = $1", row["id"], now + delay, result.error)
            return
        await db.execute("UPDATE notification_delivery SET status = 'failed', "
                         "claimed_until = NULL, last_error = $2 WHERE id = $1",
                         row["id"], result.error)
        standby = await db.fetch("SELECT id, channel FROM notification_delivery WHERE "
                                 "notification_id = $1 AND status = 'standby'",
                                 row["notification_id"])
        if standby:  # fall back to the next channel the person allowed
            nxt = min(standby, key=lambda s: CHANNELS.index(s["channel"]))
            await db.execute("UPDATE notification_delivery SET status = 'pending', "
                             "next_attempt_at = $2 WHERE id = $1", nxt["id"], now)


async def send_digests(db: Database) -> int:
    """Merge deliveries held back by the daily cap into one digest per person, when due."""
    now = clock.now()
    async with db.transaction():
        rows = await db.fetch(
            "SELECT d.id, d.person_id, n.person_kind, u.role FROM notification_delivery d "
            "JOIN notification n ON n.id = d.notification_id LEFT JOIN staff_user u ON "
            "u.id = d.person_id AND n.person_kind = 'staff' WHERE d.status = 'digest' "
            "AND d.next_attempt_at <= $1 ORDER BY d.person_id", now)
        if not rows:
            return 0
        people: dict[tuple[str, uuid.UUID, str | None], list[uuid.UUID]] = defaultdict(list)
        for r in rows:
            people[(r["person_kind"], r["person_id"], r["role"])].append(r["id"])
        for (kind, pid, role), ids in people.items():
            await db.executemany("UPDATE notification_delivery SET status = 'digested' "
                                 "WHERE id = $1", [(i,) for i in ids])
            await notify(db, person_kind=kind, person_id=pid, message=DIGESTS[kind],
                         params={"count": len(ids)}, link=inbox_link(kind, role), urgent=True,
                         dedup_key=f"digest:{min(str(i) for i in ids)}",
                         reason="digest", topic=f"digest:{pid}")
    return len(rows)
