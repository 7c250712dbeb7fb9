"""Test setup: a real database (SQLite temp file, or PostgreSQL from HOMELOOP_TEST_DB).

Settings are cached, so the environment is set here before any app module reads it. The
schema is migrated once per session with the same code as ``homeloop migrate``; tests create
their own rows with random ids, so they never depend on each other.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
_TMP = Path(tempfile.mkdtemp(prefix="homeloop-test-"))
_TARGET = os.environ.get("HOMELOOP_TEST_DB", "sqlite")

os.environ["HOMELOOP_DATA_DIR"] = str(_TMP / "data")
os.environ["HOMELOOP_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["HOMELOOP_CODE_SENDER"] = "console"
os.environ["HOMELOOP_WORKER_IN_PROCESS"] = "0"  # tests run the worker when they want it
if _TARGET == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'data' / 'test.db'}"
else:
    os.environ["DATABASE_URL"] = _TARGET
os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")

IS_POSTGRES = not os.environ["DATABASE_URL"].startswith("sqlite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (HOMELOOP_TEST_DB)"))


def _reset_postgres(url: str) -> None:
    import asyncpg

    async def reset() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()

    asyncio.run(reset())


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> str:
    """Migrate the test database once, in a subprocess exactly as the CLI does it."""
    (_TMP / "data").mkdir(parents=True, exist_ok=True)
    if IS_POSTGRES:
        _reset_postgres(os.environ["DATABASE_URL"])
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT, env=os.environ.copy(),
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migration failed:\n{result.stdout}\n{result.stderr}")
    return os.environ["DATABASE_URL"]


@pytest.fixture
async def db():  # type: ignore[no-untyped-def]
    from backend.db import get_db

    return get_db()


@pytest.fixture(scope="session")
def app():  # type: ignore[no-untyped-def]
    from backend.web.app import create_app

    return create_app()


@pytest.fixture
def codes() -> Iterator[list[tuple[str, str]]]:
    """Sign-in codes 'sent' during a test, as (target, code): a fake at the sender port."""
    from backend.accounts import senders

    sent: list[tuple[str, str]] = []

    class Recorder:
        async def send(self, *, channel: str, target: str, code: str, locale: str) -> None:
            sent.append((target, code))

    senders.set_sender(Recorder())
    yield sent
    senders.set_sender(None)


@pytest.fixture
async def client(app) -> AsyncIterator:  # type: ignore[no-untyped-def]
    from tests.http_client import Client

    async with Client(app) as c:
        yield c


@pytest.fixture
def photos_dir() -> Path:
    folder = SHARED / "fixtures" / "photos"
    if not folder.is_dir():
        pytest.skip(f"shared photo fixtures not found at {folder} (clone shared/ beside the repo)")
    return folder
