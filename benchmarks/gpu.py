"""Training speed on a GPU: the two lecture models, float32 vs mixed precision, with and without XLA.

    .venv/bin/python benchmarks/gpu.py            # all 8 configurations, a few minutes
    .venv/bin/python benchmarks/gpu.py --quick    # 1 second each, to check it works

Configurations: the chapter 2 segmentation model at 200x200, batch 64, and the lecture's
mini-Xception at 180x180, batch 32; each in float32 and in ``mixed_float16``
(``keras.mixed_precision.set_global_policy``), each with ``jit_compile`` False and True.
Each runs in its own process (the precision policy is global) on random input tensors
already on the GPU, so nothing but the model is timed: a few warm-up steps, then as
many steps as fit in ``--seconds``. A step is the model's own ``train_step`` (what
``model.fit`` runs for each batch) inside ``tf.function(jit_compile=...)``, exactly as
Keras's ``fit`` wraps it, without the data iterator and callbacks around it.

Without a GPU it says so and exits with status 2 (``--allow-cpu`` runs it on the CPU,
only to check the script itself).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH_DIR, emit, read_result

MODELS = {  # name: (image size, batch size)
    "segmentation": (200, 64),
    "mini_xception": (180, 32),
}
POLICIES = ("float32", "mixed_float16")


def gpu_names() -> list[str]:
    import tensorflow as tf

    return [
        tf.config.experimental.get_device_details(g).get("device_name", g.name)
        for g in tf.config.list_physical_devices("GPU")
    ]


def run_one(
    model_name: str,
    policy: str,
    jit: bool,
    seconds: float,
    warmup: int,
    batch: int | None,
) -> dict:
    import keras
    import tensorflow as tf
    from models import (
        count_macs,
        make_augmentation,
        make_mini_xception,
        make_segmentation_model,
    )

    keras.mixed_precision.set_global_policy(policy)
    side, default_batch = MODELS[model_name]
    batch = batch or default_batch
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
        model.train_step(
            (x, y)
        )  # one eager step builds the optimizer, loss and metric variables
        return model, tf.function(
            model.train_step, jit_compile=jit, reduce_retracing=True
        )

    def warm_up(step):
        start = time.perf_counter()
        for _ in range(warmup):
            logs = step((x, y))
        float(logs["loss"])  # waits for the GPU
        return time.perf_counter() - start

    model, step = build()
    note = ""
    try:
        warmup_s = warm_up(step)
    except tf.errors.InvalidArgumentError as error:
        if not (jit and model_name == "mini_xception"):
            raise
        # RandomRotation/RandomZoom use ImageProjectiveTransformV3, which XLA cannot compile: run the
        # augmentation as its own (uncompiled) function on the device, and compile the rest with XLA.
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
        for _ in range(10):
            logs = step((x, y))
        steps += 10
        float(logs["loss"])
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    images_per_s = steps * batch / elapsed
    macs = count_macs(model)
    return {
        "kind": "gpu",
        "model": model_name,
        "policy": policy,
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
        "train_tflops": round(3 * 2 * macs * images_per_s / 1e12, 2),
        "final_loss": round(float(logs["loss"]), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="timed seconds per configuration"
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="untimed steps after compiling"
    )
    parser.add_argument(
        "--batch", type=int, default=None, help="override the batch sizes (for checks)"
    )
    parser.add_argument(
        "--timeout", type=float, default=150, help="seconds one configuration may take"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 timed second, 2 warm-up steps each"
    )
    parser.add_argument(
        "--allow-cpu",
        action="store_true",
        help="run without a GPU (to check the script)",
    )
    parser.add_argument(
        "--models",
        default=",".join(MODELS),
        help="comma-separated, of: " + ", ".join(MODELS),
    )
    parser.add_argument(
        "--policies",
        default=",".join(POLICIES),
        help="comma-separated, of: " + ", ".join(POLICIES),
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the results here"
    )
    parser.add_argument(
        "--one", nargs=3, metavar=("MODEL", "POLICY", "JIT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 1.0, 2

    if args.one:
        model_name, policy, jit = args.one
        emit(
            run_one(
                model_name, policy, jit == "jit", args.seconds, args.warmup, args.batch
            )
        )
        return

    names = gpu_names()
    if not names and not args.allow_cpu:
        message = "GPU가 없어 GPU 벤치마크를 건너뜁니다 / no GPU found: the GPU benchmark needs one (see benchmarks/README.md)"
        print(message)
        emit({"kind": "gpu_summary", "gpu": None, "skipped": message, "results": []})
        sys.exit(2)

    results = []
    for model_name in args.models.split(","):
        for policy in args.policies.split(","):
            for jit in (False, True):
                command = [
                    sys.executable,
                    str(BENCH_DIR / "gpu.py"),
                    "--one",
                    model_name,
                    policy,
                    "jit" if jit else "nojit",
                    "--seconds",
                    str(args.seconds),
                    "--warmup",
                    str(args.warmup),
                ]
                if args.batch:
                    command += ["--batch", str(args.batch)]
                started = time.perf_counter()
                try:
                    done = subprocess.run(
                        command, capture_output=True, text=True, timeout=args.timeout
                    )
                    result = read_result(done.stdout) or {
                        "error": (done.stderr or done.stdout).strip().splitlines()[-3:]
                        or ["no output"]
                    }
                except subprocess.TimeoutExpired:
                    result = {"error": [f"timed out after {args.timeout:.0f} s"]}
                result.update(
                    model=model_name,
                    policy=policy,
                    jit_compile=jit,
                    wall_s=round(time.perf_counter() - started, 1),
                )
                results.append(result)
                print(
                    f"  {model_name:<14} {policy:<14} jit={str(jit):<5} "
                    f"{result.get('images_per_s', 'error'):>10} images/s  ({result['wall_s']} s)",
                    flush=True,
                )

    gpu = ", ".join(names) or "none (CPU check)"
    print(f"\nGPU: {gpu}")
    print(
        f"{'model':<14} {'batch':>5} {'policy':<14} {'XLA':<5} {'images/s':>10} {'TFLOP/s':>8}"
    )
    for r in results:
        print(
            f"{r['model']:<14} {r.get('batch_size', ''):>5} {r['policy']:<14} {str(r['jit_compile']):<5} "
            f"{r.get('images_per_s', 'error'):>10} {r.get('train_tflops', ''):>8}"
        )
    summary = {"kind": "gpu_summary", "gpu": gpu, "results": results}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    emit(summary)


if __name__ == "__main__":
    main()
