"""Fan one event out to 10,000 push subscriptions and compare with a plain pywebpush loop.

How it runs (2 cores): the push peer (``tests/pushpeer.py``) is its own process pinned to the
last CPU; each sending phase runs in a fresh spawned process pinned to the first CPU, so the
two do not share an event loop or a core, and each phase's RSS high-water mark is its own.

* ours: ``PushSender.send_many`` over N subscriptions (one pooled aiohttp session, the VAPID
  header signed once, ``--concurrency`` in flight), results counted through ``on_result``.
* baseline: ``pywebpush.webpush(...)`` called in a loop over a smaller sample, which opens a
  new connection and signs a new VAPID JWT for every message.

The peer verifies every distinct VAPID header and decrypts every ``--decrypt-every``-th body
so that it keeps up while still proving a sample end to end; the run fails if the peer
recorded any error or did not receive every message exactly once.

    .venv/bin/python bench/bench_push.py [--subs 10000] [--baseline 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SUBJECT = "mailto:bench@homeloop.example"
EVENT = {"title": "Your kitchen install is confirmed", "body": "Tuesday 8:00-10:00", "url": "/p/1"}
TTL = 3600


def _pin(cpu_from_end: bool) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1 and not os.environ.get("BENCH_NO_PIN"):
        os.sched_setaffinity(0, {cpus[-1] if cpu_from_end else cpus[0]})


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the peer process ----------------------------------------------------------------------


def _peer_main(conn: Connection, count: int, decrypt_every: int, subs_path: str) -> None:
    _pin(cpu_from_end=True)
    asyncio.run(_peer_serve(conn, count, decrypt_every, subs_path))


async def _peer_serve(conn: Connection, count: int, decrypt_every: int, subs_path: str) -> None:
    from tests.pushpeer import PushPeer

    loop = asyncio.get_running_loop()
    async with PushPeer(decrypt_every=decrypt_every) as peer:
        subs = [peer.new_subscription().to_json() for _ in range(count)]
        Path(subs_path).write_text(json.dumps(subs))
        conn.send(peer.origin)
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            assert command == "stats"
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(
                {
                    **peer.stats(),
                    "cpu_s": usage.ru_utime + usage.ru_stime,
                    "first_errors": peer.errors[:3],
                }
            )


# --- the sending phases ---------------------------------------------------------------------


def _load(subs_path: str, start: int, stop: int) -> list[dict[str, Any]]:
    return json.loads(Path(subs_path).read_text())[start:stop]


def _ours(subs_path: str, start: int, stop: int, key_pem: str, concurrency: int) -> dict:
    _pin(cpu_from_end=False)
    from backend.notifications.push import Outcome, PushMessage, PushSender, Subscription
    from backend.notifications.vapid import VapidKeys, VapidSigner

    subs = [Subscription.from_json(s) for s in _load(subs_path, start, stop)]
    signer = VapidSigner(VapidKeys.from_text(key_pem), subject=SUBJECT)
    msg = PushMessage(EVENT, ttl=TTL, urgency="high", topic=PushMessage.topic_for("project:1"))
    counts: dict[str, int] = {}

    def tally(result: Any) -> None:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1

    async def run() -> float:
        async with PushSender(signer, allow_http=True, limit_per_host=concurrency) as sender:
            began = time.perf_counter()
            await sender.send_many(
                ((s, msg) for s in subs), concurrency=concurrency, on_result=tally
            )
            return time.perf_counter() - began

    rss_before = _rss_now_mb()
    cpu = time.process_time()
    seconds = asyncio.run(run())
    cpu = time.process_time() - cpu
    return {
        "sent": len(subs),
        "delivered": counts.get(Outcome.DELIVERED, 0),
        "seconds": seconds,
        "msg_per_s": len(subs) / seconds,
        "vapid_signatures": signer.signatures,
        "sender_cpu_share": cpu / seconds,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _rss_peak_mb(),
    }


def _baseline(subs_path: str, start: int, stop: int, key_pem: str) -> dict:
    _pin(cpu_from_end=False)
    from pywebpush import webpush

    from backend.notifications.vapid import VapidKeys

    subs = _load(subs_path, start, stop)
    raw_key = VapidKeys.from_text(key_pem).private_key_b64
    data = json.dumps(EVENT, separators=(",", ":"))
    rss_before = _rss_now_mb()
    delivered = 0
    cpu = time.process_time()
    began = time.perf_counter()
    for sub in subs:
        response = webpush(
            sub, data, vapid_private_key=raw_key, vapid_claims={"sub": SUBJECT}, ttl=TTL, timeout=10
        )
        delivered += response.status_code == 201
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return {
        "sent": len(subs),
        "delivered": delivered,
        "seconds": seconds,
        "msg_per_s": len(subs) / seconds,
        "vapid_signatures": len(subs),
        "sender_cpu_share": cpu / seconds,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _rss_peak_mb(),
    }


def _in_subprocess(ctx: Any, fn: Any, *args: Any) -> dict:
    with ctx.Pool(1) as pool:  # a fresh spawned interpreter: its own RSS high-water mark
        return pool.apply(fn, args)


def _summary(runs: list[dict]) -> dict:
    """Median throughput (this machine is noisy) and the worst RSS high-water mark."""
    return {
        "sent": runs[0]["sent"],
        "msg_per_s": statistics.median(r["msg_per_s"] for r in runs),
        "msg_per_s_runs": [round(r["msg_per_s"]) for r in runs],
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
        "rss_start_mb": max(r["rss_before_mb"] for r in runs),
        "vapid_signatures_per_run": runs[0]["vapid_signatures"],
        "sender_cpu_share": statistics.median(r["sender_cpu_share"] for r in runs),
        "peer_cpu_share": statistics.median(r["peer_cpu_share"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subs", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--decrypt-every", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each phase")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    from backend.notifications.vapid import VapidKeys

    key_pem = VapidKeys.generate().private_pem().decode()
    ctx = mp.get_context("spawn")
    total = args.subs + args.baseline
    runs: dict[str, list[dict]] = {"ours": [], "baseline": []}
    with tempfile.TemporaryDirectory() as tmp:
        subs_path = str(Path(tmp) / "subs.json")
        ours_end, theirs = ctx.Pipe()
        peer = ctx.Process(target=_peer_main, args=(theirs, total, args.decrypt_every, subs_path))
        peer.start()
        try:
            ours_end.recv()  # the peer's origin: it is listening and the subscriptions exist

            def peer_cpu() -> float:
                ours_end.send("stats")
                return ours_end.recv()["cpu_s"]

            phases = {
                "ours": (_ours, 0, args.subs, key_pem, args.concurrency),
                "baseline": (_baseline, args.subs, total, key_pem),
            }
            for _ in range(args.repeat):
                for name, (fn, *fn_args) in phases.items():
                    cpu = peer_cpu()
                    run = _in_subprocess(ctx, fn, subs_path, *fn_args)
                    run["peer_cpu_share"] = (peer_cpu() - cpu) / run["seconds"]
                    runs[name].append(run)
            ours_end.send("stats")
            final = ours_end.recv()
            ours_end.send("stop")
        finally:
            peer.join(timeout=10)
            if peer.is_alive():
                peer.terminate()

    ok = (
        final["errors"] == 0
        and final["received"] == total * args.repeat
        and final["distinct_endpoints"] == total
        and all(r["delivered"] == r["sent"] for rs in runs.values() for r in rs)
    )
    ours, base = _summary(runs["ours"]), _summary(runs["baseline"])
    report = {
        "ours": ours,
        "pywebpush_baseline": base,
        "ratio": ours["msg_per_s"] / base["msg_per_s"],
        "peer": {k: v for k, v in final.items() if k != "cpu_s"},
        "verified": ok,
        "cpus": len(os.sched_getaffinity(0)),
        "concurrency": args.concurrency,
        "how": "peer and every phase run in separate spawned processes, pinned to different "
        "CPUs; phases alternate; msg/s is the median of the runs, RSS the highest peak",
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, phase in (("PushSender", ours), ("pywebpush loop", base)):
            print(
                f"{name:15} {phase['sent']:6} msgs  {phase['msg_per_s']:6.0f} msg/s "
                f"{phase['msg_per_s_runs']}  peak RSS {phase['rss_peak_mb']:.1f} MB "
                f"(start {phase['rss_start_mb']:.1f})  CPU sender {phase['sender_cpu_share']:.0%} "
                f"peer {phase['peer_cpu_share']:.0%}"
            )
        print(
            f"ratio {report['ratio']:.1f}x; peer verified {final['signatures_verified']} JWTs, "
            f"decrypted {final['decrypted']}, errors {final['errors']}; ok={ok}"
        )
    if not ok:
        sys.exit(f"verification failed: {final}")


if __name__ == "__main__":
    main()
