"""Push subscriptions, notifications and their per-channel delivery log."""

from piccolo.columns import (
    UUID,
    BigInt,
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
    reason = Text(default="")  # "why did I get this": the rule and the event, in words
    rule_id = UUID(null=True, default=None)
    event_id = BigInt(null=True, default=None)
    topic = Varchar(length=120, default="")


class NotificationDelivery(Table):
    id = UUID(primary_key=True)
    notification_id = UUID(index=True)
    channel = Varchar(length=16)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    idempotency_key = Varchar(length=120, null=True, default=None, unique=True)
    person_id = UUID(null=True, default=None, index=True)
    claimed_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table):
    id = UUID(primary_key=True)
    person_kind = Varchar(length=16)
    person_id = UUID(index=True)
    category = Varchar(length=32)
    channel = Varchar(length=16)
    enabled = Boolean(default=True)


class NotificationSetting(Table):
    """Per person: quiet hours, a daily cap, muted kinds and the survey opt-out."""

    id = UUID(primary_key=True)
    person_kind = Varchar(length=16)
    person_id = UUID(unique=True)
    quiet_start = Varchar(length=5, null=True, default=None)
    quiet_end = Varchar(length=5, null=True, default=None)
    daily_cap = Integer(default=5)
    muted_kinds = Text(default="[]")
    surveys_opt_out = Boolean(default=False)
    updated_at = Timestamptz(null=True, default=None)
