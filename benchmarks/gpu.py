"""One script for the day a GPU is lent: the card, its matmul rates, training and input speed.

    .venv/bin/python benchmarks/gpu.py --json benchmarks/results-gpu.json   # a few minutes
    .venv/bin/python benchmarks/gpu.py --quick                              # 1 s per figure
    .venv/bin/python benchmarks/gpu.py --tiny --allow-cpu                   # CPU check (tests)

It prints and writes as JSON:

1. **card** - the GPU's name and compute capability, TensorFlow's version, and the
   policy the course's precision switch (utils/precision.py) picks on it;
2. **matmul** - measured rates of ``tf.linalg.matmul`` on two n x n matrices (n = 8192)
   in float32, float16 and bfloat16 (TFLOP/s, 2 n^3 FLOP each), and whether TensorFlow
   lets float32 use TF32 tensor cores (Ampere and newer);
3. **train** - the chapter 2 segmentation model at 200x200, batch 64, in float32 and in
   ``mixed_float16`` (``keras.config.set_dtype_policy``; the last layer stays float32),
   with ``jit_compile`` off and on (``--models`` adds the lecture's mini-Xception at
   180x180, batch 32). Each runs in its own process (the policy is global) on random
   input tensors already on the GPU, so nothing but the model is timed: a few warm-up
   steps, then as many steps as fit in ``--seconds``. A step is the model's own
   ``train_step`` inside ``tf.function(jit_compile=...)``, as ``model.fit`` wraps it;
4. **input** - the course's Pets pipeline (``utils.pets.make_dataset``, 200x200, batch
   64, masks) on a Pets-sized folder (benchmarks/bench_data.py: 7,390 photos), three
   ways, each in its own process: no cache (decode every epoch), a float32 cache and a
   uint8 cache (decode once; cast to float32 after the cache). Two passes each: the
   first decodes (and fills the cache), the second shows what later epochs cost. The
   memory the cache took is the resident memory added between building the pipeline
   and the end of the second pass. The input runs on ``--input-cpus`` cores (default 2,
   as many as a Colab runtime has; 0: all of them), so its rate is Colab's, not the
   lent machine's. ``utils.pets.make_dataset`` has had two cache APIs (``cache=True``
   as float32, later as uint8); the script reads which one it has from the docstring
   and builds the other cache itself around ``make_dataset(cache=False)``, and says
   which is which in ``how``.

The summary compares the input rates with the mixed-precision training rate: a GPU that
trains faster than the photos can be decoded is waiting for its input.

Without a GPU it says so and exits with status 2; ``--allow-cpu`` runs on the CPU, only
to check the script, and ``--tiny`` makes every figure tiny (16 photos at 32x32) and
measures them all in this one process (the tests use it; memory figures then mean little).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH_DIR, ROOT, current_rss_mb, emit, read_result

MODELS = {  # name: (image size, batch size)
    "segmentation": (200, 64),
    "mini_xception": (180, 32),
}
POLICIES = ("float32", "mixed_float16")
MATMUL_DTYPES = ("float32", "float16", "bfloat16")
CACHE_MODES = ("none", "float32", "uint8")


def gpu_names() -> list[str]:
    import tensorflow as tf

    return [
        tf.config.experimental.get_device_details(g).get("device_name", g.name)
        for g in tf.config.list_physical_devices("GPU")
    ]


def card_info() -> dict:
    import keras
    import tensorflow as tf

    from utils import precision

    gpus = tf.config.list_physical_devices("GPU")
    details = [tf.config.experimental.get_device_details(g) for g in gpus]
    policy, reason = precision.choose_policy()
    return {
        "gpus": [d.get("device_name", g.name) for d, g in zip(details, gpus)],
        "compute_capability": [
            list(d.get("compute_capability") or ()) for d in details
        ],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cuda_build": tf.sysconfig.get_build_info().get("cuda_version"),
        "cudnn_build": tf.sysconfig.get_build_info().get("cudnn_version"),
        "course_policy": policy,
        "course_policy_reason": reason,
        "tf32_enabled": tf.config.experimental.tensor_float_32_execution_enabled(),
    }


# ---------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------


def matmul_rate(n: int, dtype: str, seconds: float) -> dict:
    """Sustained matmul rate in ``dtype`` on the default device (TFLOP/s)."""
    import tensorflow as tf

    a = tf.cast(tf.random.uniform((n, n)), dtype)
    b = tf.cast(tf.random.uniform((n, n)), dtype)
    step = tf.function(lambda a, b: tf.linalg.matmul(a, b))
    for _ in range(3):  # warm-up: kernel selection, memory
        float(tf.reduce_sum(tf.cast(step(a, b)[:1, :1], tf.float32)))
    repeats, start = 0, time.perf_counter()
    while True:
        for _ in range(5):
            c = step(a, b)
        repeats += 5
        float(tf.cast(c[0, 0], tf.float32))  # waits for the device
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return {
        "dtype": dtype,
        "n": n,
        "repeats": repeats,
        "seconds": round(elapsed, 3),
        "tflops": round(2 * n**3 * repeats / elapsed / 1e12, 3),
        "device": c.device,
    }


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------


def run_train(
    model_name: str,
    policy: str,
    jit: bool,
    seconds: float,
    warmup: int,
    batch: int | None,
    side: int | None,
) -> dict:
    import keras
    import tensorflow as tf
    from models import (
        count_macs,
        make_augmentation,
        make_mini_xception,
        make_segmentation_model,
    )

    keras.config.set_dtype_policy(policy)
    default_side, default_batch = MODELS[model_name]
    side, batch = side or default_side, batch or default_batch
    x = tf.random.uniform((batch, side, side, 3), 0, 255, dtype=tf.float32)
    if model_name == "segmentation":
        y = tf.random.uniform((batch, side, side, 1), 0, 3, dtype=tf.int32)
    else:
        y = tf.cast(tf.random.uniform((batch, 1), 0, 2, dtype=tf.int32), tf.float32)

    def build(augment_inside=True):
        keras.utils.set_random_seed(0)
        if model_name == "segmentation":
            model = make_segmentation_model((side, side))
            loss = "sparse_categorical_crossentropy"
        else:
            model = make_mini_xception((side, side), augment=augment_inside)
            loss = "binary_crossentropy"
        model.compile(optimizer="rmsprop", loss=loss, jit_compile=jit)
        model.train_step((x, y))  # one eager step builds the optimizer and loss state
        return model, tf.function(
            model.train_step, jit_compile=jit, reduce_retracing=True
        )

    def warm_up(step):
        start = time.perf_counter()
        for _ in range(warmup):
            logs = step((x, y))
        float(logs["loss"])  # waits for the device
        return time.perf_counter() - start

    model, step = build()
    note = ""
    try:
        warmup_s = warm_up(step)
    except tf.errors.InvalidArgumentError as error:
        if not (jit and model_name == "mini_xception"):
            raise
        # RandomRotation/RandomZoom use ImageProjectiveTransformV3, which XLA cannot
        # compile: run the augmentation as its own (uncompiled) function on the device.
        unsupported = sorted(
            set(re.findall(r"unsupported operations[^:]*:\s*(\w+)", str(error)))
        )
        note = (
            f"XLA cannot compile {', '.join(unsupported) or 'an augmentation op'}: "
            "augmentation runs outside the compiled step"
        )
        augmentation = make_augmentation()
        augment = tf.function(lambda images: augmentation(images, training=True))
        model, core_step = build(augment_inside=False)

        def step(data):
            return core_step((augment(data[0]), data[1]))

        warmup_s = warm_up(step)

    steps, start = 0, time.perf_counter()
    while True:
        for _ in range(5):
            logs = step((x, y))
        steps += 5
        float(logs["loss"])
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    images_per_s = steps * batch / elapsed
    macs = count_macs(model)
    return {
        "kind": "gpu_train",
        "model": model_name,
        "policy": policy,
        "compute_dtype": model.layers[-2].compute_dtype,
        "output_dtype": model.layers[-1].compute_dtype,
        "jit_compile": jit,
        "image_size": [side, side],
        "batch_size": batch,
        "device": x.device,
        "note": note,
        "warmup_s": round(warmup_s, 1),
        "timed_steps": steps,
        "timed_s": round(elapsed, 2),
        "images_per_s": round(images_per_s, 1),
        "gmacs_per_image": round(macs / 1e9, 3),
        "train_tflops": round(3 * 2 * macs * images_per_s / 1e12, 3),
        "final_loss": round(float(logs["loss"]), 4),
    }


# ---------------------------------------------------------------------------------------
# input pipeline
# ---------------------------------------------------------------------------------------


def course_cache_is_uint8(make_dataset) -> bool:
    """Whether ``make_dataset(cache=True)`` keeps uint8 (the newer API) or float32."""
    return "uint8" in (make_dataset.__doc__ or "")


def cached_dataset(records, side: int, batch: int, mode: str):
    """The course's pipeline with no cache, a float32 cache or a uint8 cache."""
    import tensorflow as tf

    from utils import pets

    size = (side, side)
    uint8_api = course_cache_is_uint8(pets.make_dataset)
    if mode == "none":
        return pets.make_dataset(
            records, size, batch, cache=False
        ), "make_dataset(cache=False)"
    if mode == "uint8" and uint8_api:
        return pets.make_dataset(
            records, size, batch, cache=True
        ), "make_dataset(cache=True), uint8"
    if mode == "float32" and not uint8_api:
        return pets.make_dataset(
            records, size, batch, cache=True
        ), "make_dataset(cache=True), float32"
    plain = pets.make_dataset(records, size, batch, cache=False)
    if mode == "float32":
        return plain.cache(), "make_dataset(cache=False).cache(): float32 batches"
    to_uint8 = lambda x, y: (
        tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8),
        tf.cast(y, tf.uint8),
    )
    to_float = lambda x, y: (tf.cast(x, tf.float32), y)
    ds = plain.map(to_uint8).cache().map(to_float).prefetch(tf.data.AUTOTUNE)
    return ds, "make_dataset(cache=False) cast to uint8, .cache(), cast to float32"


