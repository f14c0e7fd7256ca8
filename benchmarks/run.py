"""Runs every benchmark on this machine, prints one table and writes benchmarks/results.json.

    .venv/bin/python benchmarks/run.py                      # the full run (an estimated 8-12 minutes on 2 quiet cores)
    .venv/bin/python benchmarks/run.py --quick              # small sizes, to check that everything works
    .venv/bin/python benchmarks/run.py --skip-course-cost   # without the notebooks, tests and book build
    .venv/bin/python benchmarks/run.py --variants           # also time tf.data settings other than the defaults
    .venv/bin/python benchmarks/run.py --parts precision    # only float32 vs mixed_bfloat16 (about 3 minutes)

1. Makes (once) a Pets folder with 7,390 photos in the official layout in ``.cache/bench``:
   the real sample's photos repeated under new names, as symbolic links (benchmarks/bench_data.py).
2. Runs each measurement in its own process, one after another, so that each one's peak
   memory is its own: the input pipelines (input_pipeline.py), the training speed of the
   chapter 2 model (train_throughput.py), float32 against mixed_bfloat16 for two of the
   course's models at their cpu-scale sizes (train_throughput.py --feed random), the
   course's own checks (course_cost.py) and, when this machine has a GPU, the GPU
   benchmark (gpu.py).
3. Prints one Markdown table and writes everything, with the machine, the date and the
   command, to ``benchmarks/results.json`` (``results-quick.json`` with ``--quick``).
   ``--parts`` with fewer parts replaces only those parts' entries in that file (each
   keeps the date, machine and commit it was measured with).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from common import BENCH_DIR, ROOT, Timer, machine_info, read_result

PY = sys.executable


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return rev + ("+changes" if dirty else "") if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict:
    done = subprocess.run(
        [
            PY,
            "-c",
            "import tensorflow as tf, keras, numpy; "
            "print(tf.__version__, keras.__version__, numpy.__version__)",
        ],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    parts = (done.stdout.split() + ["?"] * 3)[:3]
    return dict(zip(("tensorflow", "keras", "numpy"), parts))


def child_env() -> dict:
    return dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")


class Runner:
    """Runs one benchmark script after another and keeps their logs."""

    def __init__(self, log_dir: Path, total: int):
        self.log_dir, self.total, self.done = log_dir, total, 0
        log_dir.mkdir(parents=True, exist_ok=True)

    def __call__(self, label: str, script: str, args, timeout: float) -> dict:
        self.done += 1
        command = [PY, str(BENCH_DIR / script), *[str(a) for a in args]]
        print(f"[{self.done}/{self.total}] {label} ...", end=" ", flush=True)
        timer = Timer()
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=child_env(),
            )
            stdout, stderr, code = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as error:
            stdout = (
                error.stdout.decode()
                if isinstance(error.stdout, bytes)
                else (error.stdout or "")
            )
            stderr, code = f"timed out after {timeout:.0f} s", None
        seconds = timer()
        log = self.log_dir / f"{self.done:02d}-{script.removesuffix('.py')}.log"
        log.write_text(f"$ {shlex.join(command)}\n{stdout}\n--- stderr ---\n{stderr}")
        result = read_result(stdout) or {}
        if not result or code not in (0, None) and script != "gpu.py":
            last = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
            result = dict(result, error=f"exit {code}: {last[0][-300:]} (log: {log})")
        result["wall_s"] = round(seconds, 1)
        print(
            f"{seconds:.1f} s"
            + (f"  ERROR {result['error']}" if "error" in result else ""),
            flush=True,
        )
        return result


def fmt(value, digits=1, unit=""):
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}{unit}"
    return str(value)


def table(results: dict) -> str:
    rows = []

    def row(part, what, ips=None, first=None, run_s=None, rss=None, notes=""):
        rows.append(
            (part, what, fmt(ips), fmt(first, 2), fmt(run_s), fmt(rss, 0), notes)
        )

    for r in results.get("input", []):
        if "error" in r:
            row("input", r.get("label", "?"), notes=r["error"])
            continue
        notes = (
            f"index {r['index_s']:.1f} s (in first batch); first batch {r['first_batch_after_index_s']:.2f} s "
            f"after index; {r['cpu_s_per_image'] * 1000:.1f} CPU ms/photo; "
            f"{r['peak_rss_mb'] - r['rss_after_imports_mb']:,.0f} MB above imports"
        )
        if len(r.get("epoch_s", [])) > 1:
            notes += f"; passes {', '.join(f'{s:.1f}' for s in r['epoch_s'])} s"
            ips = r["last_pass_images_per_s"]
        else:
            ips = r["images_per_s"]
        row(
            "input",
            f"{r['label']} ({r['images']:,} photos)",
            ips,
            r["first_batch_s"],
            r["pass_s"],
            r["peak_rss_mb"],
            notes,
        )
    for r in results.get("train", []):
        if "error" in r:
            row("train", r.get("label", "?"), notes=r["error"])
            continue
        notes = (
            f"{r['timed_steps']} steps x {r['batch_size']}, {r['step_s_median']:.2f} s/step; "
            f"{r['gmacs_per_image']:.2f} GMAC/image -> {r['train_gflops']:.0f} GFLOP/s = "
            f"{r['fraction_of_matmul']:.0%} of matmul {r['matmul']['gflops']:.0f} GFLOP/s "
            f"(before/after training: the better; other {r['matmul'].get('other_gflops', 0):.0f})"
        )
        row(
            "train",
            r["label"],
            r["images_per_s"],
            None,
            r["timed_s"],
            r["peak_rss_mb"],
            notes,
        )
    precision_part = results.get("precision") or {}
    for r in precision_part.get("runs", []):
        if "error" in r:
            row("precision", r.get("label", "?"), notes=r["error"])
            continue
        rates = ", ".join(
            f"{d} {g:.0f}" for d, g in r.get("matmul_by_dtype", {}).items()
        )
        notes = (
            f"{r['timed_steps']} steps x {r['batch_size']}, {r['step_s_median']:.2f} s/step, "
            f"{r['cpu_s_per_image']:.3f} CPU s/image; "
            f"computes in {r['compute_dtype']}, output {r['output_dtype']}; "
            f"matmul GFLOP/s: {rates}"
        )
        row(
            "precision",
            r["label"],
            r["images_per_s"],
            None,
            r["timed_s"],
            r["peak_rss_mb"],
            notes,
        )
    for label, detail in precision_part.get("speedups", []):
        rows.append(("precision", label, "", "", "", "", detail))
    for chapter, e in ((results.get("estimate") or {}).get("chapters") or {}).items():
        if "mixed_float16_cache_min" not in e:
            continue
        low, high = e["mixed_float16_cache_min"]
        f32, bare = e["float32_cache_min"], e["mixed_float16_min"]
        row(
            "estimate",
            f"chapter {chapter} at full scale on a T4 (estimate, not measured)",
            notes=f"{e['pflop']} PFLOP; mixed_float16 + uint8 cache {low}-{high} min; "
            f"float32 + cache {f32[0]}-{f32[1]} min; mixed_float16 without a cache "
            f"{bare[0]}-{bare[1]} min",
        )
    cost = results.get("course_cost")
    if cost:
        if "error" in cost and "notebooks" not in cost:
            row("course", "course_cost.py", notes=cost["error"])
        for nb in cost.get("notebooks", []):
            row(
                "course",
                f"notebook {nb['name']} (smoke)",
                run_s=nb["seconds"],
                notes="ok" if nb["ok"] else nb["detail"],
            )
        if "tests" in cost:
            t = cost["tests"]
            row(
                "course",
                "pytest tests",
                run_s=t["seconds"],
                notes=("ok, " if t["ok"] else "FAILED, ") + t["summary"],
            )
        if "book" in cost:
            b = cost["book"]
            row(
                "course",
                "jupyter-book build",
                run_s=b["seconds"],
                notes="ok" if b["ok"] else b["detail"],
            )
    gpu = results.get("gpu")
    if gpu:
        if not gpu.get("results"):
            row(
                "gpu",
                "gpu.py",
                notes=gpu.get("skipped") or gpu.get("error", "no results"),
            )
        for r in gpu.get("results", []):
            what = f"{r['model']} b{r.get('batch_size', '?')} {r['policy']} XLA={'on' if r['jit_compile'] else 'off'}"
            notes = (
                f"{gpu['gpu']}; {r.get('train_tflops', '?')} TFLOP/s"
                if "images_per_s" in r
                else str(r.get("error"))
            )
            if r.get("note"):
                notes += f"; {r['note']}"
            row("gpu", what, r.get("images_per_s"), notes=notes)
    for name, ok, detail in results.get("checks", []):
        rows.append(
            ("check", name, "", "", "", "", ("PASS" if ok else "FAIL") + f": {detail}")
        )

    header = (
        "part",
        "measurement",
        "images/s",
        "first batch s",
        "run s",
        "peak RSS MB",
        "notes",
    )
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                str(c).ljust(w) if i in (0, 1, 6) else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths))
            )
            + " |"
        )
    return "\n".join(lines)


PARTS = ("input", "train", "precision", "estimate", "course", "gpu")
PRECISION_CONFIGS = (  # model, image side, batch: the course's cpu-scale settings
    ("segmentation", 96, 16),  # chapter 2 at cpu scale
    ("mini_xception", 64, 32),  # chapter 6 at cpu scale (without augmentation)
)


def precision_runs(run, quick: bool) -> dict:
    """float32 against mixed_bfloat16 for the course's models, fed from memory."""
    runs, speedups = [], []
    for model, side, batch in PRECISION_CONFIGS:
        if quick:
            side, batch = 32, 4
        by_policy = {}
        for policy in ("float32", "mixed_bfloat16"):
            label = f"{model} b{batch} {side}x{side}, {policy}"
            r = run(
                f"precision: {label}",
                "train_throughput.py",
                [
                    "--feed",
                    "random",
                    "--model",
                    model,
                    "--image-size",
                    side,
                    "--batch-size",
                    batch,
                    "--policy",
                    policy,
                    "--matmul-dtypes",
                    "float32,bfloat16",
                    "--matmul-n",
                    256 if quick else 2048,
                    "--steps",
                    1 if quick else 4,
                    "--warmup",
                    1,
                    "--matmul-seconds",
                    0.2 if quick else 1,
                    "--max-seconds",
                    10 if quick else 40,
                ],
                timeout=600,
            )
            runs.append(dict(r, label=label))
            by_policy[policy] = r
        f32, bf16 = by_policy["float32"], by_policy["mixed_bfloat16"]
        if "images_per_s" in f32 and "images_per_s" in bf16:
            ratio = bf16["images_per_s"] / f32["images_per_s"]
            cpu_ratio = f32["cpu_s_per_image"] / bf16["cpu_s_per_image"]
            speedups.append(
                (
                    f"{model} {side}x{side}: mixed_bfloat16 / float32",
                    f"{ratio:.2f}x by images/s ({bf16['images_per_s']:.1f} vs "
                    f"{f32['images_per_s']:.1f}); {cpu_ratio:.2f}x by CPU s/image "
                    f"({bf16['cpu_s_per_image']:.3f} vs {f32['cpu_s_per_image']:.3f})",
                )
            )
    return {"runs": runs, "speedups": speedups}


