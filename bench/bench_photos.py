"""Benchmark backend.media.pipeline against a naive Pillow pipeline on a 12 MP camera JPEG.

    .venv/bin/python bench/bench_photos.py [--runs 15] [--photo PATH] [--json]

Speed: both pipelines run in this process, interleaved (ours, naive, naive, ours, ...) after
one warm-up each; the median wall time per photo is reported.

Memory: each pipeline runs once in a fresh child process (``--worker``), which reports its
own peak RSS before and after processing: ``VmHWM`` from /proc/self/status on Linux, else
``getrusage(RUSAGE_SELF).ru_maxrss``. Not ``ru_maxrss`` on Linux, and not the parent's
``RUSAGE_CHILDREN`` delta: Linux carries the parent's high-water mark across fork/exec into
the child's ``ru_maxrss`` (measured here: 188 MB in a child that never decoded a photo).
``peak_mb`` is the child's whole peak (interpreter, Pillow, the file's bytes and the decode);
``delta_mb`` is what processing added to the baseline taken after imports. RSS rather than
tracemalloc because Pillow's pixel buffers are allocated in C, where tracemalloc cannot see
them.

Quality: PSNR of our display JPEG against the naive display JPEG (both decoded), computed
with Pillow's ImageChops/ImageStat (numpy is not a dependency).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import PIL  # noqa: E402
from PIL import Image, ImageChops, ImageOps, ImageStat  # noqa: E402

from backend.media.pipeline import DEFAULT_LIMITS, JPEG_QUALITY, process_photo  # noqa: E402

DEFAULT_PHOTO = REPO.parent / "shared" / "fixtures" / "photos" / "olympus-12mp.jpg"
TARGETS = {"speedup": 3.0, "psnr_db": 40.0, "peak_mb": 200.0}


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def naive(data: bytes) -> dict[str, bytes]:
    """What most tutorials do: full decode, exif_transpose, LANCZOS from full size."""
    im = Image.open(BytesIO(data))
    im.load()
    im = ImageOps.exif_transpose(im).convert("RGB")
    out = {}
    for name, edge in (
        ("thumb", DEFAULT_LIMITS.thumb_edge),
        ("display", DEFAULT_LIMITS.display_edge),
    ):
        buf = BytesIO()
        im.resize(fit(im.size, edge), Image.Resampling.LANCZOS).save(
            buf, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=name == "display"
        )
        out[name] = buf.getvalue()
    return out


def ours(data: bytes) -> dict[str, bytes]:
    return {name: v.data for name, v in process_photo(data).variants.items()}


PIPELINES: dict[str, Callable[[bytes], dict[str, bytes]]] = {"ours": ours, "naive": naive}


def psnr(a_jpeg: bytes, b_jpeg: bytes) -> float:
    a, b = (Image.open(BytesIO(x)).convert("RGB") for x in (a_jpeg, b_jpeg))
    if a.size != b.size:
        raise SystemExit(f"variant sizes differ: {a.size} vs {b.size}")
    sum_sq = sum(ImageStat.Stat(ImageChops.difference(a, b)).sum2)
    mse = sum_sq / (a.width * a.height * 3)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def peak_rss_kb() -> int:
    """This process's own RSS high-water mark, in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def worker(name: str, photo: Path) -> None:
    """Child process body: report baseline and peak RSS around one run."""
    data = photo.read_bytes()
    before = peak_rss_kb()
    PIPELINES[name](data)
    print(json.dumps({"baseline_kb": before, "peak_kb": peak_rss_kb()}))


