"""One clock for the whole app, so tests can move time.

Every piece of code that needs "now" calls :func:`now`; tests use :func:`frozen` or
:func:`set_offset` instead of patching ``datetime``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_fixed: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _fixed is not None:
        return _fixed
    return datetime.now(UTC) + _offset


def set_offset(delta: timedelta) -> None:
    """Shift the clock by ``delta`` (tests only)."""
    global _offset
    _offset = delta


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze the clock at ``at`` for the duration of the block (tests only)."""
    global _fixed
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous = _fixed
    _fixed = at.astimezone(UTC)
    try:
        yield
    finally:
        _fixed = previous
