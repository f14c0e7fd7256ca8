"""What the course costs: each notebook at smoke scale, the tests, the book build, full-scale FLOPs.

    .venv/bin/python benchmarks/course_cost.py [--parts notebooks,tests,book]
    .venv/bin/python benchmarks/course_cost.py --parts estimate   # full-scale work, T4 times

notebooks - each ``notebooks/*.ipynb`` run top to bottom with ``jupyter nbconvert --execute``
            (kernel in ``notebooks/``, output written to a temporary folder, the committed
            notebook untouched), with the settings ``tools/course.py test`` uses:
            ``COURSE_SCALE=smoke`` and the real samples in ``../shared/data`` when present
            (else generated data). Kernel start-up and imports are included.
tests     - ``.venv/bin/python -m pytest tests -q`` (the unit tests; tests/test_book.py
            builds the book itself and checks it in a headless browser when one is installed).
book      - ``jupyter-book build . --path-output <temporary folder> --warningiserror --keep-going``.
estimate  - each chapter's full-scale training work, counted from its models (the model
            functions are read from the notebooks themselves; Xception from
            keras.applications) and its full-scale sizes and epochs (FULL_SCALE_FITS,
            kept by hand next to the notebooks' ``scale.pick`` values), and the time
            that work would take on a Colab T4 (estimate_chapter_times). No training.

Prints one JSON line with the seconds of each part and whether it passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Timer, emit

BIN = Path(sys.executable).parent


def course_notebook_env(scale: str = "smoke") -> dict:
    """The environment tools/course.py gives notebooks (imported from there, so they stay the same)."""
    spec = importlib.util.spec_from_file_location(
        "course_tool", ROOT / "tools" / "course.py"
    )
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    env = course.notebook_env(scale)
    env["COURSE_SCALE"] = scale  # whatever the calling shell has set
    return env


def timed(command, env=None, timeout=1800) -> dict:
    timer = Timer()
    try:
        done = subprocess.run(
            [str(c) for c in command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {
            "seconds": round(timer(), 1),
            "ok": False,
            "detail": f"timed out after {timeout} s",
        }
    tail = (done.stdout + done.stderr).strip().splitlines()
    return {
        "seconds": round(timer(), 1),
        "ok": done.returncode == 0,
        "returncode": done.returncode,
        "detail": tail[-1][-300:] if tail else "",
    }


def run_notebooks(patterns, timeout) -> list[dict]:
    env = course_notebook_env("smoke")
    data = env.get("COURSE_DATA_DIR") and "real samples" or env.get("COURSE_DATA", "?")
    results = []
    with tempfile.TemporaryDirectory(prefix="course-cost-nb-") as out:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            if patterns and not any(p in path.name for p in patterns):
                continue
            command = [
                BIN / "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                f"--ExecutePreprocessor.timeout={timeout}",
                "--output-dir",
                out,
                path,
            ]
            result = timed(command, env=env, timeout=timeout + 120)
            results.append(
                {"name": path.stem, "scale": "smoke", "data": data, **result}
            )
            print(
                f"  notebook {path.stem}: {result['seconds']} s, ok={result['ok']}",
                file=sys.stderr,
                flush=True,
            )
    return results


def run_tests(extra) -> dict:
    result = timed(
        [
            sys.executable,
            "-m",
            "pytest",
            *(extra or ["tests"]),
            "-q",
            "-p",
            "no:cacheprovider",
        ]
    )
    summary = re.search(r"(\d+ \w+(?:, \d+ \w+)*) in [\d.]+s", result.get("detail", ""))
    result["summary"] = summary[1] if summary else result.get("detail", "")
    print(
        f"  tests: {result['seconds']} s, {result['summary']}",
        file=sys.stderr,
        flush=True,
    )
    return result


def build_book() -> dict:
    with tempfile.TemporaryDirectory(prefix="course-cost-book-") as out:
        result = timed(
            [
                BIN / "jupyter-book",
                "build",
                ".",
                "--path-output",
                out,
                "--warningiserror",
                "--keep-going",
            ]
        )
    print(
        f"  book: {result['seconds']} s, ok={result['ok']}", file=sys.stderr, flush=True
    )
    return result


# ---------------------------------------------------------------------------------------
# Full-scale work per chapter and an estimate of its time on a Colab T4
# ---------------------------------------------------------------------------------------

PETS_TRAINVAL, PETS_TEST = 3680, 3669  # the official split
DC_TRAIN, DC_VAL, DC_TEST = 2000, 1000, 2000  # the lecture's dogs-vs-cats split

# Publicly documented NVIDIA T4 peaks (FLOP/s) and the share of them a whole training
# step is assumed to reach (a low and a high guess; see book/running.md for why).
T4_PEAK = {"mixed_float16": 65e12, "float32": 8.1e12}
T4_ACHIEVED = {"mixed_float16": (0.20, 0.40), "float32": (0.40, 0.70)}
T4_STEP_OVERHEAD_S = 0.005  # Keras fit's own work per step (callbacks, launch), a guess
COLAB_DECODE_PER_S = 356  # photos/s the course's pipeline decodes on 2 cores (measured)


def notebook_functions(notebook: str, names, **context) -> dict:
    """The named top-level functions of a notebook, defined from its own cells.

    The first definition of each name wins (later cells may be exercises that redefine
    it). The functions see keras, layers, np and tf, as in the notebooks.
    """
    import ast
    import json

    import keras
    import numpy as np
    import tensorflow as tf

    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    found = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                found.setdefault(node.name, ast.unparse(node))
    missing = set(names) - set(found)
    if missing:
        raise LookupError(f"{notebook}: no definition of {sorted(missing)}")
    namespace = {"keras": keras, "layers": keras.layers, "np": np, "tf": tf, **context}
    for name in names:
        exec(found[name], namespace)  # noqa: S102 - the course's own notebook code
    return {name: namespace[name] for name in names}


def _top_share(model, prefixes) -> float:
    """Share of a model's multiply-adds in the layers whose names start with ``prefixes``."""
    from models import count_macs, layer_macs

    top = sum(layer_macs(x) for x in model.layers if x.name.startswith(prefixes))
    return top / count_macs(model)