def measure_memory(name: str, photo: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", name, "--photo", str(photo)]
    child = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return {
        "peak_mb": round(child["peak_kb"] / 1024, 1),
        "delta_mb": round((child["peak_kb"] - child["baseline_kb"]) / 1024, 1),
    }


def measure_speed(data: bytes, runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds per run. CPU time (this thread; Pillow does the work on the
    calling thread) is also reported because on a shared machine other processes' load
    inflates wall time run by run."""
    wall: dict[str, list[float]] = {name: [] for name in PIPELINES}
    cpu: dict[str, list[float]] = {name: [] for name in PIPELINES}
    for fn in PIPELINES.values():
        fn(data)  # warm-up: imports, codec tables, page faults
    for i in range(runs):
        order = list(PIPELINES) if i % 2 == 0 else list(reversed(PIPELINES))
        for name in order:
            start, start_cpu = time.perf_counter(), time.thread_time()
            PIPELINES[name](data)
            cpu[name].append((time.thread_time() - start_cpu) * 1000)
            wall[name].append((time.perf_counter() - start) * 1000)
    return wall, cpu


def run(photo: Path, runs: int) -> dict:
    data = photo.read_bytes()
    times, cpu = measure_speed(data, runs)
    memory = {name: measure_memory(name, photo) for name in PIPELINES}
    ours_out, naive_out = ours(data), naive(data)
    median = {name: statistics.median(t) for name, t in times.items()}
    result = {
        "photo": photo.name,
        "photo_bytes": len(data),
        "runs": runs,
        "ms_median": {k: round(v, 1) for k, v in median.items()},
        "ms_min": {k: round(min(t), 1) for k, t in times.items()},
        "speedup": round(median["naive"] / median["ours"], 2),
        "cpu_ms_median": {k: round(statistics.median(t), 1) for k, t in cpu.items()},
        "cpu_speedup": round(statistics.median(cpu["naive"]) / statistics.median(cpu["ours"]), 2),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "memory": memory,
        "psnr_display_db": round(psnr(ours_out["display"], naive_out["display"]), 2),
        "psnr_thumb_db": round(psnr(ours_out["thumb"], naive_out["thumb"]), 2),
        "variant_bytes": {
            k: {n: len(b) for n, b in v.items()}
            for k, v in (("ours", ours_out), ("naive", naive_out))
        },
        "env": {
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
    }
    result["targets"] = TARGETS
    result["targets_met"] = {
        "speedup": result["speedup"] >= TARGETS["speedup"],
        "psnr_db": result["psnr_display_db"] >= TARGETS["psnr_db"],
        "peak_mb": memory["ours"]["peak_mb"] < TARGETS["peak_mb"],
    }
    return result


def print_table(r: dict) -> None:
    print(
        f"{r['photo']} ({r['photo_bytes'] / 1e6:.1f} MB), {r['runs']} interleaved runs, "
        f"Pillow {r['env']['pillow']}, {r['env']['cpus']} CPUs, load {r['load_avg_1min']}"
    )
    print(
        f"{'pipeline':<10}{'median ms':>11}{'min ms':>9}{'CPU ms':>9}{'peak RSS MB':>13}{'+ MB':>7}"
    )
    for name in PIPELINES:
        mem = r["memory"][name]
        print(
            f"{name:<10}{r['ms_median'][name]:>11.1f}{r['ms_min'][name]:>9.1f}"
            f"{r['cpu_ms_median'][name]:>9.1f}{mem['peak_mb']:>13.1f}{mem['delta_mb']:>7.1f}"
        )
    met = r["targets_met"]
    print(
        f"speed-up {r['speedup']:.2f}x wall, {r['cpu_speedup']:.2f}x CPU "
        f"(target >= 3x wall: {'ok' if met['speedup'] else 'MISSED'})"
    )
    print(
        f"PSNR display {r['psnr_display_db']:.2f} dB (target >= 40: "
        f"{'ok' if met['psnr_db'] else 'MISSED'}); thumb {r['psnr_thumb_db']:.2f} dB"
    )
    print(
        f"peak RSS ours {r['memory']['ours']['peak_mb']:.1f} MB (target < 200: "
        f"{'ok' if met['peak_mb'] else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--worker", choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.photo)
        return
    if not args.photo.is_file():
        raise SystemExit(f"benchmark photo not found: {args.photo}")
    result = run(args.photo, args.runs)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(result)


if __name__ == "__main__":
    main()
