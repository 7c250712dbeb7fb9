"""Run every benchmark and rewrite bench/RESULTS.md (``make bench``).

Each benchmark script runs in its own process with ``--json``; this script only collects the
figures. Every row compares our figure with a reference measured in the same run, because
these machines are noisy: ratios travel, absolute numbers do not.
Usage: python bench/run_all.py [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, machine

Row = tuple[str, str, str, str, str, str]  # name, ours, reference, ratio, target, verdict


def _run(args: list[str], timeout: int = 3600) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    text = proc.stdout
    start = text.find("{")
    data = json.loads(text[start:])
    data["_seconds"] = round(time.monotonic() - started, 1)
    return data


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def portal_page(quick: bool) -> list[Row]:
    rows: list[Row] = []
    for db in ("sqlite", "postgres"):
        r = _run(["bench/bench_portal_page.py", db, "--json", "--seconds",
                  "1" if quick else "3"])
        rows.append((
            f"Portal project page, {db} (10 milestones, 60 photos)",
            f"{r['ours_per_s']:.0f} req/s (median {r['ours_median_ms']:.2f} ms, "
            f"p99 {r['ours_p99_ms']:.2f} ms)",
            f"bare render {r['bare_per_s']:.0f} req/s; raw driver {r['raw_per_s']:.0f} req/s",
            f"{r['ratio_vs_bare']:.2f}x bare; p99/median {r['p99_over_median']:.1f}",
            f">= {r['target']}x bare, p99 <= 3x median",
            _verdict(r["ratio_vs_bare"] >= r["target"] and r["p99_over_median"] <= 3),
        ))
    return rows


def writes(quick: bool) -> list[Row]:
    rows: list[Row] = []
    for db in ("sqlite", "postgres"):
        r = _run(["bench/bench_writes.py", db, "--json"] + (["--quick"] if quick else []))
        rows.append((
            f"Ticket creation + audit + outbox, {db}",
            f"{r['ours_per_s']:.0f} writes/s ({r['concurrent_locked_errors']} locked errors "
            f"under {r['concurrent_writers']} writers)",
            f"raw driver inserts {r['raw_per_s']:.0f} writes/s",
            f"{r['ratio']:.2f}x raw",
            f">= {r['target']}x raw, 0 locked",
            _verdict(r["ratio"] >= r["target"] and r["concurrent_locked_errors"] == 0),
        ))
    return rows


def photos(quick: bool) -> list[Row]:
    r = _run(["bench/bench_photos.py", "--json", "--runs", "5" if quick else "15"])
    ours, naive = r["ms_median"]["ours"], r["ms_median"]["naive"]
    mem = r["memory"]["ours"]["peak_mb"]
    return [(
        "Photo pipeline, 12 MP JPEG -> thumb + display",
        f"{ours:.0f} ms/photo, peak {mem:.0f} MB, PSNR {r['psnr_display_db']:.1f} dB",
        f"naive Pillow {naive:.0f} ms/photo, peak "
        f"{r['memory']['naive']['peak_mb']:.0f} MB",
        f"{r['speedup']:.2f}x faster (CPU {r['cpu_speedup']:.2f}x)",
        ">= 3x, PSNR >= 40 dB, < 200 MB",
        _verdict(all(r["targets_met"].values())),
    )]


def push(quick: bool) -> list[Row]:
    r = _run(["bench/bench_push.py", "--json"] + (["--repeat", "1"] if quick else []))
    ours, base = r["ours"], r["pywebpush_baseline"]
    return [(
        "Web push fan-out to 10,000 subscriptions",
        f"{ours['msg_per_s']:.0f} msg/s, peak RSS {ours['rss_peak_mb']:.0f} MB "
        f"(start {ours['rss_start_mb']:.0f} MB)",
        f"pywebpush loop {base['msg_per_s']:.0f} msg/s, peak RSS {base['rss_peak_mb']:.0f} MB",
        f"{r['ratio']:.1f}x",
        ">= 5x, bounded memory",
        _verdict(r["ratio"] >= 5 and r["verified"]),
    )]


def _optional(script: str, fn: Callable[[bool], list[Row]]) -> Callable[[bool], list[Row]]:
    def run(quick: bool) -> list[Row]:
        if not (ROOT / script).exists():
            return [(script, "not run: the script does not exist yet", "", "", "", "-")]
        return fn(quick)

    return run


# The generated dataset (homeloop bench-data): 200k customers, 1M tickets, 2M events, 300k
# survey answers. Generating it takes minutes on PostgreSQL and longer on SQLite, so it is
# made once and reused; point these at an existing copy to skip generation.
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", str(ROOT / "var" / "bench-data")))
DATA_PG = os.environ.get("BENCH_DATA_PG", "postgres://postgres@127.0.0.1:5432/homeloop_bench")


def ensure_dataset() -> None:
    env = {**os.environ, "HOMELOOP_SECRET_KEY": "bench", "HOMELOOP_WORKER_IN_PROCESS": "0"}
    if not (DATA_DIR / "homeloop.db").exists():
        print(f"generating the SQLite dataset in {DATA_DIR} (slow, once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "backend.cli", "bench-data", "--data-dir",
                        str(DATA_DIR)], cwd=ROOT, env=env, check=True)
    import asyncpg

    async def has_data() -> bool:
        base, _, name = DATA_PG.rpartition("/")
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
                return False
        finally:
            await admin.close()
        conn = await asyncpg.connect(DATA_PG)
        try:
            return bool(await conn.fetchval(
                "SELECT to_regclass('public.ticket') IS NOT NULL AND "
                "(SELECT count(*) > 0 FROM ticket)"))
        finally:
            await conn.close()

    if not asyncio.run(has_data()):
        print(f"generating the PostgreSQL dataset in {DATA_PG} ...", flush=True)
        subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT,
                       env={**env, "DATABASE_URL": DATA_PG}, check=True)
        subprocess.run([sys.executable, "-m", "backend.cli", "bench-data"], cwd=ROOT,
                       env={**env, "DATABASE_URL": DATA_PG}, check=True)


def queue(quick: bool) -> list[Row]:
    ensure_dataset()
    r = _run(["bench/bench_queue.py", "--sqlite-dir", str(DATA_DIR), "--pg", DATA_PG,
              "--repeat", "20" if quick else "60", "--json"])
    rows: list[Row] = []
    for result in r["results"]:
        for case, c in result.get("cases", {}).items():
            ok = c["page"]["p95_ms"] < r["target_ms"] and c["ratio_p95"] <= r["target_ratio"]
            rows.append((
                f"Triage queue, {result['database']}, {result['tickets']:,} tickets: {case}",
                f"query p95 {c['ours']['p95_ms']:.1f} ms; whole page p95 "
                f"{c['page']['p95_ms']:.1f} ms",
                f"hand-written SQL p95 {c['hand']['p95_ms']:.1f} ms",
                f"{c['ratio_p95']:.2f}x hand SQL",
                f"page p95 < {r['target_ms']} ms (PostgreSQL), <= {r['target_ratio']}x hand",
                _verdict(ok) if result["database"] == "postgres" else "reported",
            ))
    return rows


def dashboards(quick: bool) -> list[Row]:
    ensure_dataset()
    r = _run(["bench/bench_dashboards.py", "--sqlite-dir", str(DATA_DIR), "--pg", DATA_PG,
              "--repeat", "2" if quick else "5", "--json"])
    rows: list[Row] = []
    engines = r["results"]
    for board, pg in engines.get("postgres", {}).items():
        sqlite_ms = engines["sqlite"][board]["median_ms"]
        duck_ms = engines.get("duckdb", {}).get(board, {}).get("median_ms")
        same = not any(m.endswith(f":{board}") for m in r["mismatches"])
        rows.append((
            f"Dashboard '{board}' ({r['period']}), full dataset",
            f"PostgreSQL {pg['median_ms']:.0f} ms; SQLite {sqlite_ms:.0f} ms",
            f"DuckDB {duck_ms:.0f} ms" if duck_ms is not None else "DuckDB not run",
            f"{pg['median_ms'] / duck_ms:.1f}x DuckDB; numbers "
            f"{'identical' if same else 'DIFFER'}" if duck_ms else "",
            "< 300 ms on PostgreSQL, same numbers",
            _verdict(pg["median_ms"] < 300 and same),
        ))
    return rows


BENCHES: dict[str, Callable[[bool], list[Row]]] = {
    "portal_page": portal_page,
    "writes": _optional("bench/bench_writes.py", writes),
    "photos": photos,
    "push": push,
    "queue": _optional("bench/bench_queue.py", queue),
    "dashboards": _optional("bench/bench_dashboards.py", dashboards),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows: list[Row] = []
    for name, fn in BENCHES.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", flush=True)
        try:
            rows.extend(fn(args.quick))
        except Exception as exc:  # one broken benchmark must not hide the others
            rows.append((name, f"failed: {str(exc).splitlines()[0][:200]}", "", "", "", "-"))
    write_results(rows, quick=args.quick)
    print((ROOT / "bench" / "RESULTS.md").read_text())


def write_results(rows: list[Row], *, quick: bool) -> None:
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {dt.date.today().isoformat()}"
        + (" (quick mode)" if quick else "") + ". Each row's reference was measured in the "
        "same run, side by side; compare ratios, not absolute figures.",
        "",
        f"Machine: {info['cores']} cores, {info['memory']} memory, Python {info['python']}, "
        f"SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}.",
        "",
        "| benchmark | ours | reference (same run) | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    load = ROOT / "bench" / "LOAD.md"
    if load.exists():
        lines += ["", load.read_text().strip()]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
