"""Domain and HTTP errors mapped to translated pages, once, for every surface."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException

from backend.access import ANONYMOUS
from backend.db import DatabaseUnavailable
from backend.errors import NotAllowed, NotFound, RateLimited, ValidationFailed
from backend.i18n import N_

from .auth import SignInRequired
from .pages import redirect, render_page
from .templating import is_htmx

log = logging.getLogger("homeloop.web")

SIGN_IN = {"portal": "/portal/sign-in", "field": "/field/sign-in", "desk": "/desk/sign-in"}

MESSAGES = {
    400: (N_("Something in the request was not right"),
          N_("Please go back, check what you entered and try again.")),
    403: (N_("Not allowed"), N_("You do not have permission to do that.")),
    404: (N_("Page not found"),
          N_("We could not find that page. It may have moved, or the link may be wrong.")),
    405: (N_("Not allowed"), N_("That action is not available here.")),
    413: (N_("File too large"),
          N_("What you sent is larger than we accept. Please choose smaller photos or fewer "
             "at once.")),
    429: (N_("Too many attempts"),
          N_("Too many attempts. Please wait a few minutes and try again.")),
    500: (N_("Something went wrong on our side"),
          N_("We have been notified. Please try again in a moment.")),
    503: (N_("Temporarily unavailable"),
          N_("HomeLoop cannot reach its database right now. Please try again in a minute; "
             "nothing you saved has been lost.")),
}
CSRF_MESSAGE = N_("This form has expired or was opened in another session. Please reload the "
                  "page and try again; what you typed is still in the form if you go back.")


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    title, default_message = MESSAGES.get(status, MESSAGES[500])
    # Error pages never query the database (it may be what is down): they use the actor
    # the request already resolved, or draw the page for a visitor.
    extra = dict(headers or {})
    if is_htmx(request):
        # Show the error in the page's flash area instead of swapping it into a fragment.
        extra.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return render_page(
        request,
        request.scope.get("_hl_actor", ANONYMOUS),  # type: ignore[arg-type]
        "errors/error.html",
        {"status": status, "title": title, "message": message or default_message},
        status=status,
        block="flash_message",
        headers=extra,
    )


def _sign_in_required(request: Request[Any, Any, Any], exc: SignInRequired) -> Response:
    target = SIGN_IN.get(exc.surface, "/portal/sign-in")
    next_url = request.url.path
    if request.method == "GET" and not is_htmx(request):
        target = f"{target}?next={quote(next_url)}"
    return redirect(request, target)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response:
    return error_page(request, 404)


def _not_allowed(request: Request[Any, Any, Any], exc: Exception) -> Response:
    return error_page(request, 403)


def _permission_denied(request: Request[Any, Any, Any], exc: Exception) -> Response:
    detail = getattr(exc, "detail", "") or ""
    message = CSRF_MESSAGE if "CSRF" in detail else None
    return error_page(request, 403, message=message)


def _rate_limited(request: Request[Any, Any, Any], exc: RateLimited) -> Response:
    return error_page(request, 429, message=exc.message,
                            headers={"Retry-After": str(exc.retry_after)})


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return error_page(request, 503, headers={"Retry-After": "30"})


def _validation(request: Request[Any, Any, Any], exc: Exception) -> Response:
    message = None
    if isinstance(exc, ValidationFailed):
        message = next(iter(exc.errors.values()), None)
    return error_page(request, 400, message=message)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s: %s", status, request.url.path, exc.detail)
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return Response({"error": exc.detail, "status": status}, status_code=status)
    return error_page(request, status if status in MESSAGES else 500,
                            headers=getattr(exc, "headers", None))


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        return error_page(request, 500)
    except Exception:  # the error page itself failed (e.g. the database is down)
        return Response("Internal Server Error", status_code=500, media_type="text/plain")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequired: _sign_in_required,
    NotFound: _not_found,
    NotAllowed: _not_allowed,
    PermissionDeniedException: _permission_denied,
    RateLimited: _rate_limited,
    DatabaseUnavailable: _unavailable,
    ValidationFailed: _validation,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _crash,
}