def checks(results: dict) -> list[tuple[str, bool, str]]:
    """The issue's targets for the course's pipeline, against the measured figures."""
    inputs = {
        r.get("method_key"): r for r in results.get("input", []) if "error" not in r
    }
    numpy_r, tfdata_r = inputs.get("numpy"), inputs.get("tfdata")
    out = []
    if tfdata_r:
        out.append(
            (
                "tf.data first batch < 2 s",
                tfdata_r["first_batch_after_index_s"] < 2,
                f"{tfdata_r['first_batch_after_index_s']:.2f} s after indexing, "
                f"{tfdata_r['first_batch_s']:.2f} s including indexing",
            )
        )
    if numpy_r and tfdata_r:
        raw = tfdata_r["peak_rss_mb"] / numpy_r["peak_rss_mb"]
        above = (tfdata_r["peak_rss_mb"] - tfdata_r["rss_after_imports_mb"]) / max(
            numpy_r["peak_rss_mb"] - numpy_r["rss_after_imports_mb"], 1
        )
        out.append(
            (
                "tf.data peak memory < 1/10 of NumPy's",
                raw < 0.1,
                f"peak RSS ratio {raw:.3f}; above the imports {above:.3f} "
                f"(TensorFlow itself holds {tfdata_r['rss_after_imports_mb']:,.0f} MB)",
            )
        )
    trains = [r for r in results.get("train", []) if "error" not in r]
    if tfdata_r and trains:
        fastest = max(r["images_per_s"] for r in trains)
        out.append(
            (
                "tf.data images/s >= training images/s",
                tfdata_r["images_per_s"] >= fastest,
                f"{tfdata_r['images_per_s']:.0f} vs {fastest:.1f} images/s "
                f"({tfdata_r['images_per_s'] / fastest:.0f}x)",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a check that everything runs"
    )
    parser.add_argument(
        "--skip-course-cost",
        action="store_true",
        help="leave out notebooks, tests and book build",
    )
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also time tf.data settings other than the defaults",
    )
    parser.add_argument("--skip-gpu", action="store_true", help="do not look for a GPU")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="comma-separated, of: " + ", ".join(PARTS),
    )
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help="photos in the data set (default 7,390; quick 256)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="timed training steps (default 8; quick 1)",
    )
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if parts - set(PARTS):
        parser.error(f"unknown parts {sorted(parts - set(PARTS))}; choose from {PARTS}")
    if args.skip_course_cost:
        parts.discard("course")
    if args.skip_gpu:
        parts.discard("gpu")
    count = args.count or (256 if args.quick else 7390)
    steps = args.steps or (1 if args.quick else 8)
    warmup = 1 if args.quick else 2
    results_path = args.results or BENCH_DIR / (
        "results-quick.json" if args.quick else "results.json"
    )

    started = datetime.datetime.now().astimezone()
    machine = machine_info()
    command = "python " + shlex.join(
        [
            str(Path(sys.argv[0]).resolve().relative_to(ROOT))
            if Path(sys.argv[0]).resolve().is_relative_to(ROOT)
            else sys.argv[0],
            *sys.argv[1:],
        ]
    )
    print(
        f"machine: {machine['cpu_model']}, {machine['cpus_usable']} of {machine['cpu_count']} CPUs usable, "
        f"{machine['ram_gib']} GiB RAM, load average {machine['load_average']}"
    )
    if (
        machine["load_average"]
        and machine["load_average"][0] > 0.5 * machine["cpus_usable"]
    ):
        print(
            "warning: the machine is busy (load average above half its CPUs); the figures will be low"
        )
    results = {
        "date": started.isoformat(timespec="seconds"),
        "command": command,
        "quick": args.quick,
        "git": git_revision(),
        "machine": machine,
        "versions": versions(),
    }

    variants = (
        [
            ("tf.data, serial decode (num_parallel_calls=1)", ["--parallel", "1"]),
            ("tf.data, deterministic=False", ["--no-deterministic"]),
            ("tf.data, cache(), 2 passes (2nd shown)", ["--cache", "--epochs", "2"]),
        ]
        if args.variants
        else []
    )
    needs_data = bool(parts & {"input", "train"})
    total = (
        needs_data
        + ("input" in parts) * (2 + len(variants))
        + ("train" in parts) * 2
        + ("precision" in parts) * 2 * len(PRECISION_CONFIGS)
        + ("estimate" in parts)
        + ("course" in parts)
        + ("gpu" in parts)
    )
    run = Runner(args.cache / "logs", total)
    timer = Timer()

    data = {}
    if needs_data:
        data = run(
            "data set",
            "bench_data.py",
            ["--count", count, "--cache", args.cache],
            timeout=900,
        )
        results["data"] = data
        if "error" in data:
            print(json.dumps(results, indent=1))
            sys.exit(1)
    folder = data.get("folder")

    inputs = []
    for key, label, extra in (
        []
        if "input" not in parts
        else [
            ("numpy", "lecture: NumPy arrays", ["--method", "numpy"]),
            ("tfdata", "course: tf.data make_dataset", ["--method", "tfdata"]),
            *[
                (f"variant{i}", label, ["--method", "tfdata", *extra])
                for i, (label, extra) in enumerate(variants)
            ],
        ]
    ):
        r = run(
            f"input pipeline: {label}",
            "input_pipeline.py",
            ["--data", folder, *extra],
            timeout=900,
        )
        inputs.append(dict(r, label=label, method_key=key))
    if inputs:
        results["input"] = inputs

    trains = []
    train_args = [
        "--data",
        folder,
        "--steps",
        steps,
        "--warmup",
        warmup,
        "--matmul-seconds",
        1 if args.quick else 3,
        "--max-seconds",
        30 if args.quick else 90,
    ]
    for feed, label in (
        ()
        if "train" not in parts
        else (
            ("numpy", "segmentation b16 200x200, fed from NumPy arrays"),
            ("tfdata", "segmentation b16 200x200, fed from tf.data"),
        )
    ):
        r = run(
            f"training: {label}",
            "train_throughput.py",
            [*train_args, "--feed", feed],
            timeout=900,
        )
        trains.append(dict(r, label=label))
    if trains:
        results["train"] = trains
    if "precision" in parts:
        results["precision"] = precision_runs(run, args.quick)
    if "estimate" in parts:
        estimate = run(
            "full-scale FLOPs and T4 estimate (no training)",
            "course_cost.py",
            ["--parts", "estimate"],
            timeout=900,
        )
        results["estimate"] = estimate.get("estimate", estimate)

    if "course" in parts:
        cost_args = (
            ["--parts", "tests", "--pytest-args", "tests/test_config.py"]
            if args.quick
            else []
        )
        results["course_cost"] = run(
            "course cost: notebooks (smoke), tests, book"
            if not args.quick
            else "course cost (quick: tests/test_config.py only)",
            "course_cost.py",
            cost_args,
            timeout=2400,
        )
    if "gpu" in parts:
        gpu_args = ["--quick"] if args.quick else []
        results["gpu"] = run(
            "GPU benchmark (skipped without a GPU)", "gpu.py", gpu_args, timeout=1500
        )

    results["checks"] = checks(results)
    results["total_s"] = round(timer(), 1)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(f"Benchmarks, {started:%Y-%m-%d %H:%M %Z}, `{command}`, git {results['git']}")
    print(
        f"Machine: {machine['cpu_model']}; {machine['cpus_usable']} CPUs usable; {machine['ram_gib']} GiB RAM; "
        f"{', '.join(machine['simd'])}; load average at start {machine['load_average']}; "
        f"TensorFlow {results['versions']['tensorflow']}, Keras {results['versions']['keras']}"
    )
    if data:
        print(
            f"Data: {data['count']:,} photos, {data['distinct_photos']} distinct ({data['source_kind']}) "
            f"linked in the official layout; 200x200; input batches of 32"
        )
    print()
    print(table(results))
    print(
        f"\nTotal {results['total_s'] / 60:.1f} min; load average at the end {results['load_average_at_end']}. "
        f"Results: {results_path}; logs: {args.cache / 'logs'}"
    )
    if parts != set(PARTS) and results_path.exists():
        # a partial run replaces only its own parts, each with its own date and machine
        stamp = {
            k: results[k] for k in ("date", "command", "git", "machine", "versions")
        }
        merged = json.loads(results_path.read_text())
        for key in ("input", "train", "precision", "estimate", "course_cost", "gpu"):
            if key in results:
                value = results[key]
                stamped = key in ("precision", "estimate")
                merged[key] = dict(value, measured=stamp) if stamped else value
        if "data" in results:
            merged["data"] = results["data"]
        merged["checks"] = checks(merged)
        results = merged
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
