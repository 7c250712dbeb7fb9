"""Parsers for user input shared by services and handlers: money and time windows.

Each turns text into a value or raises :class:`ValidationFailed` with a translated-ready
message; none of them ever raises anything else, whatever the text (property-tested).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from backend.errors import ValidationFailed
from backend.i18n import N_

MAX_FEN = 10**12  # ¥10 billion: far beyond any renovation contract
_MONEY = re.compile(r"^[+-]?[0-9]{1,13}(\.[0-9]{1,2})?$")


def parse_yuan(text: str | None, *, field: str, message: str,
               allow_negative: bool = False) -> int:
    """``"1,234.50"``, ``"¥ 80"`` or ``"-300"`` (yuan) → integer fen. Blank means 0.

    Decimal, never float: 0.29 yuan is 29 fen exactly. At most two decimals; no exponents,
    NaN or infinity.
    """
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace("¥", "")
    cleaned = cleaned.replace("￥", "").replace(" ", "")
    if not cleaned:
        return 0
    if not _MONEY.match(cleaned):
        raise ValidationFailed({field: message})
    try:
        fen = int(Decimal(cleaned) * 100)
    except InvalidOperation:
        raise ValidationFailed({field: message}) from None
    if abs(fen) > MAX_FEN or (fen < 0 and not allow_negative):
        raise ValidationFailed({field: message})
    return fen


def parse_window(raw: str | None, *, max_hours: int = 12) -> tuple[datetime, datetime]:
    """``"<start ISO>/<end ISO>"`` with time zones → (start, end); start before end and at
    most ``max_hours`` long."""
    invalid = ValidationFailed({"window": N_("Choose a time window.")})
    text = (raw or "").strip()
    if "/" not in text or len(text) > 100:
        raise invalid
    start_text, _, end_text = text.partition("/")
    try:
        start = datetime.fromisoformat(start_text)
        end = datetime.fromisoformat(end_text)
    except ValueError:
        raise invalid from None
    if start.tzinfo is None or end.tzinfo is None:
        raise invalid
    if not start < end or end - start > timedelta(hours=max_hours):
        raise invalid
    return start, end
