"""Checks of the benchmark scripts at tiny sizes: ``.venv/bin/python -m pytest benchmarks -q``.

Not in the course's test suite (pytest.ini collects ``tests/`` only); about a minute on 2 cores.
"""

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import common  # noqa: E402


def run_script(*args, timeout=300):
    done = subprocess.run(
        [sys.executable, *[str(a) for a in args]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done, common.read_result(done.stdout)


def test_models_have_the_lecture_parameter_counts():
    import models

    models.check_param_counts()


def test_segmentation_model_is_the_notebook_code():
    import models

    cells = json.loads(
        (ROOT / "notebooks" / "02_image_segmentation.ipynb").read_text()
    )["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    cell = next(s for s in sources if "def make_segmentation_model" in s)

    def normalized(code):
        # the benchmark keeps its last layer in float32 whether or not the notebook
        # says so yet; layout (ruff's line breaks) and comments do not count
        code = re.sub(r"#[^\n]*", "", code)
        code = re.sub(r"\s+", "", code).replace(',dtype="float32"', "")
        return code.replace(",)", ")")

    source = inspect.getsource(models.make_segmentation_model)
    assert normalized(source) in normalized(cell)


def test_multiply_adds_are_counted_per_layer():
    import models

    expected = (
        100 * 100 * 9 * 3 * 64
        + 100 * 100 * 9 * 64 * 64
        + 50 * 50 * 9 * 64 * 128
        + 50 * 50 * 9 * 128 * 128
        + 25 * 25 * 9 * 128 * 256
        + 25 * 25 * 9 * 256 * 256
        # Conv2DTranspose: every input position stamps a 3x3xCout kernel
        + 25 * 25 * 9 * 256 * 256
        + 25 * 25 * 9 * 256 * 256
        + 50 * 50 * 9 * 256 * 128
        + 50 * 50 * 9 * 128 * 128
        + 100 * 100 * 9 * 128 * 64
        + 100 * 100 * 9 * 64 * 64
        + 200 * 200 * 9 * 64 * 3
    )
    assert models.count_macs(models.make_segmentation_model((200, 200))) == expected

    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 4))
    x = layers.SeparableConv2D(6, 3, padding="same")(
        inputs
    )  # depthwise 8*8*9*4 + pointwise 8*8*4*6
    outputs = layers.Dense(5)(layers.GlobalAveragePooling2D()(x))  # 6*5
    assert (
        models.count_macs(keras.Model(inputs, outputs))
        == 8 * 8 * 9 * 4 + 8 * 8 * 4 * 6 + 6 * 5
    )


@pytest.fixture(scope="module")
def bench_folder(tmp_path_factory):
    import bench_data

    folder, info = bench_data.build_bench_set(40, tmp_path_factory.mktemp("bench"))
    return folder, info


def test_bench_set_links_real_files_in_the_official_layout(bench_folder):
    folder, info = bench_folder
    from utils import pets

    images = sorted((folder / "images").iterdir())
    assert len(images) == 40 and all(
        p.is_symlink() and p.resolve().exists() for p in images
    )
    index = pets.build_index(pets.find_layout(folder))
    assert len(index.records) == 40 and not index.skipped
    assert len((folder / "annotations" / "list.txt").read_text().splitlines()) == 40


@pytest.mark.parametrize("method", ["numpy", "tfdata"])
def test_input_pipeline_reports_one_result(bench_folder, method):
    done, result = run_script(
        BENCH / "input_pipeline.py",
        "--data",
        bench_folder[0],
        "--method",
        method,
        "--image-size",
        64,
        "--batch-size",
        8,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert result["images"] == 40 and result["batch"][0] == [8, 64, 64, 3]
    assert 0 < result["first_batch_s"] <= result["pass_s"] and result["peak_rss_mb"] > 0


def test_train_throughput_reports_one_result(bench_folder):
    done, result = run_script(
        BENCH / "train_throughput.py",
        "--data",
        bench_folder[0],
        "--feed",
        "tfdata",
        "--steps",
        1,
        "--warmup",
        1,
        "--batch-size",
        2,
        "--image-size",
        64,
        "--matmul-seconds",
        0.1,
        "--matmul-n",
        256,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (
        result["timed_steps"] == 1
        and result["images_per_s"] > 0
        and 0 < result["fraction_of_matmul"]
    )


def test_gpu_script_says_when_there_is_no_gpu():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    done, result = run_script(BENCH / "gpu.py")
    assert done.returncode == 2 and "no GPU" in done.stdout and result["results"] == []


def test_gpu_script_runs_in_tiny_mode_on_any_machine(tmp_path):
    out = tmp_path / "gpu.json"
    done, result = run_script(
        BENCH / "gpu.py",
        "--tiny",
        "--allow-cpu",
        "--xla",
        "off",
        "--cache",
        tmp_path / "bench",
        "--json",
        out,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads(out.read_text())
    assert written["card"]["course_policy"] in (
        "float32",
        "mixed_float16",
        "mixed_bfloat16",
    )
    assert [m["dtype"] for m in written["matmul"]] == ["float32", "float16", "bfloat16"]
    assert all(m["tflops"] > 0 for m in written["matmul"]), written["matmul"]
    trains = {r["policy"]: r for r in written["results"]}
    assert set(trains) == {"float32", "mixed_float16"}
    assert all(r["images_per_s"] > 0 for r in trains.values()), trains
    assert trains["mixed_float16"]["compute_dtype"] == "float16"
    assert trains["mixed_float16"]["output_dtype"] == "float32"
    inputs = {r["cache"]: r for r in written["input"]}
    assert set(inputs) == {"none", "float32", "uint8"}, written["input"]
    for r in inputs.values():
        assert r["images"] == 16 and r["batch_dtypes"][0] == "float32", r
    assert "uint8" in inputs["uint8"]["how"] and "float32" in inputs["float32"]["how"]
    assert result["gpu"] == written["gpu"] and written["verdicts"]


def test_gpu_script_builds_either_cache_around_the_course_pipeline(bench_folder):
    import gpu
    import numpy as np
    from train_throughput import records_of

    records = records_of(bench_folder[0], 8)
    batches = {}
    for mode in gpu.CACHE_MODES:
        ds, how = gpu.cached_dataset(records, 32, 4, mode)
        batches[mode] = [(x.numpy(), y.numpy()) for x, y in ds]
    for mode in ("float32", "uint8"):  # the same numbers as no cache (whole values)
        for (x, y), (x0, y0) in zip(batches[mode], batches["none"]):
            np.testing.assert_array_equal(x, x0)
            np.testing.assert_array_equal(y, y0)


def test_full_scale_estimate_counts_every_chapter_from_the_notebooks():
    """Fails, naming the notebook, when a chapter's model functions change shape."""
    import course_cost

    estimate = course_cost.estimate_chapter_times()
    chapters = estimate["chapters"]
    assert sorted(chapters, key=int) == [str(n) for n in range(1, 8)]
    for e in chapters.values():
        assert e["pflop"] > 0
        low, high = e["mixed_float16_cache_min"]
        assert 0 < low <= high
        # without a cache the input can only make it slower
        assert e["mixed_float16_min"][0] >= low
    seg = chapters["2"]["fits"][0]
    assert seg["gmacs_per_image"] == 4.51  # the benchmark's count of the same model


def test_precision_accuracy_model_is_chapter_7s_and_the_script_reports(
    tmp_path, monkeypatch
):
    import precision_accuracy

    monkeypatch.setenv("COURSE_DATA", "synthetic")  # the script's process inherits it
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    cells = json.loads(
        (ROOT / "notebooks" / "07_what_convnets_learn.ipynb").read_text()
    )["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    cell = next(s for s in sources if "def make_species_convnet" in s)
    body = inspect.getsource(precision_accuracy.make_species_convnet)
    body = body.split('"""', 2)[2]  # the docstring and the imports aside
    body = re.sub(r"\n\s*(import|from) [^\n]*", "", body)

    def normalized(code):
        code = re.sub(r"#[^\n]*", "", code)  # comments
        return re.sub(r"\s+", "", code).replace(",)", ")")

    assert normalized(body) in normalized(cell)

    done, result = run_script(
        "benchmarks/precision_accuracy.py",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--max-photos",
        "32",
        "--image-size",
        "32",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [r["policy"] for r in result["runs"]] == ["float32", "mixed_bfloat16"]
    for run in result["runs"]:
        assert 0 <= run["test_accuracy"] <= 1 and run["seconds_per_epoch"] > 0
