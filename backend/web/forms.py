"""Parsing form bodies into plain values, with size caps so hostile input stays bounded."""

from __future__ import annotations

from typing import Any

from litestar import Request

from backend.text import MAX_FIELD, clean_text

__all__ = ["MAX_FIELD", "clean_text", "form_data", "form_lists", "safe_next"]


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form as single values (the last one wins), control chars kept."""
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out[key] = clean_text(value)
    return out


async def form_lists(request: Request[Any, Any, Any]) -> dict[str, list[Any]]:
    """The submitted form with every value per key (checkbox groups, files)."""
    form = await request.form()
    out: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        out.setdefault(key, []).append(clean_text(value) if isinstance(value, str) else value)
    return out


def safe_next(raw: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirects)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default
