"""Plain-text hygiene shared by every entry point (forms, query strings, imports)."""

from __future__ import annotations

MAX_FIELD = 20_000


def clean_text(value: str, *, limit: int = MAX_FIELD) -> str:
    """Bound a submitted value and drop NUL characters, which PostgreSQL text cannot hold;
    every other character (control characters, emoji, CJK, markup) is kept exactly."""
    return value[:limit].replace("\x00", "")