def full_scale_fits() -> dict:
    """Per chapter: the model passes it makes at full scale, as a list of dicts.

    Kept by hand next to the notebooks' ``scale.pick(full=...)`` values: when a
    chapter's experiments change, change its entry here (a model function whose name
    or arguments changed stops the count with the notebook's name).

    Each dict: ``what``, ``gmacs`` (forward multiply-adds per image, in G),
    ``train_images`` and ``epochs`` (trained images per epoch, epochs; an upper bound
    where early stopping may end sooner), ``backward`` (the share of a forward pass
    that the backward pass costs: 2 when every layer trains, 0 when the model is
    frozen, 1 for gradients with respect to the input only), ``eval_images``
    (forward-only images: validation every epoch, tests),
    ``batch`` and ``decoded`` (photos the input pipeline decodes; 0 where the chapter
    decodes once into arrays that are not counted); optionally ``decoded_with_cache``,
    the photos decoded when the loaders cache (default: ``decoded`` over the epochs).
    """
    import keras
    from models import count_macs

    def gmacs(model):
        return count_macs(model) / 1e9

    fits = {}
    ch1 = notebook_functions("01_computer_vision_tasks.ipynb", ["make_detector"])
    detector = gmacs(ch1["make_detector"]((200, 200)))
    # the trainval photos with a head box, less the box test and validation photos
    train1 = PETS_TRAINVAL - 600 - 400
    fits[1] = [
        dict(
            what="detector 200x200, 3 seeds x 60 epochs (early stopping on the total "
            "validation loss, patience 8); species and box tests per seed",
            gmacs=detector,
            train_images=train1 * 3,
            epochs=60,
            backward=2,
            eval_images=400 * 60 * 3 + (600 + PETS_TEST) * 3,
            batch=32,
            decoded=(train1 + 400) * 60 * 3 + 600 + PETS_TEST,
            # one training and one validation set for all seeds; the tests as arrays
            decoded_with_cache=train1 + 400 + 600 + PETS_TEST,
        )
    ]
    seg = notebook_functions("02_image_segmentation.ipynb", ["make_segmentation_model"])
    seg200 = gmacs(seg["make_segmentation_model"]((200, 200)))
    # trainval less 1,000 validation photos, plus every other official test photo;
    # the other half is the test set
    test2 = PETS_TEST - PETS_TEST // 2
    train2 = PETS_TRAINVAL - 1000 + PETS_TEST // 2
    fits[2] = [
        dict(
            what="segmentation 200x200, batch 16, 3 seeds x 50 epochs (early stopping, "
            "patience 10); the mean-mask and all-background baselines",
            gmacs=seg200,
            train_images=train2 * 3,
            epochs=50,
            backward=2,
            eval_images=(1000 * 50 + test2) * 3,
            batch=16,
            # the baselines read the training masks once (no cache) and the test twice
            decoded=((train2 + 1000) * 50 + test2) * 3 + train2 + test2 * 2,
            # a new training set per seed; validation and test cached once
            decoded_with_cache=train2 * 3 + 1000 + test2 + train2,
        )
    ]
    steps16, steps64 = -(-train2 // 16), -(-train2 // 64)
    short_epochs = max(1, round(10 * steps64 / steps16))  # as many updates as batch 64
    fits[2] += [
        dict(
            what=f"batch comparison at 200x200, batch {batch}, {epochs} epochs, 3 seeds",
            gmacs=seg200,
            train_images=train2 * 3,
            epochs=epochs,
            backward=2,
            eval_images=(1000 * epochs + test2) * 3,
            batch=batch,
            decoded=((train2 + 1000) * epochs + test2) * 3,
            decoded_with_cache=train2 * 3,  # a new training set per run
        )
        for batch, epochs in ((16, 10), (64, 10), (16, short_epochs))
    ]
    ch3 = notebook_functions(
        "03_residual_connections.ipynb",
        ["conv_relu", "conv_stack"],
        image_size=(32, 32),
    )

    def stack3(what, n_blocks, n_train=DC_TRAIN, arms=2, **options):
        # the restored model is then scored on its training photos and the test
        return dict(
            what=what,
            gmacs=gmacs(
                ch3["conv_stack"](n_blocks, residual=True, batch_norm=True, **options)
            ),
            train_images=n_train * arms * 3,
            epochs=30,
            backward=2,
            eval_images=(DC_VAL * 30 + n_train + DC_TEST) * arms * 3,
            batch=32,
            decoded=0,
        )

    fits[3] = [
        stack3(
            f"{2 * n + 1}-layer stacks at 32x32, plain and residual, BN momentum 0.9, "
            "3 seeds x 30 epochs",
            n,
        )
        for n in (3, 9, 21, 27)
    ] + [
        stack3(
            "55-layer residual stack at 32x32, 800 training photos, 3 seeds x 30 epochs",
            27,
            n_train=800,
            arms=1,
        ),
        stack3(
            "55-layer residual stack at 32x32, BN momentum 0.99, 3 seeds x 30 epochs",
            27,
            arms=1,
            momentum=0.99,
        ),
    ]
    ch4 = notebook_functions("04_batch_normalization.ipynb", ["make_convnet"])
    conv4 = gmacs(ch4["make_convnet"]((180, 180)))  # BN and init add no multiply-adds
    fits[4] = [
        dict(
            what="12-layer convnet at 180x180, 5 arms x 3 seeds x 30 epochs",
            gmacs=conv4,
            train_images=DC_TRAIN * 15,
            epochs=30,
            backward=2,
            eval_images=(DC_VAL * 30 + DC_TEST) * 15,
            batch=32,
            decoded=0,
        )
    ]
    inputs = keras.Input((180, 180, 3))
    xception = keras.applications.Xception(
        weights=None, include_top=False, input_tensor=inputs
    )
    xcp180 = gmacs(xception)
    top = _top_share(xception, ("block13_", "block14_"))
    # Chapter 5 at full scale fine-tunes ImageNet Xception on the Pets breeds (trainval
    # less 1,000 validation photos; the official test), three seeds: the head on the
    # frozen base; the first fine-tuning epoch step by step in four arms (before any
    # step; BN inference; BN training; BN training with the weights fixed: a forward
    # pass with no update), validated every 3 steps; then the second stage in three
    # settings (head only; top blocks with BN frozen; top blocks with BN training),
    # each at three learning rates. Only the top blocks train, so a training step's
    # backward pass costs 2 x their share of the forward pass.
    seeds5, batch5 = 3, 32
    train5, val5 = PETS_TRAINVAL - 1000, 1000
    probe_steps = -(-train5 // batch5)
    probe_evals = probe_steps // 3 + 1  # and once before the first step
    lr_grid5 = 3
    fits[5] = [
        dict(
            what="ImageNet Xception 180x180 on the Pets breeds: BN statistics of the "
            "training photos; frozen base, head only: 3 seeds x 10 epochs",
            gmacs=xcp180,
            train_images=train5 * seeds5,
            epochs=10,
            backward=0,
            eval_images=(val5 * 10 + PETS_TEST) * seeds5 + train5,
            batch=batch5,
            decoded=((train5 + val5) * 10 + PETS_TEST) * seeds5
            + train5
            + PETS_TEST
            + DC_TEST,
            # one cache per seed's training set, one for validation and one for
            # test; the dogs-vs-cats test photos are read once for their labels
            decoded_with_cache=train5 * seeds5 + val5 + PETS_TEST + DC_TEST,
        ),
        dict(
            what=f"first fine-tuning epoch, {probe_steps} steps, 3 arms that step x "
            f"3 seeds, validated {probe_evals} times ({top:.0%} of the work in the "
            "top blocks); the arm before any step: validated and tested once",
            gmacs=xcp180,
            train_images=train5 * 3 * seeds5,
            epochs=1,
            backward=2 * top * 2 / 3,  # the arm with fixed weights: no backward pass
            eval_images=(val5 * probe_evals * 3 + val5 + PETS_TEST * 4) * seeds5,
            batch=batch5,
            decoded=(train5 * 3 + val5 * (probe_evals * 3 + 1) + PETS_TEST * 4)
            * seeds5,
            decoded_with_cache=0,  # the head-only stage has filled every cache
        ),
        dict(
            what=f"second stage, 3 settings (head only; top blocks, BN frozen; top "
            f"blocks, BN training) x {lr_grid5} learning rates x 3 seeds x 10 epochs",
            gmacs=xcp180,
            train_images=train5 * 3 * lr_grid5 * seeds5,
            epochs=10,
            backward=2 * top * 2 / 3,  # head only: no backward pass through the base
            eval_images=(val5 * 10 + PETS_TEST) * 3 * lr_grid5 * seeds5,
            batch=batch5,
            decoded=((train5 + val5) * 10 + PETS_TEST) * 3 * lr_grid5 * seeds5,
            decoded_with_cache=0,
        ),
    ]
    ch6 = notebook_functions(
        "06_xception_separable_conv.ipynb",
        ["make_data_augmentation", "make_mini_xception"],
    )
    make6 = ch6["make_mini_xception"]
    arms6 = (  # augmentation adds no multiply-adds
        ("separable + augmentation", gmacs(make6((180, 180)))),
        ("Conv2D + augmentation", gmacs(make6((180, 180), conv=keras.layers.Conv2D))),
        ("separable, no augmentation", gmacs(make6((180, 180), augment=False))),
    )

    def run6(what, macs, runs, epochs, decoded_with_cache=0):
        return dict(
            what=what,
            gmacs=macs,
            train_images=DC_TRAIN * runs,
            epochs=epochs,
            backward=2,
            eval_images=(DC_VAL * epochs + DC_TEST) * runs,
            batch=32,
            decoded=((DC_TRAIN + DC_VAL) * epochs + DC_TEST) * runs,
            decoded_with_cache=decoded_with_cache,
        )

    # one training, validation and test set at 180x180 for the whole chapter
    fits[6] = [
        run6(
            "lecture's mini-Xception 180x180, separable + augmentation, "
            "3 seeds x 100 epochs",
            arms6[0][1],
            3,
            100,
            decoded_with_cache=DC_TRAIN + DC_VAL + DC_TEST,
        )
    ]
    fits[6] += [
        run6(
            f"learning-rate grid at 180x180, {name}: 2 rates (1e-3, 1e-4) x 1 seed "
            "x 10 epochs",
            macs,
            2,
            10,
        )
        for name, macs in arms6
    ]
    fits[6] += [
        run6(f"comparison at 180x180, {name}: 3 seeds x 30 epochs", macs, 3, 30)
        for name, macs in arms6
    ]
    inputs = keras.Input((299, 299, 3))
    xcp299 = gmacs(keras.applications.Xception(weights=None, input_tensor=inputs))
    box7 = PETS_TRAINVAL  # the photos with a head box (trainval only)
    fits[7] = [
        dict(
            what="ImageNet Xception 299x299, no training: Pets test predictions, "
            "feature maps of 256 photos at 4 layers, Grad-CAM of the ImageNet and a "
            "random-weight model on the test and head-box photos",
            gmacs=xcp299,
            train_images=0,
            epochs=0,
            backward=0,
            # the backward pass of Grad-CAM stops at block 14 (not counted)
            eval_images=PETS_TEST + 256 * 4 + (PETS_TEST + box7) * 2 + 8,
            batch=32,
            decoded=PETS_TEST * 3 + 256 + box7,
            decoded_with_cache=PETS_TEST * 2 + box7,
        ),
        dict(
            what="filter patterns: gradient ascent on the input, 4 layers x 6 filters "
            "x 200 steps, and 6 filters x 40 steps without regularisers",
            gmacs=xcp299,
            train_images=4 * 6 * 200 + 6 * 40,
            epochs=1,
            backward=1,  # gradients for the input only, not the weights (upper bound)
            eval_images=4 * 6 + 6,
            batch=6,
            decoded=0,
        ),
    ]
    return fits


def fit_flops(fit: dict) -> float:
    """FLOPs of one entry of full_scale_fits: 2 per multiply-add."""
    train = fit["train_images"] * fit["epochs"] * (1 + fit["backward"])
    return 2 * fit["gmacs"] * 1e9 * (train + fit["eval_images"])


def fit_steps(fit: dict) -> float:
    """Batches of one entry of full_scale_fits, training and evaluation together."""
    return (fit["train_images"] * fit["epochs"] + fit["eval_images"]) / fit["batch"]


def fit_seconds(fit: dict, policy: str, achieved: float, cache: bool = False) -> dict:
    """Seconds on a T4: compute and input overlap (prefetch), so the slower one counts."""
    steps = fit_steps(fit)
    compute = fit_flops(fit) / (T4_PEAK[policy] * achieved)
    compute += steps * T4_STEP_OVERHEAD_S
    decoded = fit["decoded"]
    if cache and "decoded_with_cache" in fit:  # the chapter says what its caches keep
        decoded = fit["decoded_with_cache"]
    elif cache and fit["epochs"] > 1:  # a cache decodes each photo once
        decoded /= fit["epochs"]
    decode = decoded / COLAB_DECODE_PER_S
    return {"compute_s": compute, "decode_s": decode, "seconds": max(compute, decode)}


def estimate_chapter_times() -> dict:
    """Each chapter's full-scale FLOPs and its estimated T4 minutes (low, high)."""
    chapters = {}
    for chapter, fits in full_scale_fits().items():
        flops = sum(fit_flops(f) for f in fits)
        entry = {
            "pflop": round(flops / 1e15, 2),
            "steps": round(sum(fit_steps(f) for f in fits)),
            "fits": [],
        }
        for policy, (low, high) in T4_ACHIEVED.items():
            for cache in (False, True):
                key = f"{policy}{'_cache' if cache else ''}"
                fast = [fit_seconds(f, policy, high, cache) for f in fits]
                slow = [fit_seconds(f, policy, low, cache) for f in fits]
                entry[key + "_min"] = [
                    round(sum(t["seconds"] for t in fast) / 60, 1),
                    round(sum(t["seconds"] for t in slow) / 60, 1),
                ]
                entry[key + "_input_bound"] = any(
                    t["decode_s"] > t["compute_s"] for t in fast
                )
        for f in fits:
            entry["fits"].append(
                dict(
                    {k: v for k, v in f.items() if k != "gmacs"},
                    gmacs_per_image=round(f["gmacs"], 3),
                    pflop=round(fit_flops(f) / 1e15, 3),
                    steps=round(fit_steps(f)),
                )
            )
        chapters[str(chapter)] = entry
    return {
        "assumptions": {
            "t4_peak_tflops": {k: v / 1e12 for k, v in T4_PEAK.items()},
            "achieved_fraction": T4_ACHIEVED,
            "step_overhead_s": T4_STEP_OVERHEAD_S,
            "decode_photos_per_s": COLAB_DECODE_PER_S,
            "flop_per_multiply_add": 2,
            "backward": "2 forward passes where every layer trains",
        },
        "chapters": chapters,
    }


def print_estimate(estimate: dict) -> None:
    print(
        "| chapter | PFLOP | T4 mixed_float16 min | + uint8 cache | T4 float32 min |",
        file=sys.stderr,
    )
    for chapter, e in estimate["chapters"].items():
        mixed, cached, f32 = (
            e["mixed_float16_min"],
            e["mixed_float16_cache_min"],
            e["float32_min"],
        )
        print(
            f"| {chapter} | {e['pflop']} | {mixed[0]}-{mixed[1]}"
            f"{' (input)' if e['mixed_float16_input_bound'] else ''} | "
            f"{cached[0]}-{cached[1]} | {f32[0]}-{f32[1]} |",
            file=sys.stderr,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", default="notebooks,tests,book", help="also: estimate"
    )
    parser.add_argument(
        "--notebooks",
        nargs="*",
        default=None,
        help="only notebooks whose names contain these",
    )
    parser.add_argument(
        "--pytest-args",
        nargs="*",
        default=None,
        help="instead of 'tests' (for a quick check)",
    )
    parser.add_argument("--notebook-timeout", type=int, default=900)
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    timer = Timer()
    result = {"kind": "course_cost"}
    if "notebooks" in parts:
        result["notebooks"] = run_notebooks(args.notebooks, args.notebook_timeout)
    if "tests" in parts:
        result["tests"] = run_tests(args.pytest_args)
    if "book" in parts:
        result["book"] = build_book()
    if "estimate" in parts:
        result["estimate"] = estimate_chapter_times()
        print_estimate(result["estimate"])
    result["total_s"] = round(timer(), 1)
    # ru_maxrss of RUSAGE_CHILDREN: the largest single process among all the parts (kernels included)
    result["largest_process_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    emit(result)


if __name__ == "__main__":
    main()
