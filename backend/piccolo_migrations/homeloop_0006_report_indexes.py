"""Indexes the dashboards need: foreign keys they join or filter on and period columns.

Plain CREATE INDEX IF NOT EXISTS, the same on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:36:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report indexes"

INDEXES = {
    "report_ticket_customer": "ticket (customer_id, created_at)",
    "report_ticket_project": "ticket (project_id)",
    "report_ticket_milestone": "ticket (milestone_id)",
    "report_response_customer": "survey_response (customer_id, kind, created_at)",
    "report_response_created": "survey_response (created_at)",
    "report_survey_sent": "survey (sent_at)",
    "report_project_customer": "project (customer_id)",
    "report_project_created": "project (created_at)",
    "report_customer_referrer": "customer (referrer_id)",
    "report_milestone_project": "milestone (project_id, code)",
    "report_milestone_planned": "milestone (planned_end)",
    "report_project_product": "project_product (project_id)",
    "report_work_order_ticket": "work_order (ticket_id)",
    "report_media_project": "media (project_id, created_at)",
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
