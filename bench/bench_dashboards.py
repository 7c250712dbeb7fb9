"""Dashboard speed on generated data: PostgreSQL, SQLite, and DuckDB as a reference.

    # load the data once per database (same seed and day -> identical rows everywhere)
    homeloop bench-data --data-dir /tmp/bench_sqlite
    DATABASE_URL=postgres://.../bench homeloop bench-data
    python bench/bench_dashboards.py --sqlite-dir /tmp/bench_sqlite --pg postgres://.../bench

Each dashboard's data is computed with the app's own code (``backend.reports``) on each
database, ``--repeat`` times (median and max reported). DuckDB runs the very same SQL over a
copy of the SQLite tables (its sqlite/postgres extensions need a download, so the tables are
exported to CSV and loaded with explicit types); every figure must match exactly across the
three, or the run fails. Prints a table, or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import clock  # noqa: E402
from backend.access import Actor  # noqa: E402
from backend.db import Database, connect  # noqa: E402
from backend.reports import queries  # noqa: E402
from backend.reports.filters import parse_filter  # noqa: E402

TABLES = ("region", "team", "staff_user", "product_line", "customer", "project",
          "project_product", "milestone", "ticket", "work_order", "media", "survey",
          "survey_response", "business_calendar")
TYPES = {"UUID": "UUID", "TIMESTAMP": "TIMESTAMP", "TIMESTAMPTZ": "TIMESTAMP", "DATE": "DATE",
         "INTEGER": "BIGINT", "BIGINT": "BIGINT", "SMALLINT": "BIGINT", "BOOLEAN": "BOOLEAN",
         "REAL": "DOUBLE", "DOUBLE PRECISION": "DOUBLE", "NUMERIC": "DOUBLE"}


class DuckDatabase(Database):
    """The app's Database interface over DuckDB (read-only use). Instants are kept as naive
    UTC TIMESTAMPs (aware ones would need pytz), converted at the boundary."""

    kind = "duckdb"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        bound = [a.astimezone(UTC).replace(tzinfo=None) if isinstance(a, datetime) and a.tzinfo
                 else a for a in args]
        cur = self.conn.cursor()
        cur.execute(sql, bound)
        names = [d[0] for d in cur.description]
        return [{n: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None
                     else v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]

    async def close(self) -> None:
        self.conn.close()

    # The reference engine only answers the dashboards' reads; any write is a bug here.
    async def execute(self, sql: str, *args: Any) -> None:
        raise PermissionError("the DuckDB reference is read-only")

    async def executemany(self, sql: str, rows: Any) -> None:
        raise PermissionError("the DuckDB reference is read-only")

    def transaction(self) -> Any:
        return contextlib.nullcontext()


def load_duckdb(sqlite_path: Path) -> tuple[DuckDatabase, float]:
    """Copy the report tables from SQLite into an in-memory DuckDB through CSV files."""
    import duckdb

    started = time.perf_counter()
    src = sqlite3.connect(sqlite_path)
    duck = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        for table in TABLES:
            info = src.execute(f"PRAGMA table_info({table})").fetchall()
            cols = [(r[1], TYPES.get((r[2] or "TEXT").upper().split("(")[0], "VARCHAR"))
                    for r in info]
            duck.execute(f"CREATE TABLE {table} ("
                         + ", ".join(f'"{c}" {t}' for c, t in cols) + ")")
            path = Path(tmp) / f"{table}.csv"
            stamp = {i for i, (_, t) in enumerate(cols) if t == "TIMESTAMP"}
            rows = 0
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                for row in src.execute(f"SELECT * FROM {table}"):
                    rows += 1
                    out.writerow(["\\N" if v is None else
                                  (str(v)[:26].replace("+00:00", "") if i in stamp else v)
                                  for i, v in enumerate(row)])
            if not rows:
                continue
            types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in cols) + "}"
            duck.execute(f"INSERT INTO {table} SELECT * FROM read_csv('{path}', "
                         "header=false, delim=',', "
                         f"nullstr='\\N', columns={types}, quote='\"', escape='\"')")
    src.close()
    return DuckDatabase(duck), time.perf_counter() - started


def canonical(value: Any) -> Any:
    """The numbers (and labels) of a dashboard, for exact comparison across engines."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: canonical(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()
                if k not in ("charts", "options")}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, uuid.UUID | date | datetime):
        return str(value)
    return value


async def run_engine(name: str, db: Database, boards: list[str], repeat: int,
                     params: dict[str, str]) -> dict[str, Any]:
    manager = Actor(kind="staff", id=uuid.uuid4(), role="manager", name="bench")
    flt = parse_filter(params, manager)
    out: dict[str, Any] = {}
    for board in boards:
        times, data = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            data = await (queries.segments(db, manager, flt) if board == "segments"
                          else queries.board(db, manager, board, flt))
            times.append((time.perf_counter() - started) * 1000)
        out[board] = {"median_ms": statistics.median(times), "max_ms": max(times),
                      "data": canonical(data)}
    await db.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sqlite-dir", required=True, help="data dir loaded by bench-data")
    ap.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL"),
                    help="PostgreSQL URL loaded by bench-data with the same seed")
    ap.add_argument("--boards", default=",".join((*queries.BOARDS, "segments")))
    ap.add_argument("--period", default="30d")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    boards = args.boards.split(",")
    sqlite_path = Path(args.sqlite_dir) / "homeloop.db"
    params = {"period": args.period}
    results: dict[str, Any] = {}
    load_seconds = None
    # One instant for every engine: "now"-relative figures (backlog age) must agree.
    with clock.frozen(clock.now()):
        results["sqlite"] = asyncio.run(run_engine(
            "sqlite", connect(f"sqlite:///{sqlite_path}"), boards, args.repeat, params))
        if args.pg:
            results["postgres"] = asyncio.run(run_engine(
                "postgres", connect(args.pg), boards, args.repeat, params))
        if not args.no_duckdb:
            duck, load_seconds = load_duckdb(sqlite_path)
            results["duckdb"] = asyncio.run(run_engine("duckdb", duck, boards, args.repeat,
                                                       params))
    reference = results["sqlite"]
    mismatches = [f"{engine}:{board}" for engine, res in results.items() for board in boards
                  if res[board]["data"] != reference[board]["data"]]
    if args.json:
        print(json.dumps({"period": args.period, "duckdb_load_seconds": load_seconds,
                          "mismatches": mismatches,
                          "results": {e: {b: {k: v for k, v in r.items() if k != "data"}
                                          for b, r in res.items()}
                                      for e, res in results.items()}}, indent=2))
    else:
        engines = list(results)
        print(f"dashboard server time (ms, median of {args.repeat}; period {args.period})")
        print(f"{'board':<10}" + "".join(f"{e:>14}" for e in engines) + "   same numbers")
        for board in boards:
            same = all(results[e][board]["data"] == reference[board]["data"] for e in engines)
            print(f"{board:<10}" + "".join(f"{results[e][board]['median_ms']:>14.1f}"
                                           for e in engines) + f"   {'yes' if same else 'NO'}")
        if load_seconds is not None:
            print(f"(DuckDB copy of the SQLite tables: {load_seconds:.1f}s, not timed above)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
