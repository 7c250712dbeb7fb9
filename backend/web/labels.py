"""Translated labels for codes stored in the database (statuses, stages, kinds).

Kept as data in Python, not as dicts built inside Jinja macros: a macro that builds a
20-entry dict of translations on every call made a timeline with many badges slow.
"""

from __future__ import annotations

from backend.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "new": N_("New"),
        "open": N_("Open"),
        "waiting": N_("Waiting on customer"),
        "scheduled": N_("Scheduled"),
        "resolved": N_("Resolved"),
        "closed": N_("Closed"),
        "pending": N_("Upcoming"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "late": N_("Late"),
        "approved": N_("Approved"),
        "declined": N_("Declined"),
        "en_route": N_("On the way"),
        "on_site": N_("On site"),
        "completed": N_("Completed"),
        "needs_follow_up": N_("Needs follow-up"),
        "cancelled": N_("Cancelled"),
        "active": N_("Active"),
        "withdrawn": N_("Withdrawn"),
    },
    "priority": {
        "low": N_("Low"),
        "normal": N_("Normal"),
        "high": N_("High"),
        "urgent": N_("Urgent"),
    },
    "category": {
        "repair": N_("Repair"),
        "leak": N_("Water leak"),
        "door_drawer": N_("Doors and drawers"),
        "crack": N_("Cracks and finish"),
        "electrical": N_("Electrical"),
        "hardware": N_("Hardware"),
        "installation": N_("Installation"),
        "complaint": N_("Complaint"),
        "question": N_("Question"),
        "defect": N_("Acceptance defect"),
        "recovery": N_("Service recovery"),
    },
    "kind": {
        "measure": N_("Measurement"),
        "delivery": N_("Delivery"),
        "install": N_("Installation"),
        "repair": N_("Repair visit"),
        "inspection": N_("Inspection"),
    },
    "channel": {
        "portal": N_("Portal"),
        "phone": N_("Phone"),
        "acceptance": N_("Acceptance"),
        "api": N_("API"),
        "recovery": N_("Survey follow-up"),
    },
    "warranty": {
        "in_warranty": N_("In warranty"),
        "expired": N_("Warranty expired"),
        "not_covered": N_("Not covered"),
        "unknown": N_("Warranty unknown"),
    },
    "role": {
        "admin": N_("Admin"),
        "manager": N_("Manager"),
        "service_agent": N_("Service agent"),
        "dispatcher": N_("Dispatcher"),
        "project_manager": N_("Project manager"),
        "designer": N_("Designer"),
        "technician": N_("Technician"),
    },
    "stage": {
        "measure": N_("Measure"),
        "design": N_("Design"),
        "contract": N_("Contract"),
        "production": N_("Production"),
        "delivery": N_("Delivery"),
        "install": N_("Installation"),
        "acceptance": N_("Acceptance"),
        "warranty": N_("Warranty"),
    },
}


def label_msgid(group: str, code: str | None) -> str:
    """The msgid for ``code`` in ``group`` (the code itself when unknown)."""
    if code is None:
        return ""
    return LABELS.get(group, {}).get(code, code)
