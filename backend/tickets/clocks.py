"""Glue between stored tickets and the pure SLA clock in :mod:`backend.tickets.sla`.

A ticket's clocks are computed only from what the ticket itself recorded:

* ``ticket.sla_snapshot`` — the policy targets and the whole business calendar as they were
  when the ticket was created (see :func:`backend.tickets.services.snapshot_sla`), so editing
  a policy or a calendar later never moves an existing deadline;
* ``ticket_status_change`` rows — the clock pauses while the ticket waits on the customer (and
  while it is resolved or closed) and resumes when it leaves those states.

The stored ``first_response_due``/``resolution_due`` columns are a cache of the deadlines
computed here, refreshed by every service that changes the status; the queue filters on them
(one indexed comparison instead of replaying every ticket). While a clock is paused its cached
deadline is NULL, unless the target was already missed, exactly like
:class:`~backend.tickets.sla.DeadlineResult`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.tickets.calendar_data import BusinessCalendar
from backend.tickets.sla import DeadlineResult, compute_deadline, sla_state

PAUSING_STATUSES = frozenset({"waiting", "resolved", "closed"})
"""While the ticket is in one of these, its clocks do not run (waiting on the customer)."""

SOON = timedelta(hours=2)
"""The queue's "breaching soon" window: a running deadline less than this far away."""


@dataclass(frozen=True)
class Clock:
    """One SLA clock of one ticket, ready for a template."""

    name: str  # "first_response" | "resolution"
    result: DeadlineResult
    state: str
    stopped_at: datetime | None


def parse_snapshot(raw: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored snapshot as a dict; an empty dict when the ticket has no SLA."""
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return data if data.get("policy") and data.get("calendar") else {}


def pause_events(changes: Iterable[Mapping[str, Any]]) -> list[tuple[datetime, bool]]:
    """(at, paused) events from recorded status changes (rows with ``to_status`` and ``at``)."""
    return [(row["at"], row["to_status"] in PAUSING_STATUSES) for row in changes]


def compute_clocks(ticket: Mapping[str, Any], changes: Iterable[Mapping[str, Any]],
                   now: datetime) -> list[Clock]:
    """Both clocks of ``ticket`` as of ``now``; empty when the ticket has no SLA snapshot."""
    snap = parse_snapshot(ticket.get("sla_snapshot"))
    if not snap:
        return []
    cal = BusinessCalendar.from_dict(snap["calendar"])
    events = pause_events(changes)
    clocks = []
    for name, minutes_key, stopped in (
        ("first_response", "first_response_minutes", ticket.get("first_responded_at")),
        ("resolution", "resolution_minutes", _resolution_stop(ticket)),
    ):
        target = int(snap["policy"][minutes_key]) * 60
        as_of = stopped or now
        result = compute_deadline(cal, started_at=ticket["created_at"], target_seconds=target,
                                  status_changes=events, now=as_of)
        state = sla_state(result, now, stopped_at=stopped)
        clocks.append(Clock(name=name, result=result, state=state, stopped_at=stopped))
    return clocks


def _resolution_stop(ticket: Mapping[str, Any]) -> datetime | None:
    if ticket.get("status") in ("resolved", "closed"):
        return ticket.get("resolved_at") or ticket.get("closed_at")
    return None


def due_columns(ticket: Mapping[str, Any], changes: Iterable[Mapping[str, Any]],
                now: datetime) -> dict[str, datetime | None]:
    """The cached deadline columns for ``ticket`` (NULL while paused and not yet missed)."""
    out: dict[str, datetime | None] = {"first_response_due": None, "resolution_due": None}
    for clock in compute_clocks(ticket, list(changes), now):
        deadline = clock.result.deadline
        # Stored in UTC: SQLite compares timestamps as text, so every row needs one offset.
        out[f"{clock.name}_due"] = deadline.astimezone(UTC) if deadline else None
    return out


def queue_state(row: Mapping[str, Any], now: datetime) -> tuple[str, timedelta | None]:
    """SLA state and wall-clock time left for a queue row, from the cached deadlines.

    The same rule as the queue's SQL filter (:func:`backend.tickets.queue.sla_condition`), so
    what a filter selects and what a row shows agree.
    """
    if row.get("status") in ("resolved", "closed"):
        return "met", None
    due = row.get("first_response_due") if row.get("first_responded_at") is None \
        else row.get("resolution_due")
    if due is None:
        return ("paused", None) if row.get("status") == "waiting" else ("none", None)
    left = due - now
    if left < timedelta(0):
        return "breached", left
    if left < SOON:
        return "breaching_soon", left
    return "on_track", left


def explain_rows(clock: Clock) -> list[dict[str, Any]]:
    """The explain view's lines: a translatable kind plus its values, in time order."""
    rows = []
    for step in clock.result.explain:
        rows.append({"kind": step.kind, "start": step.start, "end": step.end,
                     "minutes": (step.seconds or 0) // 60, "date": step.date,
                     "name": step.name})
    return rows
