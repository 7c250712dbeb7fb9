"""Run every benchmark and rewrite bench/RESULTS.md (``make bench``).

Each benchmark script runs in its own process with ``--json``; this script only collects the
figures. Every row compares our figure with a reference measured in the same run, because
these machines are noisy: ratios travel, absolute numbers do not.
Usage: python bench/run_all.py [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def queue(quick: bool) -> list[Row]:
    r = _run(["bench/bench_queue.py", "--json"] + (["--quick"] if quick else []))
    return [tuple(row) for row in r.get("rows", [])]  # type: ignore[misc]


def dashboards(quick: bool) -> list[Row]:
    r = _run(["bench/bench_dashboards.py", "--json"] + (["--quick"] if quick else []))
    return [tuple(row) for row in r.get("rows", [])]  # type: ignore[misc]


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
