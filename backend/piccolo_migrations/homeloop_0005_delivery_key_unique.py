"""notification_delivery.idempotency_key becomes unique.

SQLite cannot ALTER TABLE ADD a UNIQUE column, so 0003 adds the column plain and this
migration adds a unique index, which works on both databases.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique delivery idempotency key"


class _Delivery(Table, tablename="notification_delivery"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="homeloop", description=DESCRIPTION)

    async def unique_delivery_key() -> None:
        await _Delivery.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS notification_delivery_idempotency_key_unique "
            "ON notification_delivery (idempotency_key)"
        )

    manager.add_raw(unique_delivery_key)
    return manager
