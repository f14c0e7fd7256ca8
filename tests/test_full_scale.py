"""The full-scale dry run: every notebook, top to bottom, at ``COURSE_SCALE=full``.

Smoke scale (nbval) skips the code that only full scale runs: 200x200 inputs, batch 64,
the lecture's epochs and splits, Xception's ImageNet weights and their offline fallback,
checkpoint names, GPU-only branches that also run on a CPU. This runs all of it
without the hours of training, with

* ``COURSE_MAX_STEPS`` (``tests/dry_run/step_cap.py``, installed in each kernel by an
  IPython start-up file, so the student's ``utils`` carries no test double): every fit
  trains one epoch of one step
  (one validation step) and every loader yields one batch;
* ``COURSE_SEEDS=1``: each repeated comparison runs once (a chapter whose statistics
  need two seeds still gets two). Every seed runs the same code, so the other two would
  only repeat the same branches at full size;
* generated data in the official layouts, large enough for every full-scale split
  (``utils.synthetic.make_full_scale_data``): the numbers the notebooks split by are
  the lecture's, so the splitting code runs as it will on the real data;
* no network: downloads go to a proxy that refuses them, and ``KERAS_HOME`` is empty,
  so the ImageNet weights are never found and the offline fallback runs.

Each notebook runs in its own process (this file run as a script), which reports the
kernel's run time, CPU time and peak resident memory (``ru_maxrss`` of the kernel
process). The last test prints a table and writes the figures as JSON.

Only with ``pytest tests/test_full_scale.py --full-scale`` (``tools/course.py test``
runs it in three parts beside the other jobs); ``--full-scale-only 01,02`` runs only the
notebooks whose names start with those prefixes, and ``--full-scale-report PATH`` chooses
where the JSON goes.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WORK = ROOT / ".cache" / "full-scale"
DEFAULT_REPORT = WORK / "full_scale_dry_run.json"
MAX_STEPS = "1"
SEEDS = "1"
COLAB_MEMORY_GB = 12.7
# "Well under" Colab's 12.7 GB: at most half of it. On a CPU the training activations
# also live in host memory; on Colab's GPU they do not, so Colab needs less than this.
PEAK_LIMIT_GB = COLAB_MEMORY_GB / 2
NOTEBOOK_TIMEOUT_S = 1200
CELL_TIMEOUT_S = 900

RESULTS = WORK / "results"  # one JSON file per notebook; the report reads them all
# The chapters whose full-scale branches differ most from smoke scale run under what
# Colab's T4 gets: 200x200 inputs (02), ImageNet Xception, its offline fallback and a
# nested base (05, 07). The others run in float32: on a CPU float16 has no fast kernels,
# and running every chapter under it would cost several times as much.
MIXED_FLOAT16_CHAPTERS = ("02", "05", "07")


def chapter_policy(path: Path, override: str | None = None) -> str:
    """The COURSE_PRECISION a notebook's dry run uses (``override`` for every one)."""
    if override:
        return override
    return "mixed_float16" if path.name[:2] in MIXED_FLOAT16_CHAPTERS else "float32"


STARTUP = f"""# The dry run's step cap, installed before the notebook's first cell.
import sys

sys.path[:0] = [{str(ROOT / "tests" / "dry_run")!r}, {str(ROOT)!r}]
import step_cap

if step_cap.install():
    # The kernel's own stderr (the runner's log), not the first cell's output.
    print("step cap installed: COURSE_MAX_STEPS", step_cap.max_steps(), file=sys.__stderr__)
"""


def ipython_dir(folder: Path) -> Path:
    """An IPython folder whose start-up file installs the step cap in every kernel."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-step-cap.py").write_text(STARTUP)
    return folder


def dry_run_env(
    data: Path, cache: Path, keras_home: Path, policy: str = "float32"
) -> dict:
    """The notebooks' environment: full scale, the step cap, generated data, no network,
    and a stated precision policy (never ``auto``: the same on every CPU)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COURSE_")
        and k.lower() not in ("http_proxy", "https_proxy")
    }
    refused = "http://127.0.0.1:9"  # the discard port: every connection is refused
    env.update(
        COURSE_SCALE="full",
        COURSE_MAX_STEPS=MAX_STEPS,
        COURSE_SEEDS=SEEDS,
        COURSE_PRECISION=policy,
        COURSE_DATA_DIR=str(data),
        COURSE_CACHE_DIR=str(cache),
        KERAS_HOME=str(keras_home),
        IPYTHONDIR=str(ipython_dir(cache.parent / "ipython")),
        HTTP_PROXY=refused,
        HTTPS_PROXY=refused,
        http_proxy=refused,
        https_proxy=refused,
        NO_PROXY="",
        no_proxy="",
    )
    env.pop("MPLBACKEND", None)  # as nbval and `execute` run them
    return env


