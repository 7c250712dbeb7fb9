"""Browser tests: a real ``homeloop serve`` on loopback with the demo company, driven by
Playwright in Debian's headless Chromium. Sign-in codes travel by real SMTP to a loopback
aiosmtpd server, where the tests read them, exactly as a homeowner would from their inbox.
"""

from __future__ import annotations

import contextlib
import email
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "homeloop-demo"
DEMO_OWNER_EMAIL = "owner1@example.cn"  # the demo homeowner, 王芳 (+8613800000001)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    raw: list[bytes] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [email.message_from_bytes(data) for data in self.raw]

    def latest_code(self, to: str, *, after: int = 0, timeout: float = 10.0) -> str:
        """The 6-digit code in the newest mail to ``to`` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages[after:]):
                if message["To"] == to:
                    body = message.get_payload(decode=True).decode("utf-8")
                    found = re.search(r"\b(\d{6})\b", body)
                    if found:
                        return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no sign-in code arrived for {to}")


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    database_url: str
    mailbox: Mailbox
    process: subprocess.Popen[bytes]

    def db_query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read the server's SQLite database directly (checks after a browser flow)."""
        import sqlite3

        with sqlite3.connect(self.data_dir / "homeloop.db") as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run scripts/ensure-chromium.sh (make test does)")
    from tests.smtp import smtp_peer

    mailbox = Mailbox()
    stack = contextlib.ExitStack()
    peer = stack.enter_context(smtp_peer())
    mailbox.raw = peer.raw
    smtp_port = peer.port
    data_dir = Path(tempfile.mkdtemp(prefix="homeloop-e2e-"))
    port = _free_port()
    env = os.environ.copy()
    env.update({
        "HOMELOOP_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'homeloop.db'}",
        "HOMELOOP_SECRET_KEY": "e2e-secret",
        "HOMELOOP_BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
    })
    env.pop("HOMELOOP_WORKER_IN_PROCESS", None)
    seeded = subprocess.run([sys.executable, "-m", "backend.cli", "demo", "--no-serve"],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert seeded.returncode == 0, seeded.stderr
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--no-migrate"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text())
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the server did not start:\n" + (data_dir / "server.log").read_text())
    server = LiveServer(url, data_dir, env["DATABASE_URL"], mailbox, process)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    stack.close()
    log.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                  headless=True)
    yield browser
    browser.close()


@pytest.fixture
def phone_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="zh-CN", device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def phone_page(phone_context: Any) -> Any:
    return phone_context.new_page()


@pytest.fixture
def desktop_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def desktop_page(desktop_context: Any) -> Any:
    return desktop_context.new_page()


def sign_in_homeowner(page: Any, server: LiveServer, email_address: str = DEMO_OWNER_EMAIL
                      ) -> None:
    """Sign in through the real code flow: request a code, read it from the mailbox."""
    before = len(server.mailbox.messages)
    page.goto(f"{server.url}/portal/sign-in")
    page.fill("#f-contact", email_address)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_selector("#f-code")
    code = server.mailbox.latest_code(email_address, after=before)
    page.fill("#f-code", code)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/portal/?$"))


def sign_in_staff(page: Any, server: LiveServer, surface: str, email_address: str,
                  password: str = DEMO_PASSWORD) -> None:
    """Sign in to the field app ("field") or the desk ("desk") with a password."""
    page.goto(f"{server.url}/{surface}/sign-in")
    page.fill("#f-email", email_address)
    page.fill("#f-password", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf".*/{surface}/?$"))
