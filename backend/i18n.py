"""Translations: Babel catalogs for zh-CN and en.

Domain code never translates: it marks user-facing text with :func:`N_` and the web layer
translates it for the viewer's locale at render time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


def normalize_locale(tag: str | None) -> str | None:
    """Map a BCP 47 / POSIX tag to one of our catalogs, or None when we have none for it.

    Every Chinese tag (zh, zh-CN, zh-Hans, zh-Hans-CN, zh-TW ...) maps to the one Chinese
    catalog; Babel's negotiation does not do that on its own.
    """
    if not tag:
        return None
    lowered = tag.strip().replace("_", "-").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """Pick a supported locale from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, tag))
    for neg_quality, _index, tag in sorted(weighted):
        if neg_quality >= 0:
            continue
        found = normalize_locale(tag)
        if found:
            return found
    return None


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for ``locale`` (cached: catalogs are read-only at run time)."""
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, locale: str) -> str:
    return translations(locale).gettext(message)


@lru_cache(maxsize=8)
def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)
