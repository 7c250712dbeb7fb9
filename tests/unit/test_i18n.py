"""Every user-facing string has a zh-CN translation, and locales resolve as users expect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend.i18n import gettext, negotiate, normalize_locale

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_every_msgid_is_translated_to_chinese(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k",
         "N_", "--ignore-dirs=.* var static tests bench", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "backend/locale/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in extracted - translated)
    assert not missing, f"untranslated in zh_CN (run `make messages`, then translate): {missing}"
    assert len(extracted) > 100


def test_placeholders_survive_translation() -> None:
    with (ROOT / "backend/locale/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    import re

    for message in catalog:
        if not message.id or not message.string:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s|\{\w+\}", str(message.id)))
        got = sorted(re.findall(r"%\(\w+\)s|\{\w+\}", str(message.string)))
        assert wanted == got, message.id


def test_compiled_catalog_is_used() -> None:
    assert gettext("Sign in", "zh_CN") == "登录"
    assert gettext("Sign in", "en") == "Sign in"


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh", "zh_CN"), ("zh-Hans-CN", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-TW", "zh_CN"),
    ("en-US", "en"), ("EN", "en"), ("fr", None), ("", None), (None, None),
])
def test_normalize_locale(tag, expected) -> None:
    assert normalize_locale(tag) == expected


def test_negotiate_honours_quality() -> None:
    assert negotiate("en;q=0.4, zh-CN;q=0.9") == "zh_CN"
    assert negotiate("fr, en;q=0.1") == "en"
    assert negotiate("fr, de") is None
    assert negotiate("en;q=abc, zh") == "zh_CN"