def run_input(
    data: Path, mode: str, count: int, side: int, batch: int, cpus: int = 0
) -> dict:
    import gc
    import os

    if cpus and hasattr(os, "sched_setaffinity"):  # before TensorFlow sizes its pools
        available = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, available[:cpus])

    from train_throughput import records_of

    records = records_of(data, count)
    ds, how = cached_dataset(records, side, batch, mode)
    rss_start = current_rss_mb()
    passes, first_batch = [], None
    for _ in range(2):
        start, seen = time.perf_counter(), 0
        for images, masks in ds:
            seen += int(images.shape[0])
            if first_batch is None:
                first_batch = time.perf_counter() - start
                dtypes = [images.dtype.name, masks.dtype.name]
        passes.append(time.perf_counter() - start)
        gc.collect()
    rss_end = current_rss_mb()
    return {
        "kind": "gpu_input",
        "cache": mode,
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "how": how,
        "images": seen,
        "image_size": [side, side],
        "batch_size": batch,
        "batch_dtypes": dtypes,
        "first_batch_s": round(first_batch, 3),
        "pass_s": [round(s, 2) for s in passes],
        "images_per_s": [round(seen / s, 1) for s in passes],
        "rss_added_mb": round(rss_end - rss_start, 1),
    }


# ---------------------------------------------------------------------------------------
# the driver: each figure in its own process
# ---------------------------------------------------------------------------------------


