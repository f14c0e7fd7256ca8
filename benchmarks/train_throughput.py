"""Training speed of the course's models on this machine; prints one JSON line.

    .venv/bin/python benchmarks/train_throughput.py --data DIR --feed numpy --steps 8
    .venv/bin/python benchmarks/train_throughput.py --data DIR --feed tfdata --steps 8
    .venv/bin/python benchmarks/train_throughput.py --feed random --image-size 96 \
        --policy mixed_bfloat16 --matmul-dtypes float32,bfloat16

The model (benchmarks/models.py, as in the notebook) is compiled as in the notebook
(RMSprop, sparse categorical cross-entropy, accuracy) and trained with ``model.fit`` at
batch 16, 200x200, fed either

numpy  - from float32/uint8 arrays loaded the lecture's way beforehand (not timed),
tfdata - from ``utils.pets.make_dataset(records, (200, 200), 16, shuffle=True)``, the
         course's pipeline, decoding while it trains (timed: it shares the CPU), or
random - from random arrays made in memory (no photos needed): the model alone.

``--model mini_xception`` trains the lecture's dogs-vs-cats mini-Xception instead
(without its augmentation layers, binary cross-entropy; ``--feed random`` only), and
``--policy`` sets the global Keras dtype policy before the model is built
(``mixed_bfloat16`` is what utils/precision.py picks on a CPU with AMX or AVX-512 BF16;
the last layer stays float32). ``--matmul-dtypes`` lists the dtypes whose matrix-multiply
rate is measured; the first one is the rate the model is compared with.

The first ``--warmup`` steps (graph tracing, memory allocation) are not timed; then
``--steps`` steps are timed, or fewer if ``--max-seconds`` runs out first.

How close to the hardware: the model's multiply-adds per image are counted layer by
layer (benchmarks/models.py); a training step costs about 3 forward passes (forward,
gradient with respect to activations, gradient with respect to weights), so training
FLOP/s ~= 3 x 2 x MACs x images/s. This is compared with the float32 matrix-multiply
rate measured here, in the same process, just before and just after training (the higher
of the two is used; both are reported): ``tf.linalg.matmul`` of two 2048x2048 float32
matrices, repeated (2 n^3 FLOP each).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from common import Timer, emit, peak_rss_mb


def matmul_flops(
    n: int = 2048, seconds: float = 3.0, min_repeats: int = 3, dtype: str = "float32"
) -> dict:
    """Sustained matmul rate of this machine through TensorFlow (FLOP/s) in ``dtype``."""
    import tensorflow as tf

    a = tf.cast(tf.random.uniform((n, n)), dtype)
    b = tf.cast(tf.random.uniform((n, n)), dtype)
    for _ in range(2):  # warm-up: thread pools, oneDNN primitive creation
        tf.linalg.matmul(a, b).numpy()
    repeats, start, cpu_start = 0, time.perf_counter(), cpu_seconds()
    while repeats < min_repeats or time.perf_counter() - start < seconds:
        c = tf.linalg.matmul(a, b)
        repeats += 1
    c.numpy()
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    return {
        "dtype": dtype,
        "n": n,
        "repeats": repeats,
        "seconds": round(elapsed, 2),
        "gflops": round(2 * n**3 * repeats / elapsed / 1e9, 1),
        # per CPU-second of this process: less sensitive to other work on the machine
        "gflop_per_cpu_s": round(2 * n**3 * repeats / max(cpu, 1e-9) / 1e9, 1),
    }


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    times = os.times()
    return times.user + times.system


def lecture_arrays(records, image_size):
    """Photos and masks loaded the lecture's way (keras.utils.load_img) into arrays."""
    import numpy as np
    from keras.utils import img_to_array, load_img

    images = np.zeros((len(records),) + image_size + (3,), dtype="float32")
    masks = np.zeros((len(records),) + image_size + (1,), dtype="uint8")
    for i, r in enumerate(records):
        images[i] = img_to_array(load_img(r.image_path, target_size=image_size))
        masks[i] = (
            img_to_array(
                load_img(r.trimap_path, target_size=image_size, color_mode="grayscale")
            ).astype("uint8")
            - 1
        )
    return images, masks


def records_of(data: Path, count: int):
    """The first ``count`` photos of a benchmark folder, indexed as the course indexes a
    local folder: training then decodes them as a student's run does (the index's checks
    are remembered, so only the first run decodes every file up front)."""
    from utils import pets

    index = pets.build_index(pets.find_layout(data))
    return sorted(index.records, key=lambda r: r.name)[:count]


