"""Pure rules about customer contact details."""

from __future__ import annotations

import re

import phonenumbers

from backend.errors import ValidationFailed
from backend.i18n import N_

_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def normalize_phone(raw: str, *, region: str = "CN") -> str:
    """Return ``raw`` in E.164 (``+8613812345678``); mainland China is the default region.

    Raises :class:`ValidationFailed` for anything that is not a valid number.
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise ValidationFailed({"phone": N_("Enter a valid mobile phone number.")})
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed({"phone": N_("Enter a valid mobile phone number.")}) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed({"phone": N_("Enter a valid mobile phone number.")})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """Format an E.164 number for people: national format at home, international abroad."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str) -> str:
    """Lower-case and check an e-mail address; raises :class:`ValidationFailed`."""
    text = (raw or "").strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationFailed({"email": N_("Enter a valid e-mail address.")})
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_contact(raw: str) -> tuple[str, str]:
    """Classify a sign-in identifier as ("email", address) or ("phone", E.164)."""
    text = (raw or "").strip()
    if "@" in text:
        try:
            return "email", normalize_email(text)
        except ValidationFailed as exc:
            raise ValidationFailed({"contact": exc.errors["email"]}) from exc
    try:
        return "phone", normalize_phone(text)
    except ValidationFailed as exc:
        raise ValidationFailed(
            {"contact": N_("Enter a valid mobile phone number or e-mail address.")}
        ) from exc
