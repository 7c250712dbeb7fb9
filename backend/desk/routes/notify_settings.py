"""A desk member's own notification settings: which channels carry their work alerts, quiet
hours and the daily cap. The form, its saving and its errors are the ones the portal and the
field app use (``ui/notifications.html``, ``backend.web.preferences_form``).

The desk has no service worker, so it offers no push: every notification is in the desk's
inbox, and e-mail and SMS (when the person has a phone number) may carry it too. Saving
without push switches push off, which is right: a desk member has no push subscription.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.notifications.messages import CATEGORY_LABELS, CHANNEL_LABELS
from backend.web.pages import page
from backend.web.preferences_form import preferences_to_show, save_preferences_form

DESK_CHANNELS = ("email", "sms")  # in the order the dispatcher tries them


def desk_channels(prefs: dict[str, Any]) -> tuple[str, ...]:
    """The outside channels the desk offers this person: e-mail, and SMS with a phone."""
    usable = {"email": prefs["has_email"], "sms": prefs["has_phone"]}
    return tuple(ch for ch in DESK_CHANNELS if usable[ch])


async def _settings_page(request: Request[Any, Any, Any], actor: Actor, *,
                         form: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    prefs = await preferences_to_show(actor, form)
    prefs = {**prefs, "channels": desk_channels(prefs)}
    return await page(request, "desk/notifications/settings.html",
                      {"prefs": prefs, "errors": errors or {}, "nav": "notifications",
                       "category_labels": CATEGORY_LABELS, "channel_labels": CHANNEL_LABELS},
                      status=status)


@get("/notifications/settings", name="desk.notification_settings")
async def settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _settings_page(request, actor)


@post("/notifications/settings", name="desk.save_notification_settings", status_code=200)
async def save_settings(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await save_preferences_form(
        request, actor, show_again=_settings_page,
        saved_url=request.app.route_reverse("desk.notification_settings"))


HANDLERS = [settings, save_settings]
