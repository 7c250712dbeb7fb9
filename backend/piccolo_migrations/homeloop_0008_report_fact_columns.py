"""Columns for the facts the dashboards read (see backend/reports/facts.py): business
durations, visit counts and "on a delivered project" on tickets, last touch / latest NPS / project and referral totals on
customers. All nullable or defaulted, so adding them is instant on both databases; the next
migration fills them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Boolean, Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report fact columns"

COLUMNS = (
    ("Ticket", "ticket", "first_response_bs", Integer, None, True),
    ("Ticket", "ticket", "resolution_bs", Integer, None, True),
    ("Ticket", "ticket", "visit_count", Integer, 0, False),
    ("Ticket", "ticket", "project_delivered", Boolean, False, False),
    ("Customer", "customer", "last_touch_at", Timestamptz, None, True),
    ("Customer", "customer", "latest_nps", Integer, None, True),
    ("Customer", "customer", "project_count", Integer, 0, False),
    ("Customer", "customer", "contract_value_fen", BigInt, 0, False),
    ("Customer", "customer", "referral_count", Integer, 0, False),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="homeloop", description=DESCRIPTION)
    for class_name, table, column, column_class, default, null in COLUMNS:
        manager.add_column(
            table_class_name=class_name, tablename=table, column_name=column,
            db_column_name=column, column_class_name=column_class.__name__,
            column_class=column_class,
            params={"default": default, "null": null, "primary_key": False, "unique": False,
                    "index": False, "index_method": IndexMethod.btree, "choices": None,
                    "db_column_name": None, "secret": False},
            schema=None)
    return manager
