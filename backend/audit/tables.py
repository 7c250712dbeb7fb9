"""The append-only audit log."""

from piccolo.columns import BigSerial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table):
    id = BigSerial(primary_key=True)
    at = Timestamptz()
    actor_kind = Varchar(length=16)
    actor_id = Varchar(length=36, default="")
    action = Varchar(length=64)
    object_type = Varchar(length=32, index=True)
    object_id = Varchar(length=36, index=True)
    before = Text(default="{}")
    after = Text(default="{}")