def child(args_list, timeout: float, in_process: bool = False) -> dict:
    """One figure in its own process (``in_process``: here, for --tiny checks)."""
    args_list = [str(a) for a in args_list]
    command = [sys.executable, str(BENCH_DIR / "gpu.py"), *args_list]
    started = time.perf_counter()
    if in_process:
        result = dict(one_figure(parse_args(args_list)))
        result["wall_s"] = round(time.perf_counter() - started, 1)
        return result
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        result = read_result(done.stdout) or {
            "error": (done.stderr or done.stdout).strip().splitlines()[-3:]
            or ["no output"]
        }
    except subprocess.TimeoutExpired:
        result = {"error": [f"timed out after {timeout:.0f} s"]}
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def summary_lines(summary: dict) -> list[str]:
    lines = [f"GPU: {summary['gpu']}"]
    card = summary.get("card", {})
    if card:
        lines.append(
            f"compute capability {card.get('compute_capability')}; TensorFlow "
            f"{card.get('tensorflow')}, Keras {card.get('keras')}; TF32 "
            f"{'on' if card.get('tf32_enabled') else 'off'}; course policy "
            f"{card.get('course_policy')} ({card.get('course_policy_reason')})"
        )
    lines.append("")
    lines.append(f"{'matmul dtype':<14} {'n':>6} {'TFLOP/s':>9}")
    for m in summary.get("matmul", []):
        lines.append(
            f"{m['dtype']:<14} {m.get('n', ''):>6} {m.get('tflops', m.get('error')):>9}"
        )
    lines.append("")
    lines.append(
        f"{'model':<14} {'batch':>5} {'side':>5} {'policy':<14} {'XLA':<5} "
        f"{'images/s':>10} {'TFLOP/s':>8}"
    )
    for r in summary.get("results", []):
        lines.append(
            f"{r['model']:<14} {r.get('batch_size', ''):>5} "
            f"{(r.get('image_size') or [''])[0]:>5} {r['policy']:<14} "
            f"{str(r['jit_compile']):<5} {r.get('images_per_s', 'error'):>10} "
            f"{r.get('train_tflops', ''):>8}"
        )
    lines.append("")
    lines.append(
        f"{'input cache':<12} {'pass 1 img/s':>13} {'pass 2 img/s':>13} "
        f"{'first batch s':>14} {'cache MB':>9}  how"
    )
    for r in summary.get("input", []):
        if "error" in r:
            lines.append(f"{r['cache']:<12} error: {r['error']}")
            continue
        lines.append(
            f"{r['cache']:<12} {r['images_per_s'][0]:>13} {r['images_per_s'][1]:>13} "
            f"{r['first_batch_s']:>14} {r['rss_added_mb']:>9}  {r['how']}"
        )
    for line in summary.get("verdicts", []):
        lines.append(line)
    return lines


