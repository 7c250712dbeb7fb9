"""Shared helpers for benchmarks: a throwaway database, an in-process ASGI driver, stats."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def prepare_environment(kind: str) -> Path:
    """Point the app at a fresh database of ``kind`` ("sqlite" or "postgres") and migrate it.

    Must run before any backend module reads its settings.
    """
    data = Path(tempfile.mkdtemp(prefix="homeloop-bench-"))
    os.environ["HOMELOOP_DATA_DIR"] = str(data)
    os.environ["HOMELOOP_SECRET_KEY"] = "bench"
    os.environ["HOMELOOP_WORKER_IN_PROCESS"] = "0"
    if kind == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{data / 'bench.db'}"
    else:
        os.environ["DATABASE_URL"] = PG_URL
        import asyncpg

        async def reset() -> None:
            conn = await asyncpg.connect(PG_URL)
            await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
            await conn.close()

        asyncio.run(reset())
    env = os.environ.copy()
    subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return data


class AsgiDriver:
    """Calls an ASGI app directly (no network, no HTTP client) and returns status and size."""

    def __init__(self, app: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.headers = headers or []

    async def get(self, url: str) -> tuple[int, int]:
        path, _, query = url.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "headers": self.headers,
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
        }
        status = 0
        size = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, size


async def measure(fn: Callable[[], Awaitable[Any]], *, seconds: float = 3.0,
                  warmup: int = 50) -> dict[str, float]:
    """Run ``fn`` back to back for about ``seconds``; latency percentiles and throughput."""
    for _ in range(warmup):
        await fn()
    samples: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    samples.sort()
    return {
        "n": len(samples),
        "per_s": len(samples) / total,
        "median_ms": statistics.median(samples) * 1000,
        "p99_ms": samples[int(len(samples) * 0.99) - 1] * 1000,
    }


def machine() -> dict[str, str]:
    import sqlite3

    info = {"cores": str(os.cpu_count()), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        info["memory"] = f"{kb / 1024 / 1024:.0f} GiB"
    except OSError:
        info["memory"] = "?"
    try:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-Atc",
                              "show server_version"], capture_output=True, text=True,
                             timeout=10, check=False)
        info["postgresql"] = out.stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        info["postgresql"] = "?"
    return info
