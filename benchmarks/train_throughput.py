"""Training speed of the chapter 2 segmentation model on this machine; prints one JSON line.

    .venv/bin/python benchmarks/train_throughput.py --data DIR --feed numpy --steps 8
    .venv/bin/python benchmarks/train_throughput.py --data DIR --feed tfdata --steps 8

The model (benchmarks/models.py, as in the notebook) is compiled as in the notebook
(RMSprop, sparse categorical cross-entropy, accuracy) and trained with ``model.fit`` at
batch 16, 200x200, fed either

numpy  - from float32/uint8 arrays loaded the lecture's way beforehand (not timed), or
tfdata - from ``utils.pets.make_dataset(records, (200, 200), 16, shuffle=True)``, the
         course's pipeline, decoding while it trains (timed: it shares the CPU).

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
import time
from pathlib import Path

from common import Timer, emit, peak_rss_mb


def matmul_flops(n: int = 2048, seconds: float = 3.0, min_repeats: int = 3) -> dict:
    """Sustained float32 matmul rate of this machine through TensorFlow (FLOP/s)."""
    import tensorflow as tf

    a = tf.random.uniform((n, n), dtype=tf.float32)
    b = tf.random.uniform((n, n), dtype=tf.float32)
    for _ in range(2):  # warm-up: thread pools, oneDNN primitive creation
        tf.linalg.matmul(a, b).numpy()
    repeats, start = 0, time.perf_counter()
    while repeats < min_repeats or time.perf_counter() - start < seconds:
        c = tf.linalg.matmul(a, b)
        repeats += 1
    c.numpy()
    elapsed = time.perf_counter() - start
    return {
        "n": n,
        "repeats": repeats,
        "seconds": round(elapsed, 2),
        "gflops": round(2 * n**3 * repeats / elapsed / 1e9, 1),
    }


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
    """The first ``count`` photos of a benchmark folder (all valid by construction), unchecked."""
    from utils import pets

    layout = pets.find_layout(data)
    labels = pets.parse_list_file(layout.annotations_dir / "list.txt")
    names = sorted(labels)[:count]
    return [
        pets.PetRecord(
            name=n,
            image_path=str(layout.images_dir / f"{n}.jpg"),
            trimap_path=str(layout.annotations_dir / "trimaps" / f"{n}.png"),
            breed=pets.breed_of(n),
            class_id=labels[n][0],
            species=pets.SPECIES_NAMES[labels[n][1] - 1],
            split="",
            head_box=None,
        )
        for n in names
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--feed", choices=("numpy", "tfdata"), required=True)
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

    import keras
    from models import count_macs, make_segmentation_model

    image_size = (args.image_size, args.image_size)
    matmul = matmul_flops(args.matmul_n, args.matmul_seconds)

    total_steps = args.warmup + args.steps
    records = records_of(args.data, total_steps * args.batch_size)
    if args.feed == "numpy":
        load = Timer()
        x, y = lecture_arrays(records, image_size)
        load_s = load()
        fit_args = {"x": x, "y": y, "batch_size": args.batch_size}
    else:
        from utils import pets

        load_s = 0.0
        fit_args = {
            "x": pets.make_dataset(records, image_size, args.batch_size, shuffle=True)
        }

    keras.utils.set_random_seed(42)
    model = make_segmentation_model(image_size)
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    macs = count_macs(model)

    class StepClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends, self.start = [], None

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.ends.append(now)
            if len(self.ends) == args.warmup:
                self.start = now
            elif self.start is not None and now - self.start > args.max_seconds:
                self.model.stop_training = True

    clock = StepClock()
    model.fit(**fit_args, epochs=1, callbacks=[clock], verbose=0)
    matmul_after = matmul_flops(args.matmul_n, args.matmul_seconds)
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
    train_flops = 3 * 2 * macs * images_per_s
    emit(
        {
            "kind": "train_throughput",
            "feed": args.feed,
            "model": "segmentation (chapter 2)",
            "params": model.count_params(),
            "image_size": list(image_size),
            "batch_size": args.batch_size,
            "warmup_steps": args.warmup,
            "timed_steps": timed_steps,
            "timed_s": round(timed_s, 2),
            "step_s_median": round(sorted(step_times)[len(step_times) // 2], 3),
            "images_per_s": round(images_per_s, 2),
            "arrays_load_s": round(load_s, 2),
            "gmacs_per_image": round(macs / 1e9, 3),
            "train_gflops": round(train_flops / 1e9, 1),
            "matmul": matmul,
            "fraction_of_matmul": round(train_flops / (matmul["gflops"] * 1e9), 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )


if __name__ == "__main__":
    main()