def verdicts(summary: dict) -> list[str]:
    """Does the input keep up with mixed-precision training of the segmentation model?"""
    trains = [
        r
        for r in summary.get("results", [])
        if r.get("model") == "segmentation" and "images_per_s" in r
    ]
    if not trains:
        return []
    fastest = max(trains, key=lambda r: r["images_per_s"])
    out = [
        "",
        f"fastest segmentation training: {fastest['images_per_s']} images/s "
        f"({fastest['policy']}, XLA {'on' if fastest['jit_compile'] else 'off'})",
    ]
    for r in summary.get("input", []):
        if "images_per_s" in r:
            later = r["images_per_s"][1]
            word = (
                "keeps up" if later >= fastest["images_per_s"] else "is the bottleneck"
            )
            out.append(
                f"input, {r['cache']} cache: later epochs {later} images/s -> {word}"
            )
    return out


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="timed seconds per figure"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument(
        "--batch", type=int, default=None, help="override the batch sizes"
    )
    parser.add_argument(
        "--side", type=int, default=None, help="override the image sides"
    )
    parser.add_argument("--matmul-n", type=int, default=8192)
    parser.add_argument(
        "--input-cpus",
        type=int,
        default=2,
        help="cores the input pipeline may use (2: a Colab runtime; 0: all)",
    )
    parser.add_argument(
        "--count", type=int, default=7390, help="photos for the input test"
    )
    parser.add_argument("--timeout", type=float, default=240, help="seconds per figure")
    parser.add_argument(
        "--quick", action="store_true", help="1 s per figure, 2 warm-up steps"
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny sizes (16 photos, 32x32, batch 4, n=256): checks that it runs",
    )
    parser.add_argument(
        "--allow-cpu",
        action="store_true",
        help="run without a GPU (to check the script)",
    )
    parser.add_argument(
        "--models", default="segmentation", help="of: " + ", ".join(MODELS)
    )
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--xla", default="off,on", help="jit_compile settings: off,on")
    parser.add_argument("--parts", default="matmul,train,input")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench")
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the results here"
    )
    parser.add_argument("--train-one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--input-one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--matmul-one", help=argparse.SUPPRESS)
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    args = make_parser().parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 1.0, 2
    if args.tiny:
        args.seconds, args.warmup = 0.2, 1
        args.batch, args.side = args.batch or 2, args.side or 32
        args.matmul_n, args.count = 256, min(args.count, 16)
    return args


