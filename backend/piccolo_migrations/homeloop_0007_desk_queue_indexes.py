"""Indexes for the desk's triage queue: every queue page filters on the active statuses, then
usually one more column, and sorts by age or SLA deadline. Without them SQLite's planner walks
the category index (half the table) instead of the few active tickets.

Plain CREATE INDEX IF NOT EXISTS, the same on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:44:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "desk queue indexes"

INDEXES = {
    "desk_ticket_status_created": "ticket (status, created_at)",
    "desk_ticket_status_category": "ticket (status, category, created_at)",
    "desk_ticket_status_priority": "ticket (status, priority, created_at)",
    "desk_ticket_status_assignee": "ticket (status, assignee_id)",
    "desk_ticket_status_change": "ticket_status_change (ticket_id, at)",
    "desk_work_order_technician": "work_order (technician_id, window_start)",
    # The default sort (SLA deadline, then age) over active tickets only: a partial index on
    # the same expression the queue orders by (backend.tickets.queue.SLA_DUE).
    "desk_ticket_active_due": "ticket ((CASE WHEN first_responded_at IS NULL THEN "
                              "first_response_due ELSE resolution_due END), created_at) "
                              "WHERE status IN ('new', 'open', 'waiting', 'scheduled')",
}


class _Any(Table, tablename="ticket"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="homeloop", description=DESCRIPTION)

    async def create_indexes() -> None:
        for name, target in INDEXES.items():
            await _Any.raw(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    manager.add_raw(create_indexes)
    return manager
