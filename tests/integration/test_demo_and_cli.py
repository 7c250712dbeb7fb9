"""The demo company, the CLI and code delivery over real SMTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IS_POSTGRES, ROOT

pytestmark = pytest.mark.integration


def _cli(*args: str, data_dir: Path, input_text: str | None = None,
         env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    env["HOMELOOP_DATA_DIR"] = str(data_dir)
    env.pop("HOMELOOP_SECRET_KEY", None)
    if not IS_POSTGRES:
        env["DATABASE_URL"] = f"sqlite:///{data_dir / 'homeloop.db'}"
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, input=input_text, timeout=300,
                          check=False)


@pytest.mark.skipif(IS_POSTGRES, reason="the demo seeds its own SQLite file; run once")
def test_demo_seeds_once_and_prints_accounts(tmp_path: Path) -> None:
    first = _cli("demo", "--no-serve", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    for text in ("+8613800000001", "tech@demo.homeloop.cn", "agent@demo.homeloop.cn",
                 "admin@demo.homeloop.cn", "homeloop-demo"):
        assert text in first.stdout
    second = _cli("demo", "--no-serve", data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    import sqlite3

    conn = sqlite3.connect(tmp_path / "homeloop.db")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("customer", "project", "staff_user", "ticket", "work_order", "media",
                        "survey_response")}
    assert counts["customer"] == 50 and counts["staff_user"] == 10
    assert counts["project"] == 48 and counts["ticket"] == 30 and counts["media"] == 40
    assert counts["work_order"] > 5 and counts["survey_response"] == 40
    stages = {r[0] for r in conn.execute("SELECT DISTINCT current_stage FROM project")}
    assert stages == {"measure", "design", "contract", "production", "delivery", "install",
                      "acceptance", "warranty"}
    states = {r[0] for r in conn.execute("SELECT DISTINCT status FROM ticket")}
    assert states == {"new", "open", "waiting", "scheduled", "resolved", "closed"}
    assert conn.execute("SELECT count(*) FROM milestone WHERE estimated_end > planned_end"
                        ).fetchone()[0] > 0
    assert (tmp_path / "secret_key").exists()
    files = list((tmp_path / "media").rglob("*.jpg"))
    assert len(files) == 80


def test_cli_help_lists_the_commands(tmp_path: Path) -> None:
    out = _cli("--help", data_dir=tmp_path)
    for command in ("serve", "demo", "migrate", "create-user"):
        assert command in out.stdout


@pytest.mark.skipif(IS_POSTGRES, reason="uses its own SQLite file")
def test_create_user_validates_and_creates(tmp_path: Path) -> None:
    bad = _cli("create-user", "--email", "nope", "--name", "X", "--role", "admin",
               "--password", "short", data_dir=tmp_path)
    assert bad.returncode == 2
    assert "Enter a valid e-mail address." in bad.stderr
    assert "at least 10 characters" in bad.stderr
    ok = _cli("create-user", "--email", "Boss@Example.com", "--name", "Boss", "--role",
              "admin", "--password", "a-long-password", data_dir=tmp_path)
    assert ok.returncode == 0, ok.stderr
    again = _cli("create-user", "--email", "boss@example.com", "--name", "Boss", "--role",
                 "admin", "--password", "a-long-password", data_dir=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


async def test_sign_in_code_arrives_by_real_smtp(db) -> None:

    from dataclasses import replace

    from backend.accounts.senders import SmtpSender
    from backend.config import get_settings
    from tests.smtp import smtp_peer

    with smtp_peer() as peer:
        settings = replace(get_settings(), smtp_host="127.0.0.1", smtp_port=peer.port)
        sender = SmtpSender(settings)
        await sender.send(channel="email", target="mei@example.com", code="123456",
                          locale="zh_CN")
        for _ in range(50):
            if peer.raw:
                break
            await asyncio.sleep(0.05)
    received = peer.raw
    assert received
    from email import message_from_bytes
    from email.header import decode_header, make_header

    message = message_from_bytes(received[0])
    assert str(make_header(decode_header(message["Subject"]))) == "您的 HomeLoop 登录验证码"
    assert message["To"] == "mei@example.com"
    assert "123456" in message.get_payload(decode=True).decode("utf-8")