def one_figure(args) -> dict | None:
    """The one measurement a child process was started for (None: not a child)."""
    if args.train_one:
        model_name, policy, jit = args.train_one
        return run_train(
            model_name,
            policy,
            jit == "on",
            args.seconds,
            args.warmup,
            args.batch,
            args.side,
        )
    if args.matmul_one:
        return matmul_rate(args.matmul_n, args.matmul_one, args.seconds)
    if args.input_one:
        folder, mode = args.input_one
        side = args.side or 200
        batch = 4 if args.tiny else 64
        return run_input(Path(folder), mode, args.count, side, batch, args.input_cpus)
    return None


def main() -> None:
    args = parse_args()
    result = one_figure(args)
    if result is not None:
        emit(result)
        return

    names = gpu_names()
    if not names and not args.allow_cpu:
        message = (
            "GPU가 없어 GPU 벤치마크를 건너뜁니다 / no GPU found: the GPU benchmark "
            "needs one (see benchmarks/README.md)"
        )
        print(message)
        emit({"kind": "gpu_summary", "gpu": None, "skipped": message, "results": []})
        sys.exit(2)

    parts = set(args.parts.split(","))
    common = [
        "--seconds",
        args.seconds,
        "--warmup",
        args.warmup,
        "--matmul-n",
        args.matmul_n,
    ]
    common += ["--count", args.count, "--input-cpus", args.input_cpus]
    common += ["--tiny"] if args.tiny else []
    common += ["--batch", args.batch] if args.batch else []
    common += ["--side", args.side] if args.side else []
    summary = {
        "kind": "gpu_summary",
        "gpu": ", ".join(names) or "none (CPU check)",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python benchmarks/gpu.py " + " ".join(sys.argv[1:]),
        "card": card_info(),
        "matmul": [],
        "results": [],
        "input": [],
    }
    if "matmul" in parts:
        for dtype in MATMUL_DTYPES:
            r = child([*common, "--matmul-one", dtype], args.timeout, args.tiny)
            summary["matmul"].append(dict(r, dtype=dtype))
            print(
                f"  matmul {dtype:<9} {r.get('tflops', r.get('error'))} TFLOP/s",
                flush=True,
            )
    if "train" in parts:
        for model_name in args.models.split(","):
            for policy in args.policies.split(","):
                for jit in args.xla.split(","):
                    r = child(
                        [*common, "--train-one", model_name, policy, jit],
                        args.timeout,
                        args.tiny,
                    )
                    r.update(model=model_name, policy=policy, jit_compile=jit == "on")
                    summary["results"].append(r)
                    print(
                        f"  train {model_name:<14} {policy:<14} XLA {jit:<3} "
                        f"{r.get('images_per_s', r.get('error'))} images/s ({r['wall_s']} s)",
                        flush=True,
                    )
    if "input" in parts:
        import bench_data

        folder, info = bench_data.build_bench_set(args.count, args.cache)
        summary["input_data"] = {
            "folder": str(folder),
            "count": args.count,
            "source_kind": info.get("source_kind"),
            "distinct_photos": info.get("distinct_photos"),
        }
        for mode in CACHE_MODES:
            r = child([*common, "--input-one", folder, mode], args.timeout, args.tiny)
            summary["input"].append(dict(r, cache=mode))
            print(
                f"  input {mode:<8} {r.get('images_per_s', r.get('error'))} images/s",
                flush=True,
            )
    summary["verdicts"] = verdicts(summary)
    print()
    print("\n".join(summary_lines(summary)))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    emit(summary)


if __name__ == "__main__":
    main()
