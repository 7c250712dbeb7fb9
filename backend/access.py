"""The one authorization layer used by the portal, the field app, the desk and the API.

Who may see what is decided here and nowhere else:

* a homeowner sees their own projects, and those of a homeowner whose household they joined;
  the tickets, photos and work orders of those projects (and tickets they filed themselves);
* a technician sees the work orders assigned to them and what those jobs need;
* staff see by role: admins and managers everything; region-bound roles (agent, dispatcher,
  project manager, designer) the records of their region when they have one.

Queries ask this module for a SQL condition (``scope_*``) so lists and single-object getters
share the same rule; a record outside the scope is simply not found (404), so its existence
does not leak.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from backend.errors import NotAllowed

ADMIN = "admin"
MANAGER = "manager"
AGENT = "service_agent"
DISPATCHER = "dispatcher"
PROJECT_MANAGER = "project_manager"
DESIGNER = "designer"
TECHNICIAN = "technician"

STAFF_ROLES = (ADMIN, MANAGER, AGENT, DISPATCHER, PROJECT_MANAGER, DESIGNER, TECHNICIAN)
DESK_ROLES = (ADMIN, MANAGER, AGENT, DISPATCHER, PROJECT_MANAGER, DESIGNER)
REGION_BOUND = (AGENT, DISPATCHER, PROJECT_MANAGER, DESIGNER)

# What each desk role may do beyond reading. Reading is governed by the scopes below.
PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN: frozenset({
        "tickets.edit", "tickets.assign", "tickets.reply", "workorders.dispatch",
        "projects.edit", "customers.edit", "reports.view", "reports.all_teams",
        "config.edit", "users.edit", "audit.view", "tasks.assign",
    }),
    MANAGER: frozenset({
        "tickets.edit", "tickets.assign", "tickets.reply", "workorders.dispatch",
        "projects.edit", "customers.edit", "reports.view", "reports.all_teams", "audit.view",
        "tasks.assign",
    }),
    AGENT: frozenset({"tickets.edit", "tickets.reply", "customers.edit", "reports.view"}),
    DISPATCHER: frozenset({"tickets.edit", "tickets.assign", "tickets.reply",
                           "workorders.dispatch", "reports.view", "tasks.assign"}),
    PROJECT_MANAGER: frozenset({"projects.edit", "tickets.reply", "tickets.edit",
                                "reports.view"}),
    DESIGNER: frozenset({"projects.edit"}),
    TECHNICIAN: frozenset({"workorders.work"}),
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: a homeowner, a member of staff, or nobody (anonymous)."""

    kind: str  # "customer" | "staff" | "anonymous" | "system"
    id: uuid.UUID | None = None
    name: str = ""
    role: str | None = None
    region_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    session_id: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def is_customer(self) -> bool:
        return self.kind == "customer"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_technician(self) -> bool:
        return self.kind == "staff" and self.role == TECHNICIAN

    @property
    def is_desk(self) -> bool:
        return self.kind == "staff" and self.role in DESK_ROLES

    @property
    def region_bound(self) -> bool:
        return self.is_staff and self.role in REGION_BOUND and self.region_id is not None

    def can(self, permission: str) -> bool:
        return self.is_staff and permission in PERMISSIONS.get(self.role or "", frozenset())

    @property
    def audit_kind(self) -> str:
        return self.kind

    @property
    def audit_id(self) -> str:
        return str(self.id) if self.id else ""


ANONYMOUS = Actor(kind="anonymous")
SYSTEM = Actor(kind="system", name="HomeLoop")


def require(actor: Actor, permission: str) -> None:
    """Raise :class:`NotAllowed` unless ``actor`` holds ``permission``."""
    if not actor.can(permission):
        raise NotAllowed(permission)


def require_desk(actor: Actor) -> None:
    if not actor.is_desk:
        raise NotAllowed("desk")


def require_technician(actor: Actor) -> None:
    if not actor.is_technician:
        raise NotAllowed("field")


def require_customer(actor: Actor) -> None:
    if not actor.is_customer:
        raise NotAllowed("portal")


def require_notifiable(actor: Actor) -> None:
    """Only a signed-in person (homeowner or staff) has an inbox, switches and push devices."""
    if actor.id is None or actor.kind not in ("customer", "staff"):
        raise NotAllowed("notifications")


# --- scopes -------------------------------------------------------------------------------
# Each returns (SQL condition, args) with placeholders numbered from ``start``. The condition
# refers to the alias given, so the same rule serves lists, counts and single-object getters.

_NOTHING = ("1 = 0", [])


def _customer_projects(start: int) -> str:
    return (
        f"(SELECT p2.id FROM project p2 WHERE p2.customer_id = ${start} "
        f"OR p2.customer_id IN (SELECT h.owner_id FROM household_member h "
        f"WHERE h.member_id = ${start} AND h.removed_at IS NULL))"
    )


