"""Phone and e-mail parsing: E.164 with +86 by default, hostile input never crashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.customers.rules import (
    display_phone,
    normalize_contact,
    normalize_email,
    normalize_phone,
)
from backend.errors import ValidationFailed

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "138-1234-5678",
                                 "+86 138 1234 5678", "0086 13812345678", "+8613812345678"])
def test_chinese_mobiles_normalise(raw: str) -> None:
    assert normalize_phone(raw) == "+8613812345678"


def test_foreign_numbers_keep_their_country() -> None:
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert display_phone("+442079460958").startswith("+44")
    assert display_phone("+8613812345678") == "138 1234 5678"


@pytest.mark.parametrize("raw", ["", "123", "1381234567", "hello", "+86 000", "1" * 40])
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalize_phone(raw)
    assert "phone" in err.value.errors


def test_emails() -> None:
    assert normalize_email(" Li.Na@Example.COM ") == "Li.Na@example.com"
    for bad in ("no-at", "a@b", "a@@b.com", "<x>@y.com", "a b@c.com"):
        with pytest.raises(ValidationFailed):
            normalize_email(bad)


def test_contact_classification() -> None:
    assert normalize_contact("13812345678") == ("phone", "+8613812345678")
    assert normalize_contact("x@y.cn") == ("email", "x@y.cn")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_either_valid_or_a_clear_error(raw: str) -> None:
    try:
        kind, value = normalize_contact(raw)
    except ValidationFailed as exc:
        assert set(exc.errors) == {"contact"}
    else:
        assert kind in ("phone", "email")
        if kind == "phone":
            assert value.startswith("+") and value[1:].isdigit()
            assert normalize_phone(value) == value  # idempotent
