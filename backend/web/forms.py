"""Parsing form bodies into plain values, with size caps so hostile input stays bounded."""

from __future__ import annotations

from typing import Any

from litestar import Request

MAX_FIELD = 20_000


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form as single values (the last one wins), control chars kept."""
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out[key] = value[:MAX_FIELD]
    return out


async def form_lists(request: Request[Any, Any, Any]) -> dict[str, list[Any]]:
    """The submitted form with every value per key (checkbox groups, files)."""
    form = await request.form()
    out: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        out.setdefault(key, []).append(value)
    return out


def safe_next(raw: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirects)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default
