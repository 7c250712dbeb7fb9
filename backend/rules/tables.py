"""Rules, which events each rule has handled, scheduler marks and follow-up tasks."""

from piccolo.columns import UUID, BigInt, Boolean, Text, Timestamptz, Varchar
from piccolo.table import Table


class Rule(Table):
    """When ``event_kind``, if ``conditions`` (JSON list), then ``actions`` (JSON list)."""

    id = UUID(primary_key=True)
    code = Varchar(length=64, null=True, default=None, unique=True)  # shipped rules
    name = Varchar(length=200)
    event_kind = Varchar(length=64, index=True)
    conditions = Text(default="[]")
    actions = Text(default="[]")
    enabled = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RuleRun(Table):
    """One event handled by one rule: the unique key makes a replayed event a no-op."""

    id = UUID(primary_key=True)
    run_key = Varchar(length=120, unique=True)  # "<rule id>:<event id>"
    rule_id = UUID(index=True)
    event_id = BigInt(index=True)
    matched = Boolean(default=False)
    at = Timestamptz()


class SchedulerMark(Table):
    """A time-based event already raised; the scheduler inserts the key before emitting."""

    key = Varchar(length=200, primary_key=True)
    at = Timestamptz()


class StaffTask(Table):
    """A follow-up a rule created for a member of staff; worked in the desk (/desk/tasks)."""

    id = UUID(primary_key=True)
    title = Varchar(length=200)
    assignee_id = UUID(null=True, default=None, index=True)
    ticket_id = UUID(null=True, default=None)
    project_id = UUID(null=True, default=None)
    rule_id = UUID(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    status = Varchar(length=16, default="open", index=True)  # open | done
    done_by = UUID(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)
