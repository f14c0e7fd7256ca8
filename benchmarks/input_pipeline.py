"""One input pipeline over a Pets folder, measured in this process; prints one JSON line.

    .venv/bin/python benchmarks/input_pipeline.py --data DIR --method numpy
    .venv/bin/python benchmarks/input_pipeline.py --data DIR --method tfdata

numpy  - the lecture's way: list ``images/*.jpg`` and ``annotations/trimaps/*.png``,
         then ``keras.utils.load_img(target_size=(200, 200))`` + ``img_to_array`` for
         every photo (trimaps with ``color_mode="grayscale"``) into preallocated float32 /
         uint8 arrays, then batches of 32 sliced from the arrays.
tfdata - the course's way: ``utils.pets.load_pets_index`` (lists, parses the labels and
         decodes every file once, with the decoder training uses, to leave out broken
         ones; the verdicts are remembered in ``COURSE_CACHE_DIR/checks``), then
         ``utils.pets.make_dataset(records, (200, 200), 32)`` with its defaults.

Both are timed from the same point: after ``import tensorflow, keras, utils.pets``
(which both need) and before the files are listed, so "first batch" includes finding
and indexing the files in each method's own way; the indexing time is reported apart.
Peak memory is ``ru_maxrss`` of this process (it includes TensorFlow itself; the memory
in use after the imports is reported as ``rss_after_imports_mb``).

``--course-cache off|memory|disk`` passes ``cache=`` to ``make_dataset`` (False, True,
"disk"; without it, ``make_dataset``'s default), and ``--code DIR`` imports ``utils``
from DIR instead (an older copy of the repository, for before/after figures; there
``memory`` is the float32 cache, after it the uint8 one). ``rss_end_mb`` is the memory in
use after the last pass, which holds a memory cache.

Tuning knobs (``--parallel``, ``--prefetch``, ``--cache``, ``--no-deterministic``,
``--epochs``) switch the tfdata method to a copy of ``make_dataset``'s steps with those
settings, to compare a default with an alternative; the result's ``variant`` says which.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
from pathlib import Path

from common import Timer, current_rss_mb, emit, peak_rss_mb

process_timer = Timer()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lecture_numpy(data: Path, image_size, batch_size, timer):
    """The lecture's loading code (Deep Learning with Python, 2nd ed., ch. 9), unchanged in substance."""
    import numpy as np
    from keras.utils import img_to_array, load_img

    input_dir, target_dir = data / "images", data / "annotations" / "trimaps"
    input_img_paths = sorted(
        str(input_dir / f) for f in os.listdir(input_dir) if f.endswith(".jpg")
    )
    target_paths = sorted(
        str(target_dir / f)
        for f in os.listdir(target_dir)
        if f.endswith(".png") and not f.startswith(".")
    )
    random.Random(1337).shuffle(input_img_paths)
    random.Random(1337).shuffle(target_paths)
    index_s = timer()
    timer.index_cpu = cpu_seconds()

    def path_to_input_image(path):
        return img_to_array(load_img(path, target_size=image_size))

    def path_to_target(path):
        img = img_to_array(
            load_img(path, target_size=image_size, color_mode="grayscale")
        )
        return img.astype("uint8") - 1

    num_imgs = len(input_img_paths)
    input_imgs = np.zeros((num_imgs,) + image_size + (3,), dtype="float32")
    targets = np.zeros((num_imgs,) + image_size + (1,), dtype="uint8")
    for i in range(num_imgs):
        input_imgs[i] = path_to_input_image(input_img_paths[i])
        targets[i] = path_to_target(target_paths[i])

    def batches():
        for start in range(0, num_imgs, batch_size):
            yield (
                input_imgs[start : start + batch_size].copy(),
                targets[start : start + batch_size].copy(),
            )

    return index_s, num_imgs, [batches()]


