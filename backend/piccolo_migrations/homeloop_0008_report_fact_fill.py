"""Fill the report facts added by the previous migration, and index them.

The fill runs through the app's own data layer (backend.reports.facts.rebuild, the same code
bulk loads use) in one transaction of its own, before Piccolo records this migration; it is
idempotent, so an interrupted run is simply repeated. A million tickets take 30-100 s.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T02:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report fact fill"

TICKET_FACTS = ("merged_into_id, project_id, region_id, team_id, product_line_id, channel, "
                "category, warranty_status, first_responded_at, first_response_due, "
                "resolved_at, resolution_due, reopen_count, visit_count, project_delivered, "
                "first_response_bs, resolution_bs")
INDEXES = {
    # Every column the service and warranty boards count over tickets of a period, so the
    # period is read from the index alone (no table rows: ~20x fewer pages).
    "report_ticket_period": f"ticket (created_at, {TICKET_FACTS})",
    # The backlog: open tickets only (a few percent of the table), by age.
    "report_ticket_open": "ticket (created_at, merged_into_id, project_id, region_id, team_id, "
                          "product_line_id, channel) WHERE status IN ('new', 'open', "
                          "'waiting', 'scheduled')",
    # Acceptances by the day they were completed (delivery board, defects per acceptance).
    "report_milestone_code_actual": "milestone (code, actual_end)",
    # A lead's completed stages (growth funnel and cycle times) without reading milestones.
    "report_milestone_funnel": "milestone (project_id, code, status, actual_end)",
    # Referred customers by the day they arrived.
    "report_customer_referred": "customer (created_at, referrer_id) WHERE referrer_id IS NOT "
                                "NULL",
}


class _Any(Table, tablename="ticket"):
    pass


async def forwards() -> MigrationManager:
    # No Piccolo transaction around this one: the fill commits in its own transaction on the
    # app's own connection, so Piccolo's would wrap nothing of it. Every step is idempotent.
    manager = MigrationManager(migration_id=ID, app_name="homeloop", description=DESCRIPTION,
                               wrap_in_transaction=False)

    async def fill() -> None:
        from backend.config import get_settings
        from backend.db import connect
        from backend.reports import facts

        db = connect(get_settings().database_url)
        try:
            await facts.rebuild(db)
        finally:
            await db.close()
        for name, target in INDEXES.items():
            await _Any.raw(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    manager.add_raw(fill)
    return manager