def test_generated_data_is_large_enough_for_every_full_scale_split():
    """Without generating it: the sizes ``make_full_scale_data`` writes."""
    from utils import config, dogs_cats, synthetic

    scale = config.Scale("full")
    photos = synthetic.FULL_SCALE_PETS_PER_BREED * len(synthetic.BREEDS)
    trainval = photos // 2  # odd numbers are trainval, all with a head box
    assert trainval > 1000  # chapter 2: 1,000 validation photos and a training set
    assert (
        trainval > 600 + 400
    )  # chapters 1 and 7: 600 box-test and 400 validation photos
    assert photos > scale.pets_val_count  # chapter 5: 1,000 validation photos
    per_class = max(hi for _, hi in dogs_cats.LECTURE_SPLIT.values())
    assert synthetic.FULL_SCALE_DOGS_CATS_PER_CLASS >= per_class


def test_the_start_up_file_installs_the_cap_before_utils_is_used(tmp_path):
    """What each dry-run kernel runs first: afterwards fit and the loaders are capped,
    while ``import utils`` alone patches nothing."""
    probe = (
        "import keras\nfrom utils import dogs_cats, pets\n"
        "print('fit' in vars(keras.Model), hasattr(pets.make_dataset, '__wrapped__'),"
        " hasattr(dogs_cats.make_dataset, '__wrapped__'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    for startup, expected in (
        ("", "False False False"),
        (STARTUP, "True True True"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", startup + "\n" + probe],
            cwd=tmp_path,
            env={**env, "COURSE_MAX_STEPS": "1", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split("\n")[-2] == expected


def test_the_dry_run_environment_is_offline_and_capped(tmp_path):
    env = dry_run_env(tmp_path / "data", tmp_path / "cache", tmp_path / "keras")
    assert env["COURSE_SCALE"] == "full" and env["COURSE_MAX_STEPS"] == MAX_STEPS
    assert env["COURSE_SEEDS"] == SEEDS and env["COURSE_PRECISION"] == "float32"
    assert env["KERAS_HOME"] == str(tmp_path / "keras")
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup"
    assert "step_cap.install()" in (startup / "00-step-cap.py").read_text()
    assert env["https_proxy"] == env["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert "COURSE_DATA" not in env


@pytest.fixture(scope="module")
def full_scale(request, tmp_path_factory):
    if not request.config.getoption("--full-scale"):
        pytest.skip(
            "the full-scale dry run runs with --full-scale (tools/course.py test)"
        )
    from utils.synthetic import make_full_scale_data

    start = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "data.lock").open("w") as lock:  # parts may start together
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = make_full_scale_data(WORK / "data")
    made_s = time.perf_counter() - start
    base = tmp_path_factory.mktemp("full-scale")
    (base / "keras-home").mkdir()
    return {
        "data": data,
        "cache": base / "cache",
        "keras_home": base / "keras-home",
        "data_seconds": round(made_s, 1),
    }


def run_notebook(path: Path, workdir: Path, env: dict) -> dict:
    """Runs one notebook in a fresh process; its progress and the kernel's log go to
    ``.cache/full-scale/logs/NAME.log``."""
    log = WORK / "logs" / workdir.name / f"{path.stem}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, __file__, str(path.resolve()), str(workdir)],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=NOTEBOOK_TIMEOUT_S,
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(
            f"{path.name}: the runner gave no result (exit {done.returncode}); "
            f"the end of {log}:\n{log.read_text()[-3000:]}"
        )
    return json.loads(lines[-1])


def chosen(path: Path, only: str | None) -> bool:
    """Whether ``--full-scale-only`` (comma-separated name prefixes) includes ``path``."""
    prefixes = [p.strip() for p in (only or "").split(",") if p.strip()]
    return not prefixes or path.name.startswith(tuple(prefixes))


def test_only_picks_notebooks_by_prefix():
    names = [p.name for p in NOTEBOOKS if chosen(p, "02, 06")]
    assert [n[:2] for n in names] == ["02", "06"]
    assert all(chosen(p, None) for p in NOTEBOOKS)


def test_colabs_policy_runs_the_branches_only_full_scale_takes():
    policies = {p.name[:2]: chapter_policy(p) for p in NOTEBOOKS}
    assert {policies[c] for c in MIXED_FLOAT16_CHAPTERS} == {"mixed_float16"}
    assert set(policies.values()) == {"float32", "mixed_float16"}
    assert {chapter_policy(p, "mixed_bfloat16") for p in NOTEBOOKS} == {
        "mixed_bfloat16"
    }


@pytest.mark.spread  # each notebook is a process of its own: xdist may run them apart
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_at_full_scale(full_scale, path, request):
    if not chosen(path, request.config.getoption("--full-scale-only")):
        pytest.skip("not in --full-scale-only")
    policy = chapter_policy(path, request.config.getoption("--full-scale-precision"))
    env = dry_run_env(
        full_scale["data"], full_scale["cache"], full_scale["keras_home"], policy
    )
    # Under the repository, so the setup cell finds utils; one folder per policy, so
    # that runs under two policies side by side never share a checkpoint.
    workdir = WORK / "work" / policy
    workdir.mkdir(parents=True, exist_ok=True)
    result = run_notebook(path, workdir, env)
    log = (WORK / "logs" / policy / f"{path.stem}.log").read_text()
    assert f"step cap installed: COURSE_MAX_STEPS {MAX_STEPS}" in log, (
        f"{path.name}: the kernel ran without the step cap (IPython start-up file)"
    )
    result.update(policy=policy, data_seconds=full_scale["data_seconds"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{path.stem}.json").write_text(json.dumps(result) + "\n")
    error = result.get("error")
    assert error is None, (
        f"{path.name} stops at full scale ({policy}): cell {error['cell']} "
        f"(id {error['id']}) raised {error['ename']}: {error['evalue']}\n"
        f"{error['source']}"
    )
    assert result["peak_rss_mb"] / 1024 < PEAK_LIMIT_GB, (
        f"{path.name}: peak memory {result['peak_rss_mb'] / 1024:.1f} GB is not well "
        f"under Colab's {COLAB_MEMORY_GB} GB (limit {PEAK_LIMIT_GB:.2f} GB)"
    )


def write_report(report: Path) -> str | None:
    """The table of every notebook's figures, written as JSON to ``report``; called once
    the session ends (tests/conftest.py), when every worker has written its results."""
    results = {
        path.stem + ".ipynb": json.loads(path.read_text())
        for path in sorted(RESULTS.glob("*.json"))
    }
    if not results:
        return None
    rows = [
        f"{name:<36} {r['policy']:<15} {r['seconds']:>7.1f} {r['cpu_seconds']:>7.1f} "
        f"{r['peak_rss_mb'] / 1024:>7.2f}  {'ok' if r['error'] is None else 'FAILED'}"
        for name, r in results.items()
    ]
    total = sum(r["seconds"] for r in results.values())
    table = "\n".join(
        [
            f"전체 규모 시험 실행 / full-scale dry run (COURSE_MAX_STEPS={MAX_STEPS}, "
            f"COURSE_SEEDS={SEEDS})",
            f"{'notebook':<36} {'precision':<15} {'wall s':>7} {'cpu s':>7} "
            f"{'peak GB':>7}",
            *rows,
            f"{'total':<52} {total:>7.1f}",
        ]
    )
    from importlib.metadata import version  # not importing TensorFlow: 10 s saved

    figures = {
        "what": "every notebook at COURSE_SCALE=full on generated data, no network",
        "course_max_steps": int(MAX_STEPS),
        "course_seeds": int(SEEDS),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "versions": {
            "python": platform.python_version(),
            "tensorflow": version("tensorflow"),
            "keras": version("keras"),
        },
        "peak_limit_gb": round(PEAK_LIMIT_GB, 2),
        "total_seconds": round(total, 1),
        "notebooks": results,
    }
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
    return table + f"\n-> {report}"


# --- the runner: one notebook in this process's own kernel ----------------------------


def execute(path: Path, workdir: Path) -> dict:
    """Runs the notebook cell by cell (nothing is saved); returns time, memory and any error."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        # TensorFlow's C++ start-up lines stay in the terminal, as in `course.py execute`.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    error = None
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            started = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as failure:
                error = {
                    "cell": index,
                    "id": cell.get("id"),
                    "ename": failure.ename,
                    "evalue": str(failure.evalue)[:500],
                    "source": cell.source[:800],
                }
                break
            finally:
                seconds = time.perf_counter() - started
                print(f"cell {index}: {seconds:.1f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    # The kernel has exited and been waited for: its peak is in RUSAGE_CHILDREN.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # Linux reports kilobytes
        "error": error,
    }


if __name__ == "__main__":
    print(json.dumps(execute(Path(sys.argv[1]), Path(sys.argv[2]))))
