"""The notification settings form shared by the portal, the field app and the desk: save what
was posted, or show the form again as the person typed it, with the errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response

from backend.access import Actor
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.notifications import queries, services
from backend.web.forms import form_data
from backend.web.pages import redirect, set_flash

ShowAgain = Callable[..., Awaitable[Response]]


async def preferences_to_show(actor: Actor, form: dict[str, str] | None) -> dict[str, Any]:
    """The person's stored preferences, or, when a form came back with errors, what they
    typed (so nothing they entered is lost)."""
    prefs = await queries.preferences(get_db(), actor)
    return prefs if form is None else as_typed(prefs, form)


def as_typed(prefs: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """``prefs`` (``queries.preferences``) with what was typed into the form instead."""
    return {**prefs, "on": {k for k, v in form.items() if v == "on"},
            "quiet_start": form.get("quiet_start", ""),
            "quiet_end": form.get("quiet_end", ""),
            "daily_cap": form.get("daily_cap", ""),
            "surveys_opt_out": form.get("surveys_opt_out") == "on"}


async def save_preferences_form(request: Request[Any, Any, Any], actor: Actor, *,
                                show_again: ShowAgain, saved_url: str) -> Response:
    """Save the posted switches (``services.save_preferences``) and go to ``saved_url`` with
    the "saved" flash; when they do not validate, answer
    ``show_again(request, actor, form=..., errors=..., status=400)``."""
    form = await form_data(request)
    try:
        await services.save_preferences(get_db(), actor=actor, form=form)
    except ValidationFailed as exc:
        return await show_again(request, actor, form=form, errors=exc.errors, status=400)
    return set_flash(redirect(request, saved_url), "saved")