def random_arrays(count: int, image_size, model_name: str):
    """Photos with values 0-255 and targets of the model's kind, made in memory."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (count, *image_size, 3)).astype("float32")
    if model_name == "segmentation":
        y = rng.integers(0, 3, (count, *image_size, 1)).astype("int32")
    else:
        y = rng.integers(0, 2, (count, 1)).astype("float32")
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="photo folder (numpy, tfdata)")
    parser.add_argument("--feed", choices=("numpy", "tfdata", "random"), required=True)
    parser.add_argument(
        "--model", choices=("segmentation", "mini_xception"), default="segmentation"
    )
    parser.add_argument(
        "--policy",
        choices=("float32", "mixed_bfloat16", "mixed_float16"),
        default="float32",
        help="global Keras dtype policy",
    )
    parser.add_argument(
        "--matmul-dtypes",
        default="float32",
        help="comma-separated dtypes whose matmul rate is measured (first: the reference)",
    )
    parser.add_argument("--steps", type=int, default=8, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=90,
        help="stop the timed steps after this long",
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=200)
    parser.add_argument("--matmul-seconds", type=float, default=3.0)
    parser.add_argument("--matmul-n", type=int, default=2048)
    args = parser.parse_args()
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be at least 1")
    if args.feed != "random" and args.data is None:
        parser.error(f"--feed {args.feed} needs --data")
    if args.model != "segmentation" and args.feed != "random":
        parser.error("--model mini_xception runs with --feed random only")

    import keras
    from models import count_macs, make_mini_xception, make_segmentation_model

    image_size = (args.image_size, args.image_size)
    dtypes = [d.strip() for d in args.matmul_dtypes.split(",") if d.strip()]
    matmuls = {
        d: matmul_flops(args.matmul_n, args.matmul_seconds, dtype=d) for d in dtypes
    }
    matmul = matmuls[dtypes[0]]

    total_steps = args.warmup + args.steps
    if args.feed == "random":
        load_s = 0.0
        x, y = random_arrays(total_steps * args.batch_size, image_size, args.model)
        fit_args = {"x": x, "y": y, "batch_size": args.batch_size, "shuffle": False}
    elif args.feed == "numpy":
        records = records_of(args.data, total_steps * args.batch_size)
        load = Timer()
        x, y = lecture_arrays(records, image_size)
        load_s = load()
        fit_args = {"x": x, "y": y, "batch_size": args.batch_size}
    else:
        from utils import pets

        records = records_of(args.data, total_steps * args.batch_size)
        load_s = 0.0
        fit_args = {
            "x": pets.make_dataset(records, image_size, args.batch_size, shuffle=True)
        }

    keras.config.set_dtype_policy(args.policy)
    keras.utils.set_random_seed(42)
    if args.model == "segmentation":
        model = make_segmentation_model(image_size)
        loss = "sparse_categorical_crossentropy"
    else:
        model = make_mini_xception(image_size, augment=False)
        loss = "binary_crossentropy"
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    macs = count_macs(model)

    class StepClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends, self.cpu, self.start = [], [], None

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.ends.append(now)
            self.cpu.append(cpu_seconds())
            if len(self.ends) == args.warmup:
                self.start = now
            elif self.start is not None and now - self.start > args.max_seconds:
                self.model.stop_training = True

    clock = StepClock()
    model.fit(**fit_args, epochs=1, callbacks=[clock], verbose=0)
    matmul_after = matmul_flops(args.matmul_n, args.matmul_seconds, dtype=dtypes[0])
    if (
        matmul_after["gflops"] > matmul["gflops"]
    ):  # the better of the two: the rate this machine can sustain
        matmul_after, matmul = matmul, matmul_after
    matmul["other_gflops"] = matmul_after["gflops"]
    ends = clock.ends
    if len(ends) <= args.warmup:
        raise SystemExit(
            f"only {len(ends)} steps ran; need more than --warmup {args.warmup}"
        )
    timed_steps = len(ends) - args.warmup
    timed_s = ends[-1] - ends[args.warmup - 1]
    step_times = [b - a for a, b in zip(ends[args.warmup - 1 :], ends[args.warmup :])]
    images_per_s = timed_steps * args.batch_size / timed_s
    timed_cpu_s = clock.cpu[-1] - clock.cpu[args.warmup - 1]
    train_flops = 3 * 2 * macs * images_per_s
    emit(
        {
            "kind": "train_throughput",
            "feed": args.feed,
            "model": {
                "segmentation": "segmentation (chapter 2)",
                "mini_xception": "mini-Xception (chapter 6), no augmentation",
            }[args.model],
            "model_key": args.model,
            "policy": args.policy,
            "compute_dtype": model.layers[-2].compute_dtype,
            "output_dtype": model.layers[-1].compute_dtype,
            "params": model.count_params(),
            "image_size": list(image_size),
            "batch_size": args.batch_size,
            "warmup_steps": args.warmup,
            "timed_steps": timed_steps,
            "timed_s": round(timed_s, 2),
            "step_s_median": round(sorted(step_times)[len(step_times) // 2], 3),
            "images_per_s": round(images_per_s, 2),
            # CPU seconds per image: less sensitive to other work on the machine
            "cpu_s_per_image": round(timed_cpu_s / (timed_steps * args.batch_size), 4),
            "cpu_utilisation": round(timed_cpu_s / timed_s, 2),
            "arrays_load_s": round(load_s, 2),
            "gmacs_per_image": round(macs / 1e9, 3),
            "train_gflops": round(train_flops / 1e9, 1),
            "matmul": matmul,
            "matmul_by_dtype": {d: m["gflops"] for d, m in matmuls.items()},
            "matmul_per_cpu_s_by_dtype": {
                d: m["gflop_per_cpu_s"] for d, m in matmuls.items()
            },
            "fraction_of_matmul": round(train_flops / (matmul["gflops"] * 1e9), 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )


if __name__ == "__main__":
    main()
