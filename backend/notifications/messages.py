"""What each kind of notification says, which category it belongs to, and how push treats it.

Rules name a message by key (``milestone_completed``); the text is translated into the
recipient's language when the notification is created, so the inbox, push, e-mail and SMS all
say the same thing. ``ttl`` and ``urgency`` go to the push service: an "on the way" message is
worthless in two hours, a warranty reminder is still useful next week.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backend.i18n import N_

CATEGORIES: tuple[str, ...] = ("milestones", "repairs", "surveys", "marketing", "work")
CUSTOMER_CATEGORIES: tuple[str, ...] = ("milestones", "repairs", "surveys", "marketing")
# Staff only receive work alerts (and a digest of them in the same category).
STAFF_CATEGORIES: tuple[str, ...] = ("work",)
CHANNELS: tuple[str, ...] = ("push", "email", "sms")  # tried in this order (fallback)

CATEGORY_LABELS: dict[str, str] = {
    "milestones": N_("Project progress"),
    "repairs": N_("Repairs and visits"),
    "surveys": N_("Surveys"),
    "marketing": N_("Offers and news"),
    "work": N_("Work alerts"),
}
CHANNEL_LABELS: dict[str, str] = {
    "inbox": N_("Inbox"), "push": N_("Push"), "email": N_("E-mail"), "sms": N_("SMS"),
}
# Marketing is off unless the person turns it on; everything else starts with push + e-mail.
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "milestones": ("push", "email"),
    "repairs": ("push", "email", "sms"),
    "surveys": ("push", "email"),
    "marketing": (),
    "work": ("push", "email"),
}


@dataclass(frozen=True)
class Message:
    category: str
    title: str
    body: str
    ttl: int = 24 * 3600
    urgency: str = "normal"


MESSAGES: dict[str, Message] = {
    "milestone_completed": Message(
        "milestones", N_("Stage completed: %(milestone)s"),
        N_("%(milestone)s of %(project)s is done. See the photos and what comes next."),
        ttl=3 * 86400),
    "milestone_overdue": Message(
        "work", N_("Overdue stage: %(milestone)s"),
        N_("%(milestone)s of %(project)s is more than %(hours)s hours past its planned end."),
        ttl=86400, urgency="high"),
    "work_order_en_route": Message(
        "repairs", N_("Your technician is on the way"),
        N_("%(technician)s is on the way to you for %(work_order)s."),
        ttl=2 * 3600, urgency="high"),
    "warranty_expiring": Message(
        "repairs", N_("Your warranty ends soon"),
        N_("The warranty for %(product)s ends on %(until)s. Book a free inspection before "
           "then."), ttl=7 * 86400, urgency="low"),
    "ticket_escalated": Message(
        "work", N_("Escalated: %(ticket)s"),
        N_("%(ticket)s needs attention: the customer has waited %(hours)s hours for a reply."),
        ttl=86400, urgency="high"),
    "recovery_ticket": Message(
        "work", N_("Unhappy customer: %(ticket)s"),
        N_("%(customer)s gave a low score. Call back within 24 hours: %(ticket)s."),
        ttl=86400, urgency="high"),
    "survey_invite": Message(
        "surveys", N_("How did we do?"),
        N_("Two questions, one minute: tell us how it went."), ttl=3 * 86400, urgency="low"),
    "ticket_update": Message(
        "repairs", N_("Update on your repair %(ticket)s"),
        N_("There is news on %(ticket)s."), ttl=86400),
    "task_created": Message(
        "work", N_("New task: %(title)s"), N_("%(title)s"), ttl=86400),
    "task_assigned": Message(
        "work", N_("Task handed to you: %(title)s"),
        N_("%(title)s — it is now yours. See it in your task list."), ttl=86400),
    "work_order_scheduled": Message(
        "work", N_("New visit: %(work_order)s"),
        N_("%(work_order)s for %(customer)s is booked for you. Open it for the time and "
           "address."), ttl=2 * 86400),
    "digest": Message(
        "milestones", N_("%(count)s updates from HomeLoop"),
        N_("You have %(count)s updates you have not seen yet. Open your inbox to read them."),
        ttl=86400, urgency="low"),
}
# Staff collect work alerts, so their digest travels on the channels they chose for work.
MESSAGES["work_digest"] = replace(MESSAGES["digest"], category="work")
DIGESTS = {"customer": "digest", "staff": "work_digest"}


def categories_for(person_kind: str) -> tuple[str, ...]:
    """The categories a person can switch: homeowners theirs, staff their work alerts."""
    return CUSTOMER_CATEGORIES if person_kind == "customer" else STAFF_CATEGORIES


def message_keys() -> list[str]:
    return sorted(k for k in MESSAGES if k not in DIGESTS.values())
