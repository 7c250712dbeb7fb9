"""The outbox: a domain event is a row written in the same transaction as its change.

Nothing is sent before the commit, and nothing committed is forgotten: the worker reads these
rows after commit and hands them to the rules.
"""

from __future__ import annotations

from typing import Any

from backend import clock
from backend.audit.services import dumps
from backend.db import Database

# The event kinds the product raises; the rules engine (notifications issue) subscribes to them.
EVENT_KINDS = frozenset({
    "milestone.started", "milestone.completed", "milestone.overdue",
    "change_request.raised", "change_request.decided",
    "work_order.scheduled", "work_order.en_route", "work_order.on_site",
    "work_order.completed", "work_order.needs_follow_up",
    "ticket.created", "ticket.replied", "ticket.customer_replied", "ticket.assigned",
    "ticket.breaching_soon", "ticket.breached", "ticket.resolved", "ticket.reopened",
    "ticket.status_changed", "ticket.unanswered",
    "survey.sent", "survey.answered",
    "warranty.expiring", "warranty.expired",
    "photo.added", "acceptance.signed", "household.invited", "customer.updated",
    "task.completed", "task.reopened", "task.reassigned",
})


async def emit(
    db: Database,
    *,
    kind: str,
    aggregate_type: str,
    aggregate_id: object,
    payload: dict[str, Any] | None = None,
) -> None:
    """Add a domain event to the current transaction's outbox."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if not db.in_transaction():
        raise RuntimeError("events are written inside the change's transaction")
    await db.execute(
        "INSERT INTO outbox_event (at, kind, aggregate_type, aggregate_id, payload, attempts, "
        "last_error) VALUES ($1, $2, $3, $4, $5, 0, '')",
        clock.now(), kind, aggregate_type, str(aggregate_id), dumps(payload or {}),
    )