def scope_projects(actor: Actor, alias: str = "p", start: int = 1) -> tuple[str, list[object]]:
    """Which projects ``actor`` may read."""
    if actor.is_customer:
        return f"{alias}.id IN {_customer_projects(start)}", [actor.id]
    if actor.is_technician:
        return (
            f"{alias}.id IN (SELECT w.project_id FROM work_order w "
            f"WHERE w.technician_id = ${start} AND w.project_id IS NOT NULL)",
            [actor.id],
        )
    if actor.is_desk:
        if actor.region_bound:
            return f"{alias}.region_id = ${start}", [actor.region_id]
        return "1 = 1", []
    return _NOTHING


def scope_tickets(actor: Actor, alias: str = "t", start: int = 1) -> tuple[str, list[object]]:
    """Which tickets ``actor`` may read (homeowners: theirs and their shared projects')."""
    if actor.is_customer:
        return (
            f"({alias}.customer_id = ${start} OR {alias}.project_id IN "
            f"{_customer_projects(start)})",
            [actor.id],
        )
    if actor.is_technician:
        return (
            f"{alias}.id IN (SELECT w.ticket_id FROM work_order w "
            f"WHERE w.technician_id = ${start} AND w.ticket_id IS NOT NULL)",
            [actor.id],
        )
    if actor.is_desk:
        if actor.region_bound:
            return f"{alias}.region_id = ${start}", [actor.region_id]
        return "1 = 1", []
    return _NOTHING


def scope_work_orders(
    actor: Actor, alias: str = "w", start: int = 1
) -> tuple[str, list[object]]:
    """Which work orders ``actor`` may read: technicians only their own assignments."""
    if actor.is_technician:
        return f"{alias}.technician_id = ${start}", [actor.id]
    if actor.is_customer:
        return (
            f"({alias}.customer_id = ${start} OR {alias}.project_id IN "
            f"{_customer_projects(start)})",
            [actor.id],
        )
    if actor.is_desk:
        if actor.region_bound:
            return (
                f"({alias}.project_id IN (SELECT p3.id FROM project p3 WHERE p3.region_id = "
                f"${start}) OR {alias}.ticket_id IN (SELECT t3.id FROM ticket t3 "
                f"WHERE t3.region_id = ${start}))",
                [actor.region_id],
            )
        return "1 = 1", []
    return _NOTHING


def scope_customers(
    actor: Actor, alias: str = "c", start: int = 1
) -> tuple[str, list[object]]:
    """Which customer records ``actor`` may read (homeowners: only themselves)."""
    if actor.is_customer:
        return f"{alias}.id = ${start}", [actor.id]
    if actor.is_desk:
        if actor.region_bound:
            return (
                f"({alias}.id IN (SELECT p4.customer_id FROM project p4 WHERE p4.region_id = "
                f"${start}) OR {alias}.id IN (SELECT t4.customer_id FROM ticket t4 "
                f"WHERE t4.region_id = ${start}))",
                [actor.region_id],
            )
        return "1 = 1", []
    return _NOTHING


# --- follow-up tasks (rules create them; the desk works them) --------------------------------
TASK_VIEWS = ("mine", "team", "all")


def _team_members(actor: Actor, start: int) -> tuple[str, list[object]] | None:
    """The actor's colleagues: their team when they have one, else their region (if bound)."""
    if actor.team_id is not None:
        return f"SELECT s5.id FROM staff_user s5 WHERE s5.team_id = ${start}", [actor.team_id]
    if actor.region_bound:
        return (f"SELECT s5.id FROM staff_user s5 WHERE s5.region_id = ${start}",
                [actor.region_id])
    return None


def sees_all_tasks(actor: Actor) -> bool:
    return actor.is_desk and actor.role in (ADMIN, MANAGER)


def scope_tasks(actor: Actor, alias: str = "k", start: int = 1, *,
                view: str = "all") -> tuple[str, list[object]]:
    """Which follow-up tasks ``actor`` may read, narrowed to ``view`` (mine / team / all).

    Desk staff see their own tasks and their team's (team, or region when they have no team);
    admins and managers see every task. Technicians and homeowners see none here.
    """
    if not actor.is_desk:
        return _NOTHING
    mine = f"{alias}.assignee_id = ${start}"
    if view == "mine":
        return mine, [actor.id]
    if view == "all" and sees_all_tasks(actor):
        return "1 = 1", []
    team = _team_members(actor, start + 1)
    if team is None:
        return mine, [actor.id]
    return f"({mine} OR {alias}.assignee_id IN ({team[0]}))", [actor.id, *team[1]]
