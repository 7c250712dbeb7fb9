"""One Jinja environment for all three surfaces, with translations and Babel formatting.

Rendering is synchronous and never awaits, so the viewer's locale and zone travel in context
variables set just before each render; the gettext callables and filters read them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from jinja2_fragments import render_block
from litestar import Request, Response
from litestar.enums import MediaType

from backend.config import ROOT
from backend.customers.rules import display_phone
from backend.i18n import babel_locale, translations
from backend.web.labels import label_msgid

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default="zh_CN")
current_tz: contextvars.ContextVar[str] = contextvars.ContextVar("tz", default="Asia/Shanghai")
# Macros imported without context (Jinja's default) still need the request's CSRF token.
current_csrf: contextvars.ContextVar[str] = contextvars.ContextVar("csrf", default="")

TEMPLATE_DIRS = [
    ROOT / "backend" / "web" / "templates",
    ROOT / "portal" / "templates",
    ROOT / "fieldapp" / "templates",
    ROOT / "backend" / "desk" / "templates",
]


def _gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_tz.get())


def _loc() -> Any:
    # A parsed Babel Locale, cached: parsing the string on every call cost ~0.6 ms per date.
    return babel_locale(current_locale.get())


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC timestamp shown in the viewer's zone and language."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(_zone())
    if fmt == "short":
        return babel_dates.format_datetime(local, "short", locale=_loc())
    if fmt == "time":
        return babel_dates.format_time(local, "short", locale=_loc())
    if fmt == "day":
        return babel_dates.format_date(local, "medium", locale=_loc())
    return babel_dates.format_datetime(local, "medium", locale=_loc())


def format_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone()).date() if value.tzinfo else value.date()
    return babel_dates.format_date(value, fmt, locale=_loc())


def format_money(fen: int | None) -> str:
    """Integer fen → ¥1,234.50 in the viewer's number format."""
    if fen is None:
        return ""
    return babel_numbers.format_currency(fen / 100, "CNY", locale=_loc())


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    return babel_numbers.format_decimal(value, locale=_loc())


def local_date(value: datetime) -> date:
    return value.astimezone(_zone()).date()


def pick(obj: Mapping[str, Any], field: str) -> str:
    """The zh or en variant of a bilingual field (``name_zh`` / ``name_en``)."""
    suffix = "zh" if current_locale.get().startswith("zh") else "en"
    return obj.get(f"{field}_{suffix}") or obj.get(f"{field}_en") or ""


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=800,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        dt=format_datetime,
        date=format_date,
        money=format_money,
        number=format_number,
        phone=display_phone,
        pick=pick,
    )
    env.globals.update(pick=pick, local_date=local_date, csrf_value=current_csrf.get,
                       label_msgid=label_msgid)
    return env


ENV = build_environment()


def warm_templates() -> int:
    """Compile every template once at startup, so the first visitors do not pay for it."""
    count = 0
    for name in ENV.list_templates(filter_func=lambda n: n.endswith(".html")):
        ENV.get_template(name)
        count += 1
    return count


def static_version() -> str:
    """A cache-busting token for static URLs (changes whenever a static file changes)."""
    static = ROOT / "static"
    newest = max((p.stat().st_mtime_ns for p in static.rglob("*") if p.is_file()), default=0)
    return format(newest % 10**10, "x")


STATIC_VERSION = static_version()


def render_html(
    template: str,
    context: Mapping[str, Any],
    *,
    locale: str,
    timezone: str,
    block: str | None = None,
) -> str:
    loc_token = current_locale.set(locale)
    tz_token = current_tz.set(timezone)
    csrf_token = current_csrf.set(str(context.get("csrf_token", "")))
    try:
        if block:
            return render_block(ENV, template, block, **context)
        return ENV.get_template(template).render(**context)
    finally:
        current_locale.reset(loc_token)
        current_tz.reset(tz_token)
        current_csrf.reset(csrf_token)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that wants a fragment (history restores want the whole page)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def html_response(
    content: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    merged = {"Vary": "HX-Request, Accept-Language, Cookie"}
    if headers:
        merged.update(headers)
    return Response(content=content, status_code=status, media_type=MediaType.HTML,
                    headers=merged)


def template_path(name: str) -> Path:
    for base in TEMPLATE_DIRS:
        if (base / name).exists():
            return base / name
    raise FileNotFoundError(name)
