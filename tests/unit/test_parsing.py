"""Property-based tests of the shared input parsers: money and time windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.errors import ValidationFailed
from backend.parsing import MAX_FEN, parse_window, parse_yuan

pytestmark = pytest.mark.unit
MSG = "Enter an amount."


@pytest.mark.parametrize(("text", "fen"), [
    ("", 0), ("0", 0), ("80", 8000), ("0.29", 29), ("1,234.50", 123450), ("¥ 99.9", 9990),
    ("￥1，000", 100000), ("-300", -30000),
])
def test_known_amounts(text: str, fen: int) -> None:
    assert parse_yuan(text, field="x", message=MSG, allow_negative=True) == fen


@pytest.mark.parametrize("text", ["abc", "1.234", "1e5", "nan", "inf", "-inf", "1..2",
                                  "99999999999999", "--1", "1-", "0x10", "١٢٣"])
def test_refused_amounts(text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_yuan(text, field="x", message=MSG, allow_negative=True)
    assert err.value.errors == {"x": MSG}


def test_negative_needs_permission() -> None:
    with pytest.raises(ValidationFailed):
        parse_yuan("-1", field="x", message=MSG)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_an_amount_or_a_clear_error(text: str) -> None:
    try:
        fen = parse_yuan(text, field="x", message=MSG, allow_negative=True)
    except ValidationFailed as exc:
        assert exc.errors == {"x": MSG}
    else:
        assert isinstance(fen, int) and abs(fen) <= MAX_FEN


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                   allow_infinity=False))
def test_amounts_round_trip_exactly(value: Decimal) -> None:
    assert parse_yuan(f"{value:.2f}", field="x", message=MSG) == int(value * 100)


SHANGHAI = timezone(timedelta(hours=8))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_window_or_a_clear_error(text: str) -> None:
    try:
        start, end = parse_window(text)
    except ValidationFailed as exc:
        assert exc.errors == {"window": "Choose a time window."}
    else:
        assert start < end and start.tzinfo and end.tzinfo


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
       st.integers(min_value=1, max_value=12 * 60))
def test_windows_round_trip(start: datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=SHANGHAI)
    finish = begin + timedelta(minutes=minutes)
    assert parse_window(f"{begin.isoformat()}/{finish.isoformat()}") == (begin, finish)


@pytest.mark.parametrize("text", [
    "2026-12-01T09:00:00/2026-12-01T11:00:00",  # no time zone
    "2026-12-01T11:00:00+08:00/2026-12-01T09:00:00+08:00",  # backwards
    "2026-12-01T09:00:00+08:00/2026-12-02T09:00:00+08:00",  # longer than a working day
    "", "/", "garbage/also",
])
def test_refused_windows(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_window(text)


def test_a_window_in_utc_is_fine() -> None:
    start = datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert parse_window(f"{start.isoformat()}/{(start + timedelta(hours=2)).isoformat()}")
