"""Portal routes under ``/portal/``; every handler but sign-in needs a signed-in homeowner.

Survey links (``/s/<token>``) live at the site root without sign-in: ``survey_router``.
"""

from litestar import Router
from litestar.di import Provide

from backend.i18n import N_
from backend.web.auth import portal_actor
from backend.web.pages import FLASHES
from backend.web.templating import ENV

from . import account, auth, media, projects, surveys, tickets

try:  # the notifications inbox, preferences and service worker (built separately)
    from . import notifications as _notifications

    _EXTRA = list(getattr(_notifications, "HANDLERS", []))
except ImportError:  # pragma: no cover - until that part lands
    _EXTRA = []

FLASHES.update({
    "repair_sent": ("success", N_("Your repair request has been sent. We will reply here.")),
    "reply_sent": ("success", N_("Your message has been sent.")),
    "ticket_reopened": ("success", N_("Your request is open again. We will get back to you.")),
    "change_decided": ("success", N_("Thank you. Your decision has been sent to your team.")),
    "acceptance_signed": ("success", N_("Thank you. Acceptance is signed and your warranty "
                                        "has started.")),
    "defects_reported": ("success", N_("Thank you. Each problem is now a repair request your "
                                       "team will follow up.")),
    "member_invited": ("success", N_("Invitation saved. They can now sign in with their own "
                                     "mobile number.")),
    "member_removed": ("success", N_("Removed. They no longer see your projects.")),
})


def optional_url(url_for: object, name: str, **params: object) -> str:
    """A route's URL, or "" when no such route is mounted (links to optional parts)."""
    try:
        return url_for(name, **params)  # type: ignore[operator]
    except Exception:  # litestar's NoRouteMatchFoundException
        return ""


ENV.globals["optional_url"] = optional_url

portal_router = Router(
    path="/portal",
    route_handlers=[*auth.HANDLERS, *projects.HANDLERS, *tickets.HANDLERS, *media.HANDLERS,
                    *account.HANDLERS, *surveys.HANDLERS, *_EXTRA],
    dependencies={"actor": Provide(portal_actor)},
)

survey_router = Router(path="/", route_handlers=surveys.PUBLIC_HANDLERS)
