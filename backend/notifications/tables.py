"""Push subscriptions, notifications and their per-channel delivery log."""

from piccolo.columns import (
    UUID,
    Boolean,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class PushSubscription(Table):
    """One browser/device of one person (customer or staff)."""

    id = UUID(primary_key=True)
    person_kind = Varchar(length=16)
    person_id = UUID(index=True)
    endpoint = Text(unique=True)
    p256dh = Varchar(length=200)
    auth = Varchar(length=100)
    user_agent = Varchar(length=300, default="")
    created_at = Timestamptz()
    last_success_at = Timestamptz(null=True, default=None)
    failures = Integer(default=0)


class Notification(Table):
    id = UUID(primary_key=True)
    person_kind = Varchar(length=16)
    person_id = UUID(index=True)
    category = Varchar(length=32)
    kind = Varchar(length=64)
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    urgent = Boolean(default=False)
    idempotency_key = Varchar(length=200, unique=True)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class NotificationDelivery(Table):
    id = UUID(primary_key=True)
    notification_id = UUID(index=True)
    channel = Varchar(length=16)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table):
    id = UUID(primary_key=True)
    person_kind = Varchar(length=16)
    person_id = UUID(index=True)
    category = Varchar(length=32)
    channel = Varchar(length=16)
    enabled = Boolean(default=True)
