"""staff_task gets a status (open | done), who closed it, and when it last changed.

The desk's task list (/desk/tasks) marks tasks done, reopens and reassigns them. Plain
ALTER TABLE ... ADD COLUMN with constant defaults, the same on SQLite and PostgreSQL; no
backfill is needed because nothing wrote ``done_at`` before this migration, so every existing
task is open (the column default).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff task status"


def _params(**overrides: object) -> dict[str, object]:
    params: dict[str, object] = {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="homeloop", description=DESCRIPTION)

    manager.add_column(
        table_class_name="StaffTask",
        tablename="staff_task",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=16, default="open", null=False, index=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="StaffTask",
        tablename="staff_task",
        column_name="done_by",
        db_column_name="done_by",
        column_class_name="UUID",
        column_class=UUID,
        params=_params(),
        schema=None,
    )
    manager.add_column(
        table_class_name="StaffTask",
        tablename="staff_task",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(),
        schema=None,
    )
    return manager
