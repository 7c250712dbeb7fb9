"""The transactional outbox: domain events written with the change that caused them."""

from piccolo.columns import BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxEvent(Table):
    id = BigSerial(primary_key=True)
    at = Timestamptz(index=True)
    kind = Varchar(length=64, index=True)
    aggregate_type = Varchar(length=32)
    aggregate_id = Varchar(length=36)
    payload = Text(default="{}")
    processed_at = Timestamptz(null=True, default=None, index=True)
    claimed_until = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")


class Counter(Table):
    """Named counters for human-readable numbers (tickets, work orders, projects)."""

    id = Varchar(length=32, primary_key=True)
    value = BigInt(default=0)
