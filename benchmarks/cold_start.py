"""Cold start: seconds from a fresh process to the first training batch of a just-unpacked Pets copy.

    .venv/bin/python benchmarks/cold_start.py                      # before and after, 2 rounds
    .venv/bin/python benchmarks/cold_start.py --before-code DIR    # "before" = utils in DIR
    .venv/bin/python benchmarks/cold_start.py --measure --cache C  # one measurement (a child)

A new Colab runtime finds the two official archives unpacked in the course cache and no
remembered file checks. This script makes that state from the benchmark's 7,390-photo
folder (``bench_data.py``): ``<cache>/datasets/images_extracted/images`` and
``annotations_extracted/annotations`` (symbolic links to the same files), each with the
marker ``fetch_archive`` writes, and removes ``<cache>/checks`` before every
measurement. Each measurement runs in its own process:

1. ``import tensorflow, keras, utils.pets`` (not timed: every way needs it);
2. timed: ``pets.load_pets_index(cache_dir=...)`` (finds the unpacked download, no network),
   ``split_records`` and ``make_dataset(train, (200, 200), 64, shuffle=True)`` at the
   lecture's full-scale settings, then the first batch;
3. then the rest of the first pass, for at most ``--max-seconds``, for its photos/s.

``before``: the marker of an older course (no md5 recorded), so every photo is checked up
front as before; with ``--before-code DIR`` the ``utils`` of DIR (an older checkout) run
instead. ``after``: the marker names the official md5s, so the index trusts the manifest
and training checks each photo as it reaches it. Prints one JSON line per measurement
and a summary line; the goal is a first batch in under 3 s after unpacking.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from common import ROOT, Timer, current_rss_mb, emit, peak_rss_mb, read_result

process_timer = Timer()


def cpu_seconds() -> float:
    """CPU time of this process and its threads (less shaken by other work than wall time)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


GOAL_S = 3.0


def make_unpacked(cache: Path, verified: bool) -> Path:
    """``cache/datasets/*_extracted`` as fetch_archive leaves them, from the benchmark folder."""
    from bench_data import build_bench_set

    from utils import manifest

    bench, _ = build_bench_set()
    for fname, member in (
        ("images.tar.gz", "images"),
        ("annotations.tar.gz", "annotations"),
    ):
        extracted = cache / "datasets" / f"{member}_extracted"
        if not (extracted / member).exists():
            shutil.copytree(bench / member, extracted / member, symlinks=True)
        md5 = manifest.PETS.archives[fname]
        (extracted / ".course-extracted").write_text(
            json.dumps({"archive": fname, "md5": md5}) if verified else ""
        )
    shutil.rmtree(
        cache / "checks", ignore_errors=True
    )  # a fresh runtime remembers nothing
    return cache


def measure(cache: Path, max_seconds: float) -> dict:
    import keras  # noqa: F401
    import tensorflow as tf  # noqa: F401

    from utils import pets

    import_s = process_timer()
    timer, cpu0 = Timer(), cpu_seconds()
    index = pets.load_pets_index(cache_dir=cache, verbose=False)
    index_s, index_cpu = timer(), cpu_seconds() - cpu0
    train, _ = pets.split_records(index.records, val_count=1000)
    ds = pets.make_dataset(train, (200, 200), 64, shuffle=True)
    first_batch_s, seen = None, 0
    for x, _ in ds:
        seen += int(x.shape[0])
        if first_batch_s is None:
            first_batch_s = timer()
            first_batch_cpu = cpu_seconds() - cpu0
            after_first = seen
        if timer() - first_batch_s > max_seconds:
            break
    total_s = timer()
    rate_window = total_s - first_batch_s
    return {
        "kind": "cold_start",
        "index_s": round(index_s, 3),
        "first_batch_s": round(first_batch_s, 3),
        "index_cpu_s": round(index_cpu, 2),
        "first_batch_cpu_s": round(first_batch_cpu, 2),
        "load_average": os.getloadavg(),
        "photos": len(index.records),
        "skipped": len(index.skipped),
        "verified": bool(index.source and getattr(index.source, "verified", False)),
        "after_first_batch_images_per_s": round((seen - after_first) / rate_window, 1)
        if rate_window > 0
        else None,
        "timed_images": seen,
        "import_s": round(import_s, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_end_mb": round(current_rss_mb(), 1),
    }


def run_child(cache: Path, code: Path | None, max_seconds: float) -> dict:
    env = dict(os.environ)
    for name in ("COURSE_DATA_DIR", "COURSE_DATA", "COURSE_MAX_STEPS"):
        env.pop(name, None)
    env["COURSE_CACHE_DIR"] = str(cache)
    if code is not None:  # an older utils first on the path (common.py adds this one)
        env["COLD_START_CODE"] = str(code.resolve())
    done = subprocess.run(
        [sys.executable, __file__, "--measure", "--cache", str(cache)]
        + ["--max-seconds", str(max_seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    result = read_result(done.stdout)
    if result is None:
        raise RuntimeError(
            f"measurement failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=ROOT / ".cache" / "bench" / "cold-start"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=15.0)
    parser.add_argument("--before-code", type=Path, default=None)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        code = os.environ.get("COLD_START_CODE")
        if code:
            sys.path.insert(0, code)
        emit(measure(args.cache, args.max_seconds))
        return

    runs = {"before": [], "after": []}
    for _ in range(args.rounds):  # alternate, so that a change in load hits both
        for label in runs:
            make_unpacked(args.cache, verified=label == "after")
            code = args.before_code if label == "before" else None
            result = dict(run_child(args.cache, code, args.max_seconds), label=label)
            result["code"] = str(code) if code else "this checkout"
            runs[label].append(result)
            print(json.dumps(result), flush=True)
    summary = {
        label: {
            "first_batch_s": [r["first_batch_s"] for r in rs],
            "median_first_batch_s": statistics.median(r["first_batch_s"] for r in rs),
            "images_per_s": [r["after_first_batch_images_per_s"] for r in rs],
        }
        for label, rs in runs.items()
    }
    after = summary["after"]["median_first_batch_s"]
    summary["goal"] = (
        f"first batch < {GOAL_S:g} s: {'PASS' if after < GOAL_S else 'FAIL'} ({after:.2f} s)"
    )
    summary["load_average"] = os.getloadavg()
    emit({"kind": "cold_start_summary", **summary})


if __name__ == "__main__":
    main()
