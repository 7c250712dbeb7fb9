"""Surveys: the public one-tap link ``/s/<token>`` (no sign-in) and the same survey inside
the portal. A used or expired link says so and offers the portal."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend import clock
from backend.access import Actor
from backend.db import get_db
from backend.errors import InvalidTransition, ValidationFailed
from backend.surveys import queries, services
from backend.web.forms import form_data
from backend.web.pages import page, redirect

TEMPLATE = "portal/surveys/answer.html"


async def _render(request: Request[Any, Any, Any], survey: Any, *, action: str,
                  why_action: str, extra: dict[str, Any] | None = None,
                  status: int = 200) -> Response:
    state = services.link_state(survey)
    answered_at = survey["answered_at"] if survey else None
    recent = bool(answered_at and clock.now() - answered_at < services.COMMENT_WINDOW)
    context = {"survey": survey, "state": state, "recent": recent,
               "thanks": request.query_params.get("thanks") == "1", "action": action,
               "why_action": why_action,
               "errors": {}, "scale": services.SCALES.get(survey["kind"] if survey else "nps"),
               **(extra or {})}
    if status == 200 and state == "invalid":
        status = 404
    return await page(request, TEMPLATE, context, status=status, block="survey")


@get("/s/{token:str}", name="survey.link")
async def link(request: Request[Any, Any, Any], token: str) -> Response:
    survey = await queries.find_by_token(get_db(), token)
    return await _render(request, survey, action=f"/s/{token}", why_action=f"/s/{token}/why")


@post("/s/{token:str}", name="survey.answer", status_code=200)
async def answer(request: Request[Any, Any, Any], token: str) -> Response:
    db = get_db()
    survey = await queries.find_by_token(db, token)
    data = await form_data(request)
    kwargs = {"action": f"/s/{token}", "why_action": f"/s/{token}/why"}
    if survey is None:
        return await _render(request, None, **kwargs)
    try:
        await services.answer_survey(db, survey=survey, score=data.get("score"),
                                     comment=data.get("comment", ""))
    except ValidationFailed as exc:
        return await _render(request, survey, extra={"errors": exc.errors}, status=400, **kwargs)
    except InvalidTransition:
        return await _render(request, survey, status=409, **kwargs)
    return redirect(request, f"/s/{token}")


@post("/s/{token:str}/why", name="survey.why", status_code=200)
async def why(request: Request[Any, Any, Any], token: str) -> Response:
    db = get_db()
    survey = await queries.find_by_token(db, token)
    data = await form_data(request)
    kwargs = {"action": f"/s/{token}", "why_action": f"/s/{token}/why"}
    if survey is None:
        return await _render(request, None, **kwargs)
    try:
        await services.add_reason(db, survey=survey, comment=data.get("comment", ""))
    except ValidationFailed as exc:
        return await _render(request, survey, extra={"errors": exc.errors}, status=400, **kwargs)
    except InvalidTransition:
        pass
    return redirect(request, f"/s/{token}?thanks=1")


PUBLIC_HANDLERS = [link, answer, why]


def _portal_urls(request: Request[Any, Any, Any], survey_id: UUID) -> dict[str, str]:
    url = request.app.route_reverse("portal.survey", survey_id=survey_id)
    return {"action": url, "why_action": f"{url}/why"}


@get("/surveys/{survey_id:uuid}", name="portal.survey")
async def portal_survey(request: Request[Any, Any, Any], actor: Actor,
                        survey_id: UUID) -> Response:
    survey = await queries.survey_for_customer(get_db(), actor, survey_id)
    return await _render(request, survey, extra={"tab": "home"},
                         **_portal_urls(request, survey_id))


@post("/surveys/{survey_id:uuid}", name="portal.answer_survey", status_code=200)
async def portal_answer(request: Request[Any, Any, Any], actor: Actor,
                        survey_id: UUID) -> Response:
    db = get_db()
    survey = await queries.survey_for_customer(db, actor, survey_id)
    data = await form_data(request)
    urls = _portal_urls(request, survey_id)
    try:
        await services.answer_survey(db, survey=survey, score=data.get("score"),
                                     comment=data.get("comment", ""), actor=actor)
    except ValidationFailed as exc:
        return await _render(request, survey, extra={"errors": exc.errors}, status=400, **urls)
    except InvalidTransition:
        return await _render(request, survey, status=409, **urls)
    return redirect(request, urls["action"])


@post("/surveys/{survey_id:uuid}/why", name="portal.survey_why", status_code=200)
async def portal_why(request: Request[Any, Any, Any], actor: Actor,
                     survey_id: UUID) -> Response:
    db = get_db()
    survey = await queries.survey_for_customer(db, actor, survey_id)
    data = await form_data(request)
    urls = _portal_urls(request, survey_id)
    try:
        await services.add_reason(db, survey=survey, comment=data.get("comment", ""))
    except ValidationFailed as exc:
        return await _render(request, survey, extra={"errors": exc.errors}, status=400, **urls)
    except InvalidTransition:
        pass
    return redirect(request, urls["action"] + "?thanks=1")


HANDLERS = [portal_survey, portal_answer, portal_why]