def course_tfdata(data: Path, image_size, batch_size, timer, knobs):
    from utils import pets

    index = pets.load_pets_index(data_dir=str(data), verbose=False)
    records = index.records
    index_s = timer()
    timer.index_cpu = cpu_seconds()
    if not knobs["custom"]:
        choice = knobs["course_cache"]
        extra = (
            {}
            if choice is None
            else {"cache": {"off": False, "memory": True}.get(choice, choice)}
        )
        return (
            index_s,
            len(records),
            [pets.make_dataset(records, image_size, batch_size, **extra)]
            * knobs["epochs"],
        )

    import numpy as np
    import tensorflow as tf

    from utils import images

    ds = tf.data.Dataset.from_tensor_slices(
        {
            "image": [r.image_path for r in records],
            "image_fp": np.array([r.image_fingerprint for r in records], np.int64),
            "mask": [r.trimap_path for r in records],
            "mask_fp": np.array([r.trimap_fingerprint for r in records], np.int64),
        }
    )

    def decode(row):  # make_dataset's steps: read (bytes as checked), decode, resize
        photo = images.decode_photo(
            images.read_unchanged(row["image"], row["image_fp"])
        )
        trimap = images.read_unchanged(row["mask"], row["mask_fp"])
        return images.resize_photo(photo, image_size), pets._mask_from_bytes(
            trimap, row["mask"], image_size
        )

    ds = ds.map(
        decode,
        num_parallel_calls=knobs["parallel"],
        deterministic=knobs["deterministic"],
    )
    if knobs["cache"]:
        ds = ds.cache()
    ds = ds.batch(batch_size)
    if knobs["prefetch"] is not None:
        ds = ds.prefetch(knobs["prefetch"])
    return index_s, len(records), [ds] * knobs["epochs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="a Pets folder in the official layout"
    )
    parser.add_argument("--method", choices=("numpy", "tfdata"), required=True)
    parser.add_argument("--image-size", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    knob = parser.add_argument_group(
        "tfdata tuning knobs (any of them: a copy of make_dataset's steps)"
    )
    knob.add_argument(
        "--parallel",
        default=None,
        help="num_parallel_calls: auto or a number (default auto)",
    )
    knob.add_argument(
        "--prefetch",
        default=None,
        help="prefetch buffer: auto, or 0 for none (default auto)",
    )
    knob.add_argument(
        "--cache", action="store_true", help="cache the decoded examples in memory"
    )
    knob.add_argument(
        "--no-deterministic", action="store_true", help="map(..., deterministic=False)"
    )
    parser.add_argument(
        "--course-cache",
        choices=("off", "memory", "disk"),
        default=None,
        help="cache= for make_dataset: False, True or 'disk' (default: its default)",
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=None,
        help="import utils from this folder (an older copy, for before/after)",
    )
    knob.add_argument(
        "--epochs",
        type=int,
        default=1,
        help="passes over the data; all are timed apart",
    )
    args = parser.parse_args()
    if args.code is not None:
        sys.path.insert(0, str(args.code.resolve()))

    import keras  # noqa: F401  (both methods need TensorFlow and Keras; import them before timing)
    import tensorflow as tf

    from utils import pets  # noqa: F401

    import_s = process_timer()
    rss_after_imports = current_rss_mb()
    image_size = (args.image_size, args.image_size)
    custom = any([args.parallel, args.prefetch, args.cache, args.no_deterministic])
    auto = tf.data.AUTOTUNE
    knobs = {
        "custom": custom,
        "parallel": auto if args.parallel in (None, "auto") else int(args.parallel),
        "prefetch": auto
        if args.prefetch in (None, "auto")
        else (int(args.prefetch) or None),
        "cache": args.cache,
        "course_cache": args.course_cache,
        "deterministic": not args.no_deterministic,
        "epochs": args.epochs,
    }
    variant = (
        "course default (make_dataset)"
        if args.method == "tfdata" and not custom
        else args.method
    )
    if args.method == "tfdata" and custom:
        variant = (
            f"parallel={args.parallel or 'auto'}, prefetch={args.prefetch or 'auto'}, "
            f"cache={args.cache}, deterministic={not args.no_deterministic}"
        )

    timer, cpu0 = Timer(), cpu_seconds()
    if args.method == "numpy":
        index_s, count, passes = lecture_numpy(
            args.data, image_size, args.batch_size, timer
        )
    else:
        index_s, count, passes = course_tfdata(
            args.data, image_size, args.batch_size, timer, knobs
        )

    first_batch_s, epoch_s, images, shapes = None, [], 0, None
    for epoch, batches in enumerate(passes):
        epoch_start = timer()
        seen = 0
        for x, y in batches:
            if first_batch_s is None:
                first_batch_s = timer()
                shapes = [list(x.shape), x.dtype.name, list(y.shape), y.dtype.name]
            seen += int(x.shape[0])
        epoch_s.append(timer() - (index_s if epoch == 0 else epoch_start))
        images += seen
    total_s = timer()
    emit(
        {
            "kind": "input_pipeline",
            "method": args.method,
            "variant": variant,
            "images": count,
            "image_size": list(image_size),
            "batch_size": args.batch_size,
            "import_s": round(import_s, 2),
            "index_s": round(index_s, 3),
            "first_batch_s": round(first_batch_s, 3),
            "first_batch_after_index_s": round(first_batch_s - index_s, 3),
            "pass_s": round(
                epoch_s[0] + index_s, 3
            ),  # first full pass, indexing included
            "epoch_s": [round(s, 2) for s in epoch_s],  # each pass after indexing
            "images_per_s": round(count / epoch_s[0], 1),  # first pass, after indexing
            "last_pass_images_per_s": round(count / epoch_s[-1], 1),
            "index_cpu_s": round(timer.index_cpu - cpu0, 2),
            "cpu_s_per_image": round(
                (cpu_seconds() - timer.index_cpu) / images, 4
            ),  # after indexing
            "total_s": round(total_s, 2),
            "rss_after_imports_mb": round(rss_after_imports, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "rss_end_mb": round(current_rss_mb(), 1),
            "course_cache": args.course_cache or "default",
            "code": str(args.code) if args.code else "this checkout",
            "batch": shapes,
        }
    )


if __name__ == "__main__":
    main()
